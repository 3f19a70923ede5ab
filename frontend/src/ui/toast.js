// Messages for people: short-lived toasts, and one lasting banner for the end of a session
// (kicked, banned, lobby closed). Text only, through textContent.

const history = [];

/** Show a toast; `kind` is "error", "warn" or "info". Returns the element. */
export function notify(message, { kind = 'error', timeoutMs = 6000 } = {}) {
  history.push({ kind, message });
  if (history.length > 50) history.shift();
  const box = document.getElementById('toasts');
  if (!box) return null;
  const toast = document.createElement('div');
  toast.className = `toast toast-${kind}`;
  toast.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  toast.textContent = message;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'toast-close';
  close.setAttribute('aria-label', 'Dismiss');
  close.textContent = '×';
  close.addEventListener('click', () => toast.remove());
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
