// A game setting's form input, as GET /api/games describes the setting: {type: 'int' |
// 'float' | 'bool', default, min, max}. The browser's own checks (min, max, step) are the
// bounds the server enforces, so a value it would refuse is caught before it is sent.

/** The input's attributes for `spec` (a `settings` entry of /api/games; `value` stands in
 * for a server that does not publish one). */
export function settingInputProps(spec, value) {
  const type = spec?.type ?? (typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int' : 'float');
  if (type === 'bool') return { type: 'checkbox' };
  const props = { type: 'number', step: type === 'int' ? '1' : 'any', min: String(spec?.min ?? 1) };
  if (spec?.max !== undefined) props.max = String(spec.max);
  return props;
}

/** What the server expects for the input's current text or state: a boolean for a checkbox,
 * else a number (an integer for an integer setting). */
export function settingValue(spec, input) {
  if (input.type === 'checkbox') return input.checked;
  const number = Number(input.value);
  return (spec?.type ?? 'int') === 'int' ? Math.round(number) : number;
}

/** An input's current text or state as its `data-initial` keeps the value it was built with. */
function shown(input) {
  return input.type === 'checkbox' ? String(input.checked) : input.value;
}

/**
 * What the person typed into a settings form that is about to be built again: {name: {value,
 * initial}} of each input whose text or state differs from `data-initial` (the value it was
 * built with). `inputs`: the form's inputs (any iterable).
 */
export function editsOf(inputs) {
  const edits = {};
  for (const input of inputs) {
    const initial = input.dataset?.initial;
    if (input.name && initial !== undefined && shown(input) !== initial) edits[input.name] = { value: shown(input), initial };
  }
  return edits;
}

/**
 * Put `edits` (from `editsOf`) back into the new form's `inputs`: each one the person changed is
 * shown as they left it, unless the setting itself changed meanwhile (its new `data-initial`
 * differs from the one they edited from: the lobby's new value wins). A form is built again
 * when the game list or a lobby frame comes; what was typed must not be lost to it.
 */
export function keepEdits(inputs, edits) {
  for (const input of inputs) {
    const edit = edits[input.name];
    if (!edit || input.dataset?.initial === undefined || input.dataset.initial !== edit.initial) continue;
    if (input.type === 'checkbox') input.checked = edit.value === 'true';
    else input.value = edit.value;
  }
}
