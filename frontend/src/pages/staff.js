// The staff dashboard (/staff/): this server process's lobbies, totals and matchmaking queues,
// live over /ws/staff/ (a `dashboard` frame about once a second), with close and kick buttons.
import { Net } from '../net.js';
import {
  STAFF_CLIENT_KINDS, STAFF_SERVER_KINDS, decodeServer, describeError, encodeClient, staffUrl,
} from '../protocol.js';
import { el } from '../ui/dom.js';
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
  const phases = Object.entries(p.phases).filter(([, n]) => n > 0).map(([phase, n]) => `${n} ${phase}`).join(', ');
  return [
    ['Process', String(p.pid)],
    ['Lobbies', phases ? `${p.lobbies} (${phases})` : String(p.lobbies)],
    ['Players', String(p.players)],
    ['Spectators', String(p.spectators)],
    ['Connections', String(p.connections)],
    ['Queued', String(p.queued)],
    ['Frames/s', String(p.frames_per_s)],
    ['Bytes/s', formatBytes(p.bytes_per_s)],
    ['Worst tick p99', ms(p.tick_p99_ms_max)],
    ['Overruns', String(p.overruns)],
    ['Stale frames dropped', String(p.state_frames_dropped)],
    ['Matches saved', String(p.matches_saved)],
  ];
}

/** The cells of a lobby's row, as text (pure); `slow` marks a tick p99 over half the tick's period. */
export function lobbyCells(l) {
  const players = `${l.players}/${l.max_players}${l.bots ? ` +${l.bots} bots` : ''}`;
  const flags = [l.private && 'private', l.locked && 'locked', l.matchmade && 'matchmade'].filter(Boolean).join(', ');
  return {
    lobby: `${l.name} ${l.code}`, flags, game: l.game, phase: l.phase, players, spectators: String(l.spectators),
    tick: `${l.tick_rate} Hz`, p50: ms(l.tick_p50_ms), p99: ms(l.tick_p99_ms), overruns: String(l.overruns),
    frames: String(l.frames_per_s), bytes: formatBytes(l.bytes_per_s),
    slow: l.tick_p99_ms > 1000 / l.tick_rate / 2, // a tick using half its period leaves little headroom
  };
}

/** A queue as one line of text (pure). */
export function queueLine(q) {
  const median = q.median_wait_s === null ? '–' : `${q.median_wait_s} s`;
  return `${q.game}: ${q.waiting} waiting (oldest ${q.oldest_wait_s} s), ${q.sockets} sockets, `
    + `${q.pending_lobbies} lobbies filling, ${q.lobbies_formed} formed, median wait ${median}`;
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
      onStatus: (s) => { els.status.dataset.state = s.state; els.status.textContent = s.state; },
      onClose: (info) => { if (info.final) notify(info.message); },
      WebSocketImpl,
    });
  }

  start() {
    this.net.connect();
    return this;
  }

  send(kind, fields) {
    if (!this.net.send(encodeClient(kind, fields, STAFF_CLIENT_KINDS))) this.notify('Not connected: try again in a moment.', { kind: 'warn' });
  }

  frame(msg) {
    if (msg.k === 'dashboard') this.render(msg);
    else if (msg.k === 'done') this.notify(`${msg.ref === 'kick' ? `Kicked member ${msg.target} of` : 'Closed'} lobby ${msg.code}.`, { kind: 'info' });
    else if (msg.k === 'error') this.notify(describeError(msg.code, msg.msg));
  }

  render(msg) {
    this.last = msg;
    const { els } = this;
    els.updated.textContent = `Updated ${new Date(msg.time).toLocaleTimeString()}`;
    els.process.replaceChildren(...processFigures(msg.process).flatMap(([label, value]) => [
      el('dt', { textContent: label }), el('dd', { textContent: value })]));
    els.queues.replaceChildren(...msg.queues.map((q) => el('li', { textContent: queueLine(q) })));
    els.empty.hidden = msg.lobbies.length > 0;
    els.lobbies.replaceChildren(...msg.lobbies.map((l) => this.row(l)));
  }

  row(l) {
    const c = lobbyCells(l);
    const members = el('ul', { className: 'staff-members' }, ...l.members.map((m) => el('li', {},
      el('span', { textContent: `${m.name}${m.host ? ' (host)' : ''}${m.bot ? ' (bot)' : ''}${m.connected ? '' : ' (away)'}` }),
      el('small', { textContent: ` #${m.id} ${m.role}` }),
      this.confirmButton(`kick:${l.code}:${m.id}`, 'Kick', 'Sure?', () => this.send('kick', { code: l.code, target: m.id })))));
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
      el('td', { className: 'actions' }, this.confirmButton(`close:${l.code}`, 'Close', 'Close it?', () => this.send('close_lobby', { code: l.code }))));
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
