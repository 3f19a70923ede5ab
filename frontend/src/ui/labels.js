// Words for setting keys, in the page's language: "time_limit_s" -> "Time limit (s)". A key's
// words are the catalog's `setting.<key without its unit>`, the game's own first
// (`game.<name>.setting.<key>`, its module's MESSAGES), then the shared ones (locale/*.js);
// a key in neither is spelled out from its name (English only: tests/i18n/test_i18n_catalog.py
// wants every registered game's settings in the catalog).
import { has, language, t } from '../i18n.js';

const UNIT_SUFFIX = /_(s|ms|hz)$/;
// Settings whose name has no unit suffix but whose value has one.
const UNITS = { tick_rate: 'hz', broadcast_rate: 'hz', spectator_delay: 's' };

function parts(key) {
  const unit = key.match(UNIT_SUFFIX);
  return { base: unit ? key.slice(0, -unit[0].length) : key, unit: unit?.[1] ?? null };
}

/** The catalog key of a setting's words, or null when no catalog has them. */
export function settingKey(key, game = null) {
  const { base } = parts(key);
  const own = game && `game.${game}.setting.${base}`;
  if (own && has(own)) return own;
  return has(`setting.${base}`) ? `setting.${base}` : null;
}

function words(key, game) {
  const found = settingKey(key, game);
  if (found) return t(found);
  const spelled = parts(key).base.replaceAll('_', ' ');
  return spelled.charAt(0).toUpperCase() + spelled.slice(1);
}

/** A setting's form label: "Time limit (s)", "Score limit". `game`: the lobby's game's name. */
export function settingLabel(key, game = null) {
  const { unit } = parts(key);
  const text = words(key, game);
  return unit ? `${text} (${t(`unit.${unit}`)})` : text;
}

/** One setting as a chat line reads it: "time limit 40 s", "private on", "name “Friday”". */
export function describeSetting(key, value, game = null) {
  if (key === 'name' && typeof value === 'string') return t('setting.named', { value });
  const label = words(key, game).toLocaleLowerCase(language());
  let shown = value;
  if (typeof value === 'boolean') shown = t(value ? 'setting.on' : 'setting.off');
  else if (key === 'bot_difficulty' && has(`bots.${value}`)) shown = t(`bots.${value}`);
  const unit = parts(key).unit ?? UNITS[key];
  if (typeof value === 'number' && unit) shown = `${value} ${t(`unit.${unit}`)}`;
  return t('setting.change', { label, value: shown });
}

/** A `settings` event's changes as one line: "time limit 40 s, bots 2". */
export function describeSettings(changes, game = null) {
  return Object.entries(changes).map(([key, value]) => describeSetting(key, value, game)).join(', ');
}
