// The arena movement port (frontend/src/games/arena.js) against the shared fixture that the
// Python rules are checked against too, so the two copies of `move()` cannot drift.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { WORLD, bulletAt, move } from '../../frontend/src/games/arena.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/arena_movement.json', import.meta.url), 'utf8'));

test('the port uses the world of the fixture', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(WORLD)), fixture.world);
});

for (const c of fixture.cases) {
  test(`move() matches the fixture: ${c.name}`, () => {
    let [x, y] = c.start;
    for (const [mx, my, dt] of c.inputs) [x, y] = move(x, y, mx, my, dt, fixture.world);
    assert.ok(Math.abs(x - c.expected[0]) <= fixture.tolerance, `x ${x} != ${c.expected[0]}`);
    assert.ok(Math.abs(y - c.expected[1]) <= fixture.tolerance, `y ${y} != ${c.expected[1]}`);
  });
}

test('move() with the built-in world matches the fixture too', () => {
  for (const c of fixture.cases) {
    let [x, y] = c.start;
    for (const [mx, my, dt] of c.inputs) [x, y] = move(x, y, mx, my, dt);
    assert.ok(Math.hypot(x - c.expected[0], y - c.expected[1]) <= fixture.tolerance, c.name);
  }
});

test('a bullet is drawn where its entry and the step say, as bullet_at places it in Python', () => {
  const e = { x: 100, y: 200, vx: 600, vy: -300, o: 1, t: 40 };
  assert.deepEqual(bulletAt(e, { n: 40, dt: 0.05 }), [100, 200]);
  const [x, y] = bulletAt(e, { n: 42.5, dt: 0.05 }); // between frames: a fractional step
  assert.ok(Math.abs(x - 175) < 1e-9 && Math.abs(y - 162.5) < 1e-9);
  assert.deepEqual(bulletAt(e, { n: 39.5, dt: 0.05 }), [100, 200], 'never behind where it was first shown');
  assert.deepEqual(bulletAt({ x: 5, y: 6, vx: 1, vy: 1 }, { n: 9, dt: 0.05 }), [5, 6], 'an entry without a step is where it says');
});
