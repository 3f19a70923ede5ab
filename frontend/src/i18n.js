// The browser's message catalog: every text a module shows a person is looked up here by key,
// `t('chat.left', {name})`, in the page's language. The shared modules' texts are in
// locale/<language>.js; a game's own are in its module (`MESSAGES`, added with gameText), so a
// new game brings its words with it (docs/i18n.md, docs/new-game.md).
//
// The page's language is the server's choice, <html lang> (Django's: the language cookie, else
// the browser's Accept-Language), so the templates and the scripts always agree; a page without
// one follows navigator.languages. It is fixed for the page's life: switching languages
// (ui/language.js) reloads the page.
import en from './locale/en.js';
import hi from './locale/hi.js';

export const LANGUAGES = Object.freeze(['en', 'hi']);
export const DEFAULT_LANGUAGE = 'en';
export const LANGUAGE_NAMES = Object.freeze({ en: 'English', hi: 'हिन्दी' });

const catalogs = { en: { ...en }, hi: { ...hi } };
const warned = new Set();
let current = null;

/** The first of the `wanted` language tags (best first: 'hi-IN', 'en') this site speaks, by
 * the whole tag or its language; the default when none is. */
export function pickLanguage(wanted, available = LANGUAGES) {
  for (const tag of wanted ?? []) {
    const code = String(tag ?? '').toLowerCase();
    if (available.includes(code)) return code;
    if (available.includes(code.split('-')[0])) return code.split('-')[0];
  }
  return DEFAULT_LANGUAGE;
}

/** The page's language: its <html lang>, else the browser's preferences (none outside a page). */
export function pageLanguage(doc = globalThis.document, nav = globalThis.navigator) {
  if (!doc) return DEFAULT_LANGUAGE;
  return pickLanguage([doc.documentElement?.lang, ...(nav?.languages ?? [nav?.language])].filter(Boolean));
}

/** The language texts are looked up in. */
export function language() {
  current ??= pageLanguage();
  return current;
}

/** Look texts up in `code` from now on (tests; a page takes its own language). */
export function setLanguage(code) {
  current = pickLanguage([code]);
  return current;
}

/** Add texts: `messages` = {en: {key: text}, hi: {...}}, each key under `prefix`. */
export function addMessages(messages, prefix = '') {
  for (const [code, texts] of Object.entries(messages)) {
    catalogs[code] ??= {};
    for (const [key, text] of Object.entries(texts)) catalogs[code][prefix + key] = text;
  }
}

/** Every key and its text in `code` (what tests compare across languages). */
export function messages(code) {
  return { ...catalogs[code] };
}

/** Whether `key` has a text (in English at least). */
export function has(key) {
  return Object.hasOwn(catalogs[DEFAULT_LANGUAGE], key);
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

function form(entry, n, code) {
  if (typeof entry === 'string') return entry;
  return entry[new Intl.PluralRules(code).select(Number(n ?? 0))] ?? entry.other;
}

/**
 * The text of `key` in the page's language, its `{name}` placeholders filled from `params`;
 * an entry {one, other} is chosen by `params.n` (Intl.PluralRules). A key the language lacks
 * falls back to English, one English lacks shows as itself (and is reported once).
 */
export function t(key, params = {}) {
  const code = language();
  let entry = catalogs[code]?.[key] ?? catalogs[DEFAULT_LANGUAGE][key];
  if (entry === undefined) {
    if (!warned.has(key)) console.warn(`i18n: no text for ${key}`);
    warned.add(key);
    entry = key;
  }
  return fill(form(entry, params.n, catalogs[code]?.[key] === undefined ? DEFAULT_LANGUAGE : code), params);
}

/** `text` with the server's own words `detail` (protocol text, in English) after it, on an
 * English page only: elsewhere a person reads the catalog's sentence alone. */
export function withDetail(text, detail) {
  return detail && language() === DEFAULT_LANGUAGE ? `${text} (${detail})` : text;
}

/** A game's texts: adds `messages` ({en, hi}) under `game.<name>.` and returns its lookup,
 * `t('help')`; a game module calls it once (docs/new-game.md). */
export function gameText(name, gameMessages) {
  const prefix = `game.${name}.`;
  addMessages(gameMessages, prefix);
  return (key, params = {}) => t(prefix + key, params);
}

/** A time of day in the page's language, digits as digits ("5:30:00 pm"). */
export function clockTime(date) {
  return date.toLocaleTimeString(language(), { numberingSystem: 'latn' });
}
