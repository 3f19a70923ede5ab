// The staff dashboard (/staff/): this server process's lobbies, totals and matchmaking queues,
// live over /ws/staff/ (a `dashboard` frame about once a second), with close and kick buttons.
import { connectionText } from '../hud.js';
import { clockTime, t } from '../i18n.js';
import { Net } from '../net.js';
import { gameTitle } from '../registry.js';
import {
  STAFF_CLIENT_KINDS, STAFF_SERVER_KINDS, decodeServer, describeError, encodeClient, staffUrl,
} from '../protocol.js';
import { el, replaceRows } from '../ui/dom.js';
import { notify } from '../ui/toast.js';

const UNITS = ['B', 'kB', 'MB', 'GB'];

/** A byte rate for people: "512 B/s", "12.3 kB/s" (powers of 1000). */
export function formatBytes(perSecond) {
  let value = Math.max(0, perSecond);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}/s`;
}

const ms = (value) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

/** The process totals as [label, value] pairs (pure). */
export function processFigures(p) {
  const phases = Object.entries(p.phases).filter(([, n]) => n > 0)
    .map(([phase, n]) => t('staff.phase_count', { n, phase: t(`phase.word.${phase}`) })).join(', ');
  return [
    [t('staff.process'), String(p.pid)],
    [t('staff.lobbies'), phases ? `${p.lobbies} (${phases})` : String(p.lobbies)],
    [t('staff.players'), String(p.players)],
    [t('staff.spectators'), String(p.spectators)],
    [t('staff.connections'), String(p.connections)],
    [t('staff.queued'), String(p.queued)],
    [t('staff.frames'), String(p.frames_per_s)],
    [t('staff.bytes'), formatBytes(p.bytes_per_s)],
    [t('staff.worst_tick'), ms(p.tick_p99_ms_max)],
    [t('staff.overruns'), String(p.overruns)],
    [t('staff.stale'), String(p.state_frames_dropped)],
    [t('staff.saved'), String(p.matches_saved)],
  ];
}

/** The cells of a lobby's row, as text (pure); `slow` marks a tick p99 over half the tick's period. */
export function lobbyCells(l) {
  const players = `${l.players}/${l.max_players}${l.bots ? ` ${t('staff.plus_bots', { n: l.bots })}` : ''}`;
  const flags = ['private', 'locked', 'matchmade'].filter((flag) => l[flag]).map((flag) => t(`staff.${flag}`)).join(', ');
  return {
    lobby: `${l.name} ${l.code}`, flags, game: gameTitle(l.game), phase: t(`phase.${l.phase}`), players,
    spectators: String(l.spectators), tick: t('panel.hz', { n: l.tick_rate }), p50: ms(l.tick_p50_ms), p99: ms(l.tick_p99_ms), overruns: String(l.overruns),
    frames: String(l.frames_per_s), bytes: formatBytes(l.bytes_per_s),
    slow: l.tick_p99_ms > 1000 / l.tick_rate / 2, // a tick using half its period leaves little headroom
  };
}

/** A queue as one line of text (pure). */
export function queueLine(q) {
  const median = q.median_wait_s === null ? '–' : t('staff.seconds', { n: q.median_wait_s });
  return t('staff.queue_line', { game: gameTitle(q.game), waiting: q.waiting, oldest: q.oldest_wait_s, sockets: q.sockets,
    filling: q.pending_lobbies, formed: q.lobbies_formed, median });
}

/** A member of a lobby's row: the name and what it is: "Ann (host) (away)". */
function memberText(m) {
  const marks = [m.host && 'host', m.bot && 'bot', !m.connected && 'away'].filter(Boolean);
  return [m.name, ...marks.map((mark) => `(${t(`badge.${mark}`)})`)].join(' ');
}

export class StaffDashboard {
  /** `els`: {status, process, lobbies, empty, queues, updated}; `notify(message, options)`. */
  constructor(els, { location, notify, WebSocketImpl = globalThis.WebSocket }) {
    Object.assign(this, { els, notify });
    this.last = null;
    this.armed = null; // {key, until}: a button clicked once, waiting for its confirming click
    this.net = new Net({
      url: () => staffUrl(location),
      decode: (data) => decodeServer(data, STAFF_SERVER_KINDS),
      onFrame: (msg) => this.frame(msg),
      onStatus: (s) => { els.status.dataset.state = s.state; els.status.textContent = connectionText(s); },
      onClose: (info) => { if (info.final) notify(info.message); },
      WebSocketImpl,
    });
  }

  start() {
    this.net.connect();
    return this;
  }

  send(kind, fields) {
    if (!this.net.send(encodeClient(kind, fields, STAFF_CLIENT_KINDS))) this.notify(t('staff.not_connected'), { kind: 'warn' });
  }

  frame(msg) {
    if (msg.k === 'dashboard') this.render(msg);
    else if (msg.k === 'done') {
      this.notify(t(msg.ref === 'kick' ? 'staff.kicked' : 'staff.closed', { target: msg.target, code: msg.code }), { kind: 'info' });
    }
    else if (msg.k === 'error') this.notify(describeError(msg.code, msg.msg));
  }

  render(msg) {
    this.last = msg;
    const { els } = this;
    els.updated.textContent = t('time.updated', { time: clockTime(new Date(msg.time)) });
    els.process.replaceChildren(...processFigures(msg.process).flatMap(([label, value]) => [
      el('dt', { textContent: label }), el('dd', { textContent: value })]));
    els.queues.replaceChildren(...msg.queues.map((q) => el('li', { textContent: queueLine(q) })));
    els.empty.hidden = msg.lobbies.length > 0;
    replaceRows(els.lobbies, msg.lobbies.map((l) => this.row(l)));
  }

  row(l) {
    const c = lobbyCells(l);
    const members = el('ul', { className: 'staff-members' }, ...l.members.map((m) => el('li', {},
      el('span', { textContent: memberText(m) }),
      el('small', { textContent: ` #${m.id} ${t(`role.${m.role}`)}` }),
      this.confirmButton(`kick:${l.code}:${m.id}`, t('staff.kick'), t('staff.sure'), () => this.send('kick', { code: l.code, target: m.id })))));
    const tr = el('tr', { className: c.slow ? 'slow' : '' },
      el('td', { className: 'lobby-name' }, el('strong', { textContent: l.name }), el('small', { textContent: ` ${l.code}` }),
        c.flags ? el('div', { className: 'hint', textContent: c.flags }) : ''),
      el('td', { textContent: c.game }),
      el('td', {}, el('span', { className: `phase phase-${l.phase}`, textContent: c.phase })),
      el('td', { textContent: c.players }), el('td', { textContent: c.spectators }), el('td', { textContent: c.tick }),
      el('td', { className: 'num', textContent: c.p50 }), el('td', { className: 'num', textContent: c.p99 }),
      el('td', { className: 'num', textContent: c.overruns }), el('td', { className: 'num', textContent: c.frames }),
      el('td', { className: 'num', textContent: c.bytes }),
      el('td', {}, members),
      el('td', { className: 'actions' }, this.confirmButton(`close:${l.code}`, t('staff.close'), t('staff.close_confirm'), () => this.send('close_lobby', { code: l.code }))));
    tr.dataset.code = l.code;
    return tr;
  }

  /**
   * A button that asks on its first click and acts on a second within 3 s. The table is drawn
   * anew with every frame, so the armed state lives here, not in the button.
   */
  confirmButton(key, label, confirmLabel, act) {
    const armed = this.armed?.key === key && this.armed.until > Date.now();
    const button = el('button', { type: 'button', className: `small danger${armed ? ' armed' : ''}`, textContent: armed ? confirmLabel : label });
    button.dataset.action = key;
    button.addEventListener('click', () => {
      if (this.armed?.key === key && this.armed.until > Date.now()) {
        this.armed = null;
        act();
      } else {
        this.armed = { key, until: Date.now() + 3000 };
      }
      if (this.last) this.render(this.last);
    });
    return button;
  }
}

export function startStaffPage(doc) {
  const $ = (id) => doc.getElementById(id);
  const dashboard = new StaffDashboard(
    { status: $('staff-status'), process: $('staff-process'), lobbies: $('staff-lobbies'), empty: $('staff-empty'),
      queues: $('staff-queues'), updated: $('staff-updated') },
    { location: window.location, notify }).start();
  window.__staff = dashboard; // the page's test hook
  return dashboard;
}
