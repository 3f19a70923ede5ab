// The screen that ends a session on this page (kicked, banned, lobby closed or gone, full,
// locked, the seat taken over by another tab): what happened, by whom, and what to do next.

export const FINAL_TITLES = {
  kicked: 'Kicked', banned: 'Banned', lobby_closed: 'Lobby closed', lobby_not_found: 'Lobby not found',
  lobby_full: 'Lobby full', lobby_locked: 'Lobby locked', replaced: 'Playing in another tab',
  too_many_connections: 'Too many connections',
};

const REPLACED = 'Your seat in this lobby is now open in another tab or window of this browser, '
  + 'and only one of them can play it. Play here instead, or go on in the other one.';

/** Who removed a member, as the removed person reads it: the `by` of a `kicked` or `banned`
 * event (0: the staff dashboard) and the lobby's members (the remover among them). */
export function remover(by, members = []) {
  if (by === 0) return 'staff';
  const who = members.find((m) => m.id === by);
  if (!who) return null;
  return who.staff ? `staff (${who.name})` : `the host (${who.name})`;
}

/** The message of a final close `info` ({name, message}); `by` says who kicked or banned. */
export function finalMessage(info, by = null) {
  if (info.name === 'kicked' && by) return `You were kicked from the lobby by ${by}.`;
  if (info.name === 'banned' && by) return `You were banned from this lobby by ${by}.`;
  if (info.name === 'replaced') return REPLACED;
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
    els.title.textContent = FINAL_TITLES[info.name] ?? 'Disconnected';
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
