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
