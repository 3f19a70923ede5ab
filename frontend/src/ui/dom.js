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
