// Forms and tables drawn anew keep what the person was doing: a settings form built again (the
// game list or the game modules came, a lobby frame) keeps the values typed and not yet sent,
// and a table redrawn by its poll keeps the keyboard focus on the same control of the same row.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { replaceRows } from '../../frontend/src/ui/dom.js';
import { editsOf, keepEdits } from '../../frontend/src/ui/setting-input.js';

const input = (name, value, initial, type = 'number') => (type === 'checkbox'
  ? { name, type, checked: value, dataset: { initial: String(initial) } }
  : { name, type, value: String(value), dataset: { initial: String(initial) } });

test('a value typed into the create form survives the form being built again', () => {
  const before = [input('score_limit', 3, 5), input('time_limit_s', 120, 120), input('friendly_fire', true, false, 'checkbox')];
  const edits = editsOf(before);
  assert.deepEqual(edits, { score_limit: { value: '3', initial: '5' }, friendly_fire: { value: 'true', initial: 'false' } });
  const after = [input('score_limit', 5, 5), input('time_limit_s', 120, 120), input('friendly_fire', false, false, 'checkbox')];
  keepEdits(after, edits);
  assert.equal(after[0].value, '3');
  assert.equal(after[1].value, '120');
  assert.equal(after[2].checked, true);
});

test('a setting the lobby changed meanwhile shows the lobby\'s new value, not the old edit', () => {
  const edits = editsOf([input('score_limit', 3, 5), input('time_limit_s', 40, 120)]);
  const after = [input('score_limit', 7, 7), input('time_limit_s', 120, 120)];
  keepEdits(after, edits);
  assert.equal(after[0].value, '7', 'the lobby went from 5 to 7: its value wins');
  assert.equal(after[1].value, '40', 'unchanged in the lobby: the typed 40 stays');
});

test('inputs without a built-in value (no data-initial) are left alone', () => {
  assert.deepEqual(editsOf([{ name: 'bots', type: 'number', value: '2', dataset: {} }]), {});
  const after = [{ name: 'bots', type: 'number', value: '0', dataset: {} }];
  keepEdits(after, { bots: { value: '2', initial: undefined } });
  assert.equal(after[0].value, '0');
});

/** A minimal DOM: a table body of rows (data-code) of controls, and the document's focus. */
function fakeTable() {
  const doc = { activeElement: null };
  const body = {
    ownerDocument: doc,
    children: [],
    contains(node) { return this.children.some((row) => row.controls.includes(node)); },
    replaceChildren(...rows) { // a removed focused control leaves the focus nowhere (the body)
      const had = this.contains(doc.activeElement);
      this.children = rows;
      if (had) doc.activeElement = null;
    },
  };
  const row = (code, labels) => {
    const r = { dataset: { code }, controls: [] };
    r.controls = labels.map((label) => ({ label, closest: () => r, focus() { doc.activeElement = this; } }));
    r.querySelectorAll = () => r.controls;
    return r;
  };
  return { doc, body, row };
}

test('a table redrawn by its poll keeps the focus on the same control of the same row', () => {
  const { doc, body, row } = fakeTable();
  replaceRows(body, [row('AAA', ['join', 'watch']), row('BBB', ['join', 'watch'])]);
  body.children[1].controls[1].focus();
  replaceRows(body, [row('CCC', ['join', 'watch']), row('BBB', ['join', 'watch']), row('AAA', ['join', 'watch'])]);
  assert.equal(doc.activeElement, body.children[1].controls[1], 'the new BBB row\'s second control');
  assert.equal(doc.activeElement.label, 'watch');
});

test('a row that went away takes the focus with it, and no focus in the table is none after', () => {
  const { doc, body, row } = fakeTable();
  replaceRows(body, [row('AAA', ['join'])]);
  body.children[0].controls[0].focus();
  replaceRows(body, [row('BBB', ['join'])]);
  assert.equal(doc.activeElement, null);
  const outside = { focus() {} };
  doc.activeElement = outside;
  replaceRows(body, [row('CCC', ['join'])]);
  assert.equal(doc.activeElement, outside);
});
