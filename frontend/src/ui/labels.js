// Words for setting keys: "time_limit_s" -> "Time limit (s)".

export function settingLabel(key) {
  const unit = key.match(/_(s|ms|hz)$/);
  const base = unit ? key.slice(0, -unit[0].length) : key;
  const words = base.replaceAll('_', ' ');
  const text = words.charAt(0).toUpperCase() + words.slice(1);
  return unit ? `${text} (${unit[1] === 'hz' ? 'Hz' : unit[1]})` : text;
}

// Settings whose name has no unit suffix but whose value has one.
const UNITS = { tick_rate: 'Hz', spectator_delay: 's' };
const UNIT_SUFFIXES = { s: 's', ms: 'ms', hz: 'Hz' };

/** One setting as a chat line reads it: "time limit 40 s", "private on", "name “Friday”". */
export function describeSetting(key, value) {
  const unit = key.match(/_(s|ms|hz)$/);
  const base = unit ? key.slice(0, -unit[0].length) : key;
  const words = base.replaceAll('_', ' ');
  if (typeof value === 'boolean') return `${words} ${value ? 'on' : 'off'}`;
  if (typeof value === 'string') return key === 'name' ? `name “${value}”` : `${words} ${value}`;
  const suffix = unit ? UNIT_SUFFIXES[unit[1]] : UNITS[key];
  return suffix ? `${words} ${value} ${suffix}` : `${words} ${value}`;
}

/** A `settings` event's changes as one line: "time limit 40 s, bots 2". */
export function describeSettings(changes) {
  return Object.entries(changes).map(([key, value]) => describeSetting(key, value)).join(', ');
}
