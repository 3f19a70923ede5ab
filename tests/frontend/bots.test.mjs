// The lobby panel's bot controls: the seats bots may fill, the seats a start fills, and
// the settings change sent (only what changed, a whole count within the free seats).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BOT_DIFFICULTIES, botChanges, botLimit, botSettings, seatsAtStart } from '../../frontend/src/ui/bots.js';

const lobby = (overrides = {}) => ({ max_players: 4, players: 1, bots: 0, settings: {}, ...overrides });

test('bots may fill the seats people leave free', () => {
  assert.equal(botLimit(lobby()), 3);
  assert.equal(botLimit(lobby({ players: 4 })), 0);
  assert.equal(botLimit(lobby(), 8), 7);
  assert.deepEqual(botSettings(lobby()), { count: 0, difficulty: 'normal', limit: 3 });
  assert.deepEqual(botSettings(lobby({ settings: { bots: 2, bot_difficulty: 'hard' } })),
    { count: 2, difficulty: 'hard', limit: 3 });
  assert.deepEqual(BOT_DIFFICULTIES, ['easy', 'normal', 'hard']);
});

test('a start seats the people and as many bots as fit', () => {
  assert.equal(seatsAtStart(lobby()), 1);
  assert.equal(seatsAtStart(lobby({ settings: { bots: 2 } })), 3);
  assert.equal(seatsAtStart(lobby({ players: 3, settings: { bots: 3 } })), 4, 'people who joined since take seats first');
});

test('the change holds only what the host changed', () => {
  const current = lobby({ settings: { bots: 2, bot_difficulty: 'hard' } });
  assert.deepEqual(botChanges(current, { count: '2', difficulty: 'hard' }), {});
  assert.deepEqual(botChanges(current, { count: '0', difficulty: 'hard' }), { bots: 0 });
  assert.deepEqual(botChanges(current, { count: '2', difficulty: 'easy' }), { bot_difficulty: 'easy' });
  assert.deepEqual(botChanges(lobby(), { count: '3', difficulty: 'hard' }), { bots: 3, bot_difficulty: 'hard' });
});

test('the count is a whole number within the free seats; nonsense changes nothing', () => {
  assert.deepEqual(botChanges(lobby(), { count: '9', difficulty: 'normal' }), { bots: 3 });
  assert.deepEqual(botChanges(lobby(), { count: '-2', difficulty: 'normal' }), {});
  assert.deepEqual(botChanges(lobby({ settings: { bots: 1 } }), { count: '-2', difficulty: 'normal' }), { bots: 0 });
  assert.deepEqual(botChanges(lobby(), { count: '2.7', difficulty: 'normal' }), { bots: 2 });
  assert.deepEqual(botChanges(lobby(), { count: '', difficulty: 'normal' }), {});
  assert.deepEqual(botChanges(lobby(), { count: undefined, difficulty: 'impossible' }), {});
});

test('a seat count changed in the same form sets the limit', () => {
  assert.deepEqual(botChanges(lobby(), { count: '7', difficulty: 'normal', maxPlayers: 8 }), { bots: 7 });
  assert.deepEqual(botChanges(lobby(), { count: '7', difficulty: 'normal', maxPlayers: 2 }), { bots: 1 });
});

test('a saved count above the seats left is not resent unless the host changes it', () => {
  const crowded = lobby({ players: 3, settings: { bots: 3 } });
  assert.deepEqual(botChanges(crowded, { count: '3', difficulty: 'normal' }), {});
});
