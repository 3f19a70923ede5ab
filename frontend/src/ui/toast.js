// Messages for people: toasts for errors, warnings and news, which fade after a while
// (or stay, with timeoutMs 0). Text only, through textContent.
import { el } from './dom.js';

const history = [];

/** Show a toast; `kind` is "error", "warn" or "info". Returns the element. */
export function notify(message, { kind = 'error', timeoutMs = 6000 } = {}) {
  history.push({ kind, message });
  if (history.length > 50) history.shift();
  const box = document.getElementById('toasts');
  if (!box) return null;
  const toast = el('div', { className: `toast toast-${kind}`, textContent: message });
  toast.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const close = el('button', { type: 'button', className: 'toast-close', textContent: '×', onclick: () => toast.remove() });
  close.setAttribute('aria-label', 'Dismiss');
  toast.append(close);
  box.append(toast);
  while (box.children.length > 4) box.firstElementChild.remove();
  if (timeoutMs) setTimeout(() => toast.remove(), timeoutMs);
  return toast;
}

/** The messages shown so far (newest last): for the page's test hook. */
export function notifications() {
  return history.slice();
}
