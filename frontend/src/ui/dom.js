// Building DOM nodes from data. Text goes in through properties (textContent), never as HTML.

/** `el('li', {className: 'x', textContent: name, dataset: {id: '3'}}, ...children)` */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

const CONTROLS = 'a[href], button, input, select, textarea';

/**
 * `container.replaceChildren(...rows)` for a table drawn anew on every poll, keeping the focus:
 * a control focused in a row (a child with `data-code`) is focused again in the new row of the
 * same code, at the same place among its controls. Without it a keyboard user tabbing through
 * the table is sent back to the top of the page at each redraw.
 */
export function replaceRows(container, rows) {
  const active = container.ownerDocument?.activeElement;
  const row = active && container.contains(active) ? active.closest('[data-code]') : null;
  const at = row ? [...row.querySelectorAll(CONTROLS)].indexOf(active) : -1;
  container.replaceChildren(...rows);
  if (at < 0) return;
  const again = [...container.children].find((r) => r.dataset.code === row.dataset.code);
  again?.querySelectorAll(CONTROLS)[at]?.focus({ preventScroll: true });
}
