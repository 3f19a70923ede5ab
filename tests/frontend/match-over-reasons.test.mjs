// Why a match ended, as the results screen and the chat word it (ui/results.js): every reason the
// server sends (docs/protocol.md, "Match-over reasons") has words of its own in each language.
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { test } from 'node:test';

const I = await import('../../frontend/src/i18n.js');
const { reasonText } = await import('../../frontend/src/ui/results.js');

const ABORTED = ['lobby_host', 'lobby_staff', 'lobby_empty', 'lobby_shutdown', 'lobby_server_error',
  'lease_expired', 'lease_lost', 'handover', 'owner_lost'];

test('each reason a match is aborted for reads differently, in English and in Hindi', () => {
  for (const code of I.LANGUAGES) {
    I.setLanguage(code);
    const words = ABORTED.map((reason) => reasonText(reason));
    assert.equal(new Set(words).size, ABORTED.length, `${code}: ${words.join(' | ')}`);
    for (const [i, text] of words.entries()) assert.notEqual(text, ABORTED[i].replaceAll('_', ' '), code);
  }
  I.setLanguage('en');
});

test('a lobby_ reason this page has no words for reads as a lobby closed mid-match; others as their words', () => {
  I.setLanguage('en');
  assert.equal(reasonText('lobby_someday'), reasonText('lobby_closed'));
  assert.equal(reasonText('a_new_reason'), 'a new reason');
  assert.equal(reasonText(null), '');
});

test("a game's own reason reads in its module's words, in English and in Hindi", async () => {
  const { MESSAGES } = await import('../../frontend/src/games/liars_dice.js');
  const words = { en: 'Last one standing', hi: 'आख़िरी बचे खिलाड़ी की जीत' };
  for (const code of I.LANGUAGES) {
    I.setLanguage(code);
    assert.equal(MESSAGES[code]['reason.last_standing'], words[code]);
    assert.equal(reasonText('last_standing', 'liars_dice'), words[code], code);
  }
  I.setLanguage('en');
  assert.equal(reasonText('last_standing'), 'last standing', "the shared catalog has no game's words");
});

test("a game's words for a reason come first, then the shared ones", () => {
  I.gameText('reason_test', {
    en: { 'reason.all_stars': 'Every star taken', 'reason.time_up': 'The stars went out' },
    hi: { 'reason.all_stars': 'सारे तारे ले लिए गए', 'reason.time_up': 'तारे बुझ गए' },
  });
  I.setLanguage('hi');
  assert.equal(reasonText('all_stars', 'reason_test'), 'सारे तारे ले लिए गए');
  assert.equal(reasonText('time_up', 'reason_test'), 'तारे बुझ गए');
  assert.equal(reasonText('score_limit', 'reason_test'), reasonText('score_limit'));
  assert.equal(reasonText('lobby_host', 'reason_test'), reasonText('lobby_host'));
  I.setLanguage('en');
  assert.equal(reasonText('all_stars', 'reason_test'), 'Every star taken');
  assert.equal(reasonText('all_stars', 'another_game'), 'all stars');
});
