// The browser's catalog: every key in both languages (the shared texts and each game's), the
// same placeholders in each, Hindi written in Devanagari, every protocol code worded; and how
// lookups, plurals and the language choice behave.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import './msgpack-resolve.mjs';
import { test } from 'node:test';

const I = await import('../../frontend/src/i18n.js');
const P = await import('../../frontend/src/protocol.js');
const { languagePlan } = await import('../../frontend/src/ui/language.js');
const GAMES_DIR = new URL('../../frontend/src/games/', import.meta.url);
const games = await Promise.all(readdirSync(GAMES_DIR).filter((f) => f.endsWith('.js'))
  .map(async (file) => [file, await import(new URL(file, GAMES_DIR).href)]));

const DEVANAGARI = /[\u0900-\u097F]/;
const placeholders = (text) => [...String(text).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const texts = (entry) => (typeof entry === 'string' ? [entry] : Object.values(entry));
// Texts that are the same in every language: units and placeholders only.
const SAME_EVERYWHERE = new Set(['unit.ms', 'unit.hz', 'panel.hz', 'setting.change', 'staff.phase_count']);

function checkLanguages(catalogs, where) {
  const [en, ...others] = I.LANGUAGES;
  for (const code of others) {
    assert.deepEqual(Object.keys(catalogs[code]).sort(), Object.keys(catalogs[en]).sort(), `${where}: ${code} has the keys en has`);
    for (const [key, english] of Object.entries(catalogs[en])) {
      const local = catalogs[code][key];
      assert.equal(typeof local, typeof english, `${where} ${key}: the same kind of entry`);
      const wanted = placeholders(texts(english)[0]);
      for (const text of texts(local)) {
        assert.ok(text, `${where} ${key}: empty in ${code}`);
        assert.deepEqual(placeholders(text), wanted, `${where} ${key}: placeholders in ${code}`);
        if (code === 'hi' && !SAME_EVERYWHERE.has(key)) assert.match(text, DEVANAGARI, `${where} ${key}: Hindi in Devanagari`);
      }
      if (typeof english !== 'string') assert.ok(english.one && english.other && local.other, `${where} ${key}: plural forms`);
    }
  }
}

test('every key, the shared ones and each game\'s, has every language; Hindi in Devanagari', () => {
  checkLanguages(Object.fromEntries(I.LANGUAGES.map((code) => [code, I.messages(code)])), 'catalog');
  for (const [file, module] of games) {
    assert.ok(module.MESSAGES && module.default.messages === module.MESSAGES, `${file}: exports MESSAGES as its spec's messages`);
    checkLanguages(module.MESSAGES, file);
    assert.ok(module.MESSAGES.en.help, `${file}: a help line`);
  }
});

test('every error code and close code the server sends has words in the catalog', () => {
  for (const code of Object.keys(P.ERRORS)) assert.ok(I.has(P.ERROR_MESSAGES[code]), code);
  for (const [name] of Object.values(P.CLOSE_CODES)) assert.ok(I.has(P.CLOSE_MESSAGES[name]), name);
  for (const name of ['normal', 'going_away', 'connection_lost']) assert.ok(I.has(`close.${name}`), name);
});

test('a lookup fills placeholders, picks plural forms, falls back to English, then to the key', () => {
  I.addMessages({ en: { 'x.test': 'Hi {name}, {n}', 'x.n': { one: '{n} bot', other: '{n} bots' }, 'x.only_en': 'English' },
    hi: { 'x.test': 'नमस्ते {name}, {n}', 'x.n': { one: '{n} बॉट', other: '{n} बॉट' } } });
  try {
    assert.equal(I.t('x.test', { name: 'Ann', n: 3 }), 'Hi Ann, 3');
    assert.deepEqual([I.t('x.n', { n: 1 }), I.t('x.n', { n: 2 })], ['1 bot', '2 bots']);
    I.setLanguage('hi');
    assert.equal(I.t('x.test', { name: 'Ann', n: 3 }), 'नमस्ते Ann, 3');
    assert.equal(I.t('x.only_en'), 'English');
    assert.equal(I.t('x.missing'), 'x.missing');
    assert.equal(P.describeError('forbidden', 'role spectator may not start'), 'आपको ऐसा करने की अनुमति नहीं है।',
      "a Hindi page does not show the server's English words");
    assert.match(P.describeClose(P.CLOSE.kicked).message, /निकाल/);
  } finally {
    I.setLanguage('en');
  }
  assert.equal(P.describeError('forbidden', 'detail'), 'You are not allowed to do that. (detail)');
});

test("the language is the page's, else the browser's, else English", () => {
  assert.equal(I.pickLanguage(['hi-IN', 'en']), 'hi');
  assert.equal(I.pickLanguage(['fr-FR', 'en-GB']), 'en');
  assert.equal(I.pickLanguage(['de']), 'en');
  const doc = (lang) => ({ documentElement: { lang } });
  assert.equal(I.pageLanguage(doc('hi'), { languages: ['en-US'] }), 'hi');
  assert.equal(I.pageLanguage(doc(''), { languages: ['fr', 'hi-IN'] }), 'hi');
  assert.equal(I.pageLanguage(undefined, { languages: ['hi'] }), 'en', 'outside a page (node) texts are English');
});

test('a remembered choice wins over the page once: the cookie is set and the page reloads', () => {
  assert.equal(languagePlan({ page: 'en', stored: 'hi', cookie: null, synced: null }), 'reload');
  assert.equal(languagePlan({ page: 'en', stored: 'hi', cookie: null, synced: '1' }), 'keep', 'never a reload loop');
  assert.equal(languagePlan({ page: 'hi', stored: 'hi', cookie: 'hi', synced: null }), 'keep');
  assert.equal(languagePlan({ page: 'hi', stored: null, cookie: 'hi', synced: null }), 'store');
  assert.equal(languagePlan({ page: 'en', stored: null, cookie: null, synced: null }), 'keep');
});
