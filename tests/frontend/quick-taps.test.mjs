// Two taps between two input samples both count (frontend/src/input.js keeps every click since
// the last sample): on a busy phone a face and then Bid can land before the next sample, and the
// bid must carry the face tapped first, not the one chosen before it.
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { test } from 'node:test';

const { input, BUTTONS, choice } = await import('../../frontend/src/games/liars_dice.js');

const centre = (id) => {
  const b = BUTTONS.find((button) => button.id === id);
  return { x: b.x + b.w / 2, y: b.y + b.h / 2 };
};

function controls(clicks) {
  return { clicks, clicked: clicks.length > 0, click: clicks.at(-1) ?? null, down: () => false };
}

test('a face and Bid tapped between two samples bid on that face', () => {
  choice.f = 2;
  const view = { state: { g: { rd: 1, bq: 0, bf: 0, tot: 10 } } };
  const move = input.sample(controls([centre('face3'), centre('bid')]), view);
  assert.deepEqual(move, { bq: 1, bf: 3 });
});

test('a lone click still counts where a game reads only the last click', () => {
  choice.f = 4;
  const move = input.sample({ clicked: true, click: centre('bid'), down: () => false },
    { state: { g: { rd: 2, bq: 0, bf: 0, tot: 10 } } });
  assert.deepEqual(move, { bq: 1, bf: 4 });
});
