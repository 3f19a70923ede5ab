// Touch controls' pure parts (frontend/src/touch/): the stick's vector, the paddle drag, the
// fingers' roles, and how each game's scheme folds them into its input.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { touch as arenaTouch } from '../../frontend/src/games/arena.js';
import { COURT, touch as pongTouch } from '../../frontend/src/games/pong.js';
import { STICK, TouchTracker, aimAngle, knobOffset, paddleAxis, stickVector } from '../../frontend/src/touch/gestures.js';

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);
const origin = { x: 100, y: 200 };

test('the stick is still inside its dead zone', () => {
  assert.deepEqual(stickVector(origin, origin), { x: 0, y: 0 });
  assert.deepEqual(stickVector(origin, { x: 100 + STICK.radius * STICK.deadZone * 0.99, y: 200 }), { x: 0, y: 0 });
});

test('the stick runs at full length from its radius on, in the finger’s direction', () => {
  const right = stickVector(origin, { x: 100 + STICK.radius, y: 200 });
  close(right.x, 1);
  close(right.y, 0);
  const far = stickVector(origin, { x: 100 - 300, y: 200 - 300 });
  close(Math.hypot(far.x, far.y), 1);
  close(far.x, -Math.SQRT1_2);
  close(far.y, -Math.SQRT1_2);
});

test('between the dead zone and the radius the stick’s length rises evenly', () => {
  const radius = 100;
  const half = stickVector({ x: 0, y: 0 }, { x: 0, y: 60 }, { radius, deadZone: 0.2 });
  close(half.x, 0);
  close(half.y, 0.5); // (0.6 - 0.2) / (1 - 0.2)
});

test('the knob follows the finger but stays on the stick', () => {
  assert.deepEqual(knobOffset(origin, { x: 110, y: 190 }, 50), { x: 10, y: -10 });
  const out = knobOffset(origin, { x: 400, y: 200 }, 50);
  assert.deepEqual(out, { x: 50, y: 0 });
});

test('aiming needs two distinct points', () => {
  close(aimAngle({ x: 0, y: 0 }, { x: 0, y: 10 }), Math.PI / 2);
  assert.equal(aimAngle(null, { x: 1, y: 1 }), null);
  assert.equal(aimAngle({ x: 1, y: 1 }, null), null);
  assert.equal(aimAngle({ x: 1, y: 1 }, { x: 1, y: 1 }), null);
});

test('the paddle axis reaches the finger in one input and never overshoots', () => {
  assert.equal(paddleAxis(300, 250, 21), 1);
  assert.equal(paddleAxis(200, 250, 21), -1);
  close(paddleAxis(260.5, 250, 21), 0.5);
  assert.equal(paddleAxis(250.1, 250, 21), 0, 'close enough is still');
  assert.equal(paddleAxis(300, 250, 0), 0);
  assert.equal(paddleAxis(Number.NaN, 250, 21), 0);
});

test('the tracker gives each finger its role and forgets it when lifted', () => {
  const t = new TouchTracker();
  t.down(1, 'stick', { x: 10, y: 10 });
  t.down(2, 'fire', { x: 300, y: 10 });
  t.move(1, { x: 40, y: 10 });
  t.move(99, { x: 0, y: 0 }); // unknown pointers are ignored
  let read = t.read();
  assert.deepEqual(read.stick.origin, { x: 10, y: 10 });
  assert.deepEqual(read.stick.point, { x: 40, y: 10 });
  assert.equal(read.fire, true);
  assert.equal(read.shot, true);
  assert.equal(t.read().shot, false, 'a shot is reported once');
  t.up(1);
  t.up(2);
  read = t.read();
  assert.equal(read.stick, null);
  assert.equal(read.fire, false);
});

test('a tap on the arena shorter than one input still aims and fires once', () => {
  const t = new TouchTracker();
  t.down(5, 'aim', { x: 800, y: 100 });
  t.move(5, { x: 820, y: 120 });
  t.up(5);
  const read = t.read();
  assert.equal(read.shot, true);
  assert.deepEqual(read.aim, { x: 820, y: 120 });
  const next = t.read();
  assert.equal(next.shot, false);
  assert.equal(next.aim, null);
});

const none = { stick: null, fire: false, aim: null, drag: null, shot: false };
const keys = { mx: 0, my: 0, aim: 0.5, fire: false };

test('arena: without fingers the keyboard’s input goes out as it is', () => {
  assert.deepEqual(arenaTouch.apply(keys, none, { own: { x: 0, y: 0 } }), keys);
});

test('arena: the stick moves, adding to the keys and clamped', () => {
  const stick = { origin, point: { x: 100 + STICK.radius, y: 200 } };
  const out = arenaTouch.apply({ ...keys, mx: 1, my: -1 }, { ...none, stick }, { own: null });
  assert.equal(out.mx, 1);
  close(out.my, -1);
  assert.equal(out.fire, false);
  assert.equal(out.aim, 0.5, 'moving does not turn the aim');
});

test('arena: a finger on the arena aims from the own player to it and fires', () => {
  const out = arenaTouch.apply(keys, { ...none, aim: { x: 100, y: 300 } }, { own: { x: 100, y: 100 } });
  close(out.aim, Math.PI / 2);
  assert.equal(out.fire, true);
});

test('arena: holding Fire while walking shoots where the stick points; still, where it last aimed', () => {
  const stick = { origin, point: { x: 100, y: 200 - STICK.radius } };
  const walking = arenaTouch.apply(keys, { ...none, stick, fire: true }, { own: { x: 0, y: 0 } });
  close(walking.aim, -Math.PI / 2);
  assert.equal(walking.fire, true);
  const still = arenaTouch.apply(keys, { ...none, fire: true }, { own: { x: 0, y: 0 } });
  assert.equal(still.aim, 0.5);
  assert.equal(still.fire, true);
});

test('pong: a drag moves the paddle by as much as the finger moved', () => {
  const step = COURT.paddle_speed / 20;
  const drag = { origin: { x: 50, y: 100 }, point: { x: 50, y: 110 }, anchor: { y: 250 } };
  // The paddle is where it was when the finger went down: the target is 10 below it.
  close(pongTouch.apply({ my: 0 }, { ...none, drag }, { own: { y: 250 }, dt: 1 / 20 }).my, 10 / step);
  // The paddle already got there: still.
  assert.equal(pongTouch.apply({ my: 0 }, { ...none, drag }, { own: { y: 260 }, dt: 1 / 20 }).my, 0);
  // A long drag: full speed, and the target stays on the court.
  const far = { ...drag, point: { x: 50, y: 2000 } };
  assert.equal(pongTouch.apply({ my: 0 }, { ...none, drag: far }, { own: { y: 250 }, dt: 1 / 20 }).my, 1);
  const top = { ...drag, point: { x: 50, y: -2000 } };
  assert.equal(pongTouch.apply({ my: 0 }, { ...none, drag: top }, { own: { y: COURT.paddle_h / 2 }, dt: 1 / 20 }).my, 0);
});

test('pong: without a drag, or before the paddle is known, the keys decide', () => {
  assert.deepEqual(pongTouch.apply({ my: 1 }, none, { own: { y: 250 }, dt: 0.05 }), { my: 1 });
  const drag = { origin: { x: 0, y: 0 }, point: { x: 0, y: 50 }, anchor: null };
  assert.deepEqual(pongTouch.apply({ my: -1 }, { ...none, drag }, { own: null, dt: 0.05 }), { my: -1 });
});

test('each scheme names two pads and what a finger on the game view does', () => {
  for (const scheme of [arenaTouch, pongTouch]) {
    assert.equal(scheme.pads.length, 2);
    assert.ok(['aim', 'drag'].includes(scheme.surface));
    assert.ok(scheme.help.length > 10);
  }
});
