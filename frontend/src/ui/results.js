// The match-over screen: the results announced by the server, then the result as saved
// (fetched from /api/lobbies/<code>/matches), and a rematch button for the host.
import { clockTime, has, t } from '../i18n.js';
import { el } from './dom.js';
import { icon } from './icons.js';

/** Why a match of `game` (its name) ended, as people read it (docs/protocol.md: Match-over
 * reasons): the game's own words first (`reason.<reason>` in its module's MESSAGES), then the
 * shared ones (locale/*.js); a reason nobody words reads as its words (a lobby_<why> one as a
 * lobby closed mid-match). */
export function reasonText(reason, game = null) {
  if (!reason) return '';
  const own = game && `game.${game}.reason.${reason}`;
  if (own && has(own)) return t(own);
  if (has(`reason.${reason}`)) return t(`reason.${reason}`);
  if (reason.startsWith('lobby_')) return t('reason.lobby_closed');
  return reason.replaceAll('_', ' ');
}

function table(rows, you) {
  const head = el('thead', {}, el('tr', {}, el('th', { textContent: '#' }),
    el('th', { textContent: t('results.player') }), el('th', { textContent: t('results.score') })));
  const body = el('tbody', {}, ...rows.map((r) => {
    const classes = [r.winner ? 'winner' : '', you !== null && r.id === you ? 'you' : ''].join(' ').trim();
    const name = el('td', { textContent: r.name });
    if (r.winner) name.prepend(icon('trophy', t('results.winner_icon')), ' ');
    return el('tr', { className: classes }, el('td', { textContent: String(r.rank) }), name, el('td', { textContent: String(r.score) }));
  }));
  return el('table', {}, head, body);
}

const hint = (text) => el('p', { className: 'hint', textContent: text });

export class Results {
  /** `els`: {root, title, reason, live, saved, rematch, dismiss}; `fetchMatches()` -> {matches}. */
  constructor(els, { fetchMatches, onRematch }) {
    Object.assign(this, { els, fetchMatches });
    els.rematch.addEventListener('click', onRematch);
    els.dismiss.addEventListener('click', () => this.hide());
    this.matchId = null;
  }

  /** Show the `match_over` event of a match of `game`; `you` is the reader's member id, `admin`
   * whether they may rematch. */
  show(event, { you, admin, members, game = null }) {
    const { els } = this;
    this.matchId = event.match;
    const winner = event.results.find((r) => r.winner);
    let title = winner ? t('results.wins', { name: winner.name }) : t('results.draw');
    if (event.status === 'aborted') title = t('results.aborted');
    else if (winner && winner.id === you) title = t('results.you_win');
    els.title.textContent = title;
    els.reason.textContent = reasonText(event.reason, game);
    els.live.replaceChildren(table(event.results, you));
    els.saved.replaceChildren(hint(t('results.saving')));
    els.saved.dataset.state = 'pending';
    this.setAdmin(admin, members);
    els.root.hidden = false;
    this.loadSaved(event.match, 0);
  }

  setAdmin(admin, members = 2) {
    this.els.rematch.hidden = !admin;
    this.els.rematch.disabled = members < 2;
  }

  // The writer task saves results a moment after the event: ask a few times.
  async loadSaved(matchId, attempt) {
    if (matchId !== this.matchId) return;
    let found = null;
    try {
      const { matches } = await this.fetchMatches();
      found = matches.find((m) => m.id === matchId) ?? null;
    } catch {
      found = null;
    }
    if (matchId !== this.matchId) return;
    if (found) {
      this.showSaved(found);
    } else if (attempt < 10) {
      setTimeout(() => this.loadSaved(matchId, attempt + 1), 400 * (attempt + 1));
    } else {
      this.els.saved.dataset.state = 'missing';
      this.els.saved.replaceChildren(hint(t('results.missing')));
    }
  }

  showSaved(match) {
    const heading = el('h3', { textContent: t('results.saved', { time: clockTime(new Date(match.ended_at)), ticks: match.ticks }) });
    this.els.saved.dataset.state = 'saved';
    this.els.saved.replaceChildren(heading, table(match.results.map((r) => ({ ...r, id: null })), null));
    if (match.replay) {
      const href = `/replays/${encodeURIComponent(match.id)}/`;
      this.els.saved.append(el('p', {}, el('a', { className: 'replay-link', href, target: '_blank', textContent: t('results.watch_replay') })));
    }
  }

  hide() {
    this.els.root.hidden = true;
  }

  get visible() {
    return !this.els.root.hidden;
  }
}
