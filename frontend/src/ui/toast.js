// Messages for people: toasts for errors, warnings and news, which fade after a while
// (or stay, with timeoutMs 0). Text only, through textContent.
import { t } from '../i18n.js';
import { el } from './dom.js';

const history = [];
const timers = new WeakMap(); // toast -> the timer that removes it

/** Show a toast; `kind` is "error", "warn" or "info". Returns the element. The same message
 * shown again while its toast is up does not stack a second one: that toast stays longer. */
export function notify(message, { kind = 'error', timeoutMs = 6000 } = {}) {
  history.push({ kind, message });
  if (history.length > 50) history.shift();
  const box = document.getElementById('toasts');
  if (!box) return null;
  const same = [...box.children].find((t) => t.dataset.kind === kind && t.dataset.message === message);
  const toast = same ?? build(message, kind);
  clearTimeout(timers.get(toast));
  box.append(toast); // newest last, a repeated one included
  while (box.children.length > 4) box.firstElementChild.remove();
  if (timeoutMs) timers.set(toast, setTimeout(() => toast.remove(), timeoutMs));
  return toast;
}

function build(message, kind) {
  const toast = el('div', { className: `toast toast-${kind}`, textContent: message, dataset: { kind, message } });
  toast.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const close = el('button', { type: 'button', className: 'toast-close', textContent: '×', onclick: () => toast.remove() });
  close.setAttribute('aria-label', t('toast.dismiss'));
  toast.append(close);
  return toast;
}

/** The messages shown so far (newest last): for the page's test hook. */
export function notifications() {
  return history.slice();
}
