// The screen that ends a session on this page (kicked, banned, lobby closed or gone, full,
// locked, the seat taken over by another tab): what happened, by whom, and what to do next.
import { t } from '../i18n.js';

/** The close names with a title of their own (catalog: final.<name>); others say Disconnected. */
export const FINAL_TITLES = Object.freeze(['kicked', 'banned', 'lobby_closed', 'lobby_not_found', 'lobby_full',
  'lobby_locked', 'replaced', 'too_many_connections']);

/** Who removed a member, as the removed person reads it: the `by` of a `kicked` or `banned`
 * event (0: the staff dashboard) and the lobby's members (the remover among them). */
export function remover(by, members = []) {
  if (by === 0) return t('who.staff');
  const who = members.find((m) => m.id === by);
  if (!who) return null;
  return t(who.staff ? 'who.staff_named' : 'who.host_named', { name: who.name });
}

/** The message of a final close `info` ({name, message}); `by` says who kicked or banned. */
export function finalMessage(info, by = null) {
  if (info.name === 'kicked' && by) return t('final.kicked_by', { by });
  if (info.name === 'banned' && by) return t('final.banned_by', { by });
  if (info.name === 'replaced') return t('final.replaced_message');
  return info.message;
}

export class FinalScreen {
  /** `els`: {root, title, message, spectate, retake, back}; `onRetake()` takes the seat back here. */
  constructor(els, { onRetake }) {
    this.els = els;
    els.retake.addEventListener('click', () => onRetake());
  }

  show(info, by = null) {
    const { els } = this;
    els.title.textContent = t(FINAL_TITLES.includes(info.name) ? `final.${info.name}` : 'final.disconnected');
    els.message.textContent = finalMessage(info, by);
    els.root.closest('main').classList.add('ended');
    els.root.dataset.reason = info.name;
    els.spectate.hidden = !['lobby_full', 'lobby_locked'].includes(info.name);
    els.retake.hidden = info.name !== 'replaced';
    els.back.classList.toggle('primary', els.retake.hidden); // one main way on
    els.root.hidden = false;
    return els.message.textContent;
  }
}
