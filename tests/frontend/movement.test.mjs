// The arena movement port (frontend/src/games/arena.js) against the shared fixture that the
// Python rules are checked against too, so the two copies of `move()` cannot drift.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { WORLD, move } from '../../frontend/src/games/arena.js';

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
