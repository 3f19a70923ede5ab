// The HUD's words: the round timer, the connection state, player colours, setting labels.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connectionText, formatClock } from '../../frontend/src/hud.js';
import { PLAYER_COLOURS, colourMap } from '../../frontend/src/render/canvas.js';
import { settingLabel } from '../../frontend/src/ui/labels.js';

test('the round timer reads minutes and seconds, rounded up', () => {
  assert.equal(formatClock(180), '3:00');
  assert.equal(formatClock(59.1), '1:00');
  assert.equal(formatClock(9.9), '0:10');
  assert.equal(formatClock(0), '0:00');
  assert.equal(formatClock(-3), '0:00');
});

test('the connection state reads as words', () => {
  assert.equal(connectionText({ state: 'open' }), 'Connected');
  assert.equal(connectionText({ state: 'connecting', attempt: 0 }), 'Connecting…');
  assert.equal(connectionText({ state: 'connecting', attempt: 2 }), 'Reconnecting… (attempt 2)');
  assert.equal(connectionText({ state: 'reconnecting', retryAt: 5_000 }, 2_100), 'Connection lost, retrying in 3 s');
  assert.equal(connectionText({ state: 'closed' }), 'Disconnected');
});

test('players get distinct colours from their member ids, the same on every screen', () => {
  const colours = colourMap({ p12: {}, p3: {}, b7: {}, ball: {}, p5: {}, c9: {} });
  assert.deepEqual([...colours.keys()], ['p3', 'p5', 'p12']);
  assert.deepEqual([...colours.values()], [PLAYER_COLOURS[2], PLAYER_COLOURS[4], PLAYER_COLOURS[3]]);
  assert.equal(new Set(PLAYER_COLOURS).size, 8, 'eight players, eight colours');
});

test('a player keeps their colour when another player leaves', () => {
  const before = colourMap({ p1: {}, p2: {}, p3: {} });
  const after = colourMap({ p1: {}, p3: {} });
  assert.equal(after.get('p3'), before.get('p3'));
  assert.equal(after.get('p1'), before.get('p1'));
});

test('ids that fall on a colour in use take the next free one', () => {
  const colours = colourMap({ p1: {}, p9: {}, p2: {}, p17: {} });
  assert.equal(new Set(colours.values()).size, 4);
  assert.deepEqual([colours.get('p1'), colours.get('p2')], PLAYER_COLOURS.slice(0, 2));
});

test('setting keys read as labels with their unit', () => {
  assert.equal(settingLabel('time_limit_s'), 'Time limit (s)');
  assert.equal(settingLabel('score_limit'), 'Score limit');
  assert.equal(settingLabel('tick_rate_hz'), 'Tick rate (Hz)');
});
