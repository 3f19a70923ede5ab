// The language switcher (templates/game/language.html, on every page) and remembering the
// choice. The server picks a page's language from Django's language cookie, else the
// browser's Accept-Language; a choice made here goes into that cookie and into localStorage,
// and the page reloads in it. A browser whose cookie was lost but whose localStorage
// remembers a choice gets the cookie back (one reload), so templates and scripts agree.
import { LANGUAGES, language } from '../i18n.js';

export const COOKIE = 'django_language'; // settings.LANGUAGE_COOKIE_NAME
export const STORE_KEY = 'language';
const SYNCED_KEY = 'language-synced'; // this tab reloaded once to agree: never loop
const YEAR_S = 365 * 24 * 3600;

function safely(fn, fallback = null) {
  try {
    return fn();
  } catch {
    return fallback; // storage can be disabled; the cookie and Accept-Language still work
  }
}

/** The language the cookie names, or null. */
export function cookieLanguage(doc = document) {
  const match = doc.cookie.match(new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`));
  return match && LANGUAGES.includes(match[1]) ? match[1] : null;
}

/** The language this browser chose (localStorage), or null. */
export function storedLanguage(storage = globalThis.localStorage) {
  const code = safely(() => storage.getItem(STORE_KEY));
  return LANGUAGES.includes(code) ? code : null;
}

/** Remember `code` in localStorage and in the cookie Django reads. */
export function rememberLanguage(code, { doc = document, storage = globalThis.localStorage } = {}) {
  safely(() => storage.setItem(STORE_KEY, code));
  doc.cookie = `${COOKIE}=${code}; path=/; max-age=${YEAR_S}; samesite=lax`;
}

/**
 * What the page should do about its language (pure): 'reload' when the remembered choice is
 * not the page's and the cookie does not carry it yet (once per tab), 'store' when the cookie
 * names a choice localStorage does not hold, else 'keep'.
 */
export function languagePlan({ page, stored, cookie, synced }) {
  if (stored && stored !== page && cookie !== stored && !synced) return 'reload';
  if (!stored && cookie) return 'store';
  return 'keep';
}

/** Wire the switcher and make the page agree with the remembered choice; false when the page
 * is reloading into another language (nothing else should start). */
export function startLanguage(doc = document, win = window) {
  const stored = storedLanguage(win.localStorage);
  const cookie = cookieLanguage(doc);
  const plan = languagePlan({ page: language(), stored, cookie, synced: safely(() => win.sessionStorage.getItem(SYNCED_KEY)) });
  if (plan === 'reload') {
    safely(() => win.sessionStorage.setItem(SYNCED_KEY, '1'));
    rememberLanguage(stored, { doc, storage: win.localStorage });
    win.location.reload();
    return false;
  }
  if (plan === 'store') rememberLanguage(cookie, { doc, storage: win.localStorage });
  const select = doc.getElementById('language');
  if (!select) return true;
  for (const button of select.form.querySelectorAll('[data-no-script]')) button.hidden = true;
  select.addEventListener('change', () => {
    if (!LANGUAGES.includes(select.value)) return;
    rememberLanguage(select.value, { doc, storage: win.localStorage });
    win.location.reload();
  });
  return true;
}
