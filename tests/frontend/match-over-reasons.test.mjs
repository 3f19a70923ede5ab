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
    const words = ABORTED.map(reasonText);
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
