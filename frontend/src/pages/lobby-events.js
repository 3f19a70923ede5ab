// The lobby's events as the game page tells them (pages/game.js): each is called with the
// page's GameSession as `this` and mostly becomes a line in the chat log, in the page's
// language; the game's own events are worded by its module (registry.js: describe, flash).
import { t } from '../i18n.js';
import { seatsAtStart } from '../ui/bots.js';
import { remover } from '../ui/final.js';
import { reasonText } from '../ui/results.js';
import { describeSettings } from '../ui/labels.js';

const HIT_FLASH_MS = 180;

/** A member was kicked or banned (`what`); when it is this page's, remember by whom. */
function removal(session, e, what) {
  const by = session.nameOf(e.by);
  if (e.id !== session.you) {
    session.chat.system(t(`chat.other_${what}`, { name: e.name, by }));
    return;
  }
  session.removedBy = remover(e.by, session.lobby?.members);
  session.chat.system(t(`chat.you_${what}`, { by }));
}

export const EVENTS = {
  joined(e) { if (e.id !== this.you) this.chat.system(t(e.role === 'spectator' ? 'chat.joined_to_watch' : 'chat.joined', { name: e.name })); },
  left(e) { this.chat.system(t('chat.left', { name: e.name })); },
  kicked(e) { removal(this, e, 'kicked'); },
  banned(e) { removal(this, e, 'banned'); },
  host(e) {
    if (e.id === this.knownHost) return; // the welcome told of it already
    this.knownHost = e.id;
    if (e.id === null) return;
    this.chat.system(e.id === this.you ? t('chat.you_host') : t('chat.other_host', { name: this.nameOf(e.id) }));
  },
  away(e) { this.chat.system(t('chat.away', { name: e.name, s: Math.round(e.grace_s) })); },
  back(e) { if (e.id !== this.you) this.chat.system(t('chat.back', { name: e.name })); },
  locked(e) { this.chat.system(t(e.locked ? 'chat.locked' : 'chat.unlocked')); },
  settings(e) { this.chat.system(t('chat.settings', { changes: describeSettings(e.changes, this.game) })); },
  ready() {},
  chat(e) { this.chat.chat(e, e.id === this.you); },
  countdown(e) {
    this.countdownEnd = performance.now() + e.seconds * 1000;
    this.results.hide();
    this.predictor.reset();
  },
  match_start() {
    this.countdownEnd = null;
    this.goUntil = performance.now() + 800;
    this.chat.system(t('chat.started'));
  },
  match_over(e) {
    // The same end is told again after a welcome while the lobby is finished (a reconnect):
    // shown once per page.
    const told = `${e.match} ${e.status} ${e.reason}`;
    if (this.matchOverTold === told) return;
    this.matchOverTold = told;
    const players = this.lobby ? seatsAtStart(this.lobby) : 0; // bots fill seats for a rematch
    this.results.show(e, { you: this.you, admin: this.isAdmin(), members: players, game: this.game });
    const winner = e.results.find((r) => r.winner);
    if (e.status === 'aborted') this.chat.system(t('chat.over_aborted', { reason: reasonText(e.reason, this.game) }));
    else this.chat.system(winner ? t('chat.over_winner', { name: winner.name }) : t('chat.over'));
  },
  lobby_closed() { this.chat.system(t('chat.closed')); },
  /** An event of the game's own, as its module words it and flashes it. */
  game(e) {
    if (!this.spec) return;
    const flash = this.spec.flash(e);
    if (flash !== null && flash !== undefined) this.hits.set(flash, performance.now() + HIT_FLASH_MS);
    const line = this.spec.describe(e, (id) => this.nameOf(id));
    if (line) this.chat.system(line, 'game-event');
  },
};
