// Words for setting keys: "time_limit_s" -> "Time limit (s)".

export function settingLabel(key) {
  const unit = key.match(/_(s|ms|hz)$/);
  const base = unit ? key.slice(0, -unit[0].length) : key;
  const words = base.replaceAll('_', ' ');
  const text = words.charAt(0).toUpperCase() + words.slice(1);
  return unit ? `${text} (${unit[1] === 'hz' ? 'Hz' : unit[1]})` : text;
}
