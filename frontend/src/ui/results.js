// The match-over screen: the results announced by the server, then the result as saved
// (fetched from /api/lobbies/<code>/matches), and a rematch button for the host.
import { el } from './dom.js';
import { icon } from './icons.js';

const REASONS = {
  score_limit: 'Score limit reached',
  time_up: 'Time is up',
  forfeit: 'Won by forfeit',
  aborted: 'Match aborted',
};

function reasonText(reason) {
  if (!reason) return '';
  if (reason.startsWith('lobby_')) return 'The lobby closed during the match';
  return REASONS[reason] ?? reason.replaceAll('_', ' ');
}

function table(rows, you) {
  const head = el('thead', {}, el('tr', {}, ...['#', 'Player', 'Score'].map((text) => el('th', { textContent: text }))));
  const body = el('tbody', {}, ...rows.map((r) => {
    const classes = [r.winner ? 'winner' : '', you !== null && r.id === you ? 'you' : ''].join(' ').trim();
    const name = el('td', { textContent: r.name });
    if (r.winner) name.prepend(icon('trophy', 'winner'), ' ');
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

  /** Show the `match_over` event; `you` is the reader's member id, `admin` whether they may rematch. */
  show(event, { you, admin, members }) {
    const { els } = this;
    this.matchId = event.match;
    const winner = event.results.find((r) => r.winner);
    let title = winner ? `${winner.name} wins!` : 'Draw';
    if (event.status === 'aborted') title = 'Match aborted';
    else if (winner && winner.id === you) title = 'You win!';
    els.title.textContent = title;
    els.reason.textContent = reasonText(event.reason);
    els.live.replaceChildren(table(event.results, you));
    els.saved.replaceChildren(hint('Saving the result…'));
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
      this.els.saved.replaceChildren(hint('The saved result is not available yet.'));
    }
  }

  showSaved(match) {
    const heading = el('h3', { textContent: `Saved result · ${new Date(match.ended_at).toLocaleTimeString()} · ${match.ticks} ticks` });
    this.els.saved.dataset.state = 'saved';
    this.els.saved.replaceChildren(heading, table(match.results.map((r) => ({ ...r, id: null })), null));
    if (match.replay) {
      const href = `/replays/${encodeURIComponent(match.id)}/`;
      this.els.saved.append(el('p', {}, el('a', { className: 'replay-link', href, target: '_blank', textContent: 'Watch the replay' })));
    }
  }

  hide() {
    this.els.root.hidden = true;
  }

  get visible() {
    return !this.els.root.hidden;
  }
}
