// The heads-up display: players and scores, the round timer, ping and the connection's state.
// Everything is written with textContent; the DOM is touched only when something changed.
import { t } from './i18n.js';
import { colourMap } from './render/canvas.js';
import { inkFor, markFor } from './render/players.js';
import { el } from './ui/dom.js';

export function formatClock(seconds) {
  const s = Math.max(0, Math.ceil(seconds ?? 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** What a person reads about the connection (from `Net.status()`). */
export function connectionText(status, now = Date.now()) {
  switch (status.state) {
    case 'open': return t('conn.open');
    case 'connecting': return status.attempt ? t('conn.reconnecting_attempt', { n: status.attempt }) : t('conn.connecting');
    case 'reconnecting': {
      const secs = Math.max(0, Math.ceil(((status.retryAt ?? now) - now) / 1000));
      return t('conn.retrying', { s: secs });
    }
    case 'closed': return t('conn.closed');
    default: return t('conn.idle');
  }
}

/**
 * A player's colour with its mark on it (render/players.js), drawn by CSS from `data-mark`: the
 * row's text stays the name and score, and the name beside it says who it is.
 */
function swatch(colour) {
  const mark = el('span', { className: 'swatch mark', style: `background: ${colour}; color: ${inkFor(colour)}`,
    dataset: { mark: markFor(colour) } });
  mark.setAttribute('aria-hidden', 'true');
  return mark;
}

// Until a game is set: every player's score as a number, highest first.
const PLAIN = { score: (row) => ({ text: String(row.s ?? 0), title: t('hud.points') }), compare: (a, b) => (b.s ?? 0) - (a.s ?? 0) };

export class Hud {
  constructor({ scores, timer, ping, connection }) {
    Object.assign(this, { scoresEl: scores, timerEl: timer, pingEl: ping, connEl: connection });
    this.lastScores = '';
    this.game = PLAIN;
  }

  /** The game whose `score(row)` and `compare(a, b)` write and order the scores (registry.js). */
  setGame(spec) {
    this.game = spec;
    this.lastScores = '';
  }

  /** `state`: the newest snapshot {g, e}; `you`: the own entity id; `focus`: the followed one. */
  scores(state, { you, focus }) {
    const entities = state?.e ?? {};
    const colours = colourMap(entities);
    const rows = [...colours.keys()].map((id) => ({ id, ...entities[id] })).sort(this.game.compare);
    const cells = rows.map((row) => this.game.score(row));
    const key = JSON.stringify([rows.map((r, i) => [r.id, r.n, r.al, cells[i].text]), you, focus, state?.g?.sl]);
    if (key === this.lastScores) return;
    this.lastScores = key;
    const list = el('ol', {}, ...rows.map((row, i) => el('li', {
      className: [row.id === you ? 'you' : '', row.id === focus ? 'focus' : '', row.al === false ? 'dead' : ''].join(' ').trim(),
    },
    swatch(colours.get(row.id)),
    el('span', { className: 'name', textContent: row.n ?? row.id }),
    el('span', { className: 'score', textContent: cells[i].text, title: cells[i].title }))));
    const limit = el('div', { className: 'limit', textContent: state?.g?.sl ? t('hud.first_to', { n: state.g.sl }) : '' });
    this.scoresEl.replaceChildren(list, limit);
  }

  timer(state, phase) {
    const text = state?.g?.t !== undefined && phase !== 'waiting' ? formatClock(state.g.t) : '–:––';
    if (this.timerEl.textContent !== text) this.timerEl.textContent = text;
  }

  ping(rttMs) {
    const text = rttMs === null ? t('hud.ping_none') : t('hud.ping', { ms: Math.round(rttMs) });
    if (this.pingEl.textContent !== text) this.pingEl.textContent = text;
    this.pingEl.dataset.quality = rttMs === null ? '' : rttMs < 80 ? 'good' : rttMs < 200 ? 'fair' : 'poor';
  }

  connection(status) {
    const text = connectionText(status);
    if (this.connEl.textContent !== text) this.connEl.textContent = text;
    this.connEl.dataset.state = status.state;
    this.connEl.title = t('conn.ready_state', { state: status.readyState });
  }
}
