// Setting names and values as people read them, in forms and in the chat.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const { describeSettings, settingLabel } = await import('../../frontend/src/ui/labels.js');

test('a settings change reads with its unit after the value', () => {
  assert.equal(describeSettings({ time_limit_s: 40 }), 'time limit 40 s');
  assert.equal(describeSettings({ tick_rate: 30, spectator_delay: 5 }), 'tick rate 30 Hz, spectator delay 5 s');
  assert.equal(describeSettings({ score_limit: 7, bots: 2, max_players: 4 }), 'score limit 7, bots 2, max players 4');
});

test('switches read on and off, names and words as they are', () => {
  assert.equal(describeSettings({ private: true }), 'private on');
  assert.equal(describeSettings({ private: false }), 'private off');
  assert.equal(describeSettings({ name: 'Friday', bot_difficulty: 'hard' }), 'name “Friday”, bot difficulty hard');
});

test('form labels keep the unit in brackets', () => {
  assert.equal(settingLabel('time_limit_s'), 'Time limit (s)');
});
