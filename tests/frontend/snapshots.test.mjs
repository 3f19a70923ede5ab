// The snapshot buffer: delta application (same contract as game/engine/delta.py) and entity
// interpolation render_delay_ms behind the server. `now` is always passed in: no timers.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SnapshotBuffer, applyDelta, broadcastRateOf, interpolateEntity, interpolateGlobals, renderDelayFor } from '../../frontend/src/snapshots.js';

const full = (tick, e, g = { t: 60 }, extra = {}) => ({ k: 'full', tick, time: tick * 50, s: { g, e }, last_processed_input: {}, ...extra });
const delta = (tick, base, s, extra = {}) => ({ k: 'delta', tick, base, time: tick * 50, s, last_processed_input: {}, ...extra });

test('applyDelta changes fields, adds, replaces and removes entities', () => {
  const old = { g: { t: 10, sl: 5 }, e: { p1: { x: 1, y: 2, hp: 100 }, b7: { x: 5, y: 5 }, p2: { x: 0, y: 0, n: 'a' } } };
  const d = { g: { t: 9.9 }, e: { p1: { x: 3 }, c9: { x: 40, y: 50 } }, r: ['b7'], f: { p2: { x: 1 } } };
  assert.deepEqual(applyDelta(old, d), {
    g: { t: 9.9, sl: 5 },
    e: { p1: { x: 3, y: 2, hp: 100 }, p2: { x: 1 }, c9: { x: 40, y: 50 } },
  });
  assert.deepEqual(old.e.p1, { x: 1, y: 2, hp: 100 }, 'the base snapshot is not changed');
});

test('applyDelta with G replaces the globals whole', () => {
  assert.deepEqual(applyDelta({ g: { a: 1, b: 2 }, e: {} }, { G: { a: 3 } }), { g: { a: 3 }, e: {} });
});

test('an empty delta gives the same snapshot', () => {
  const snap = { g: { t: 1 }, e: { p1: { x: 1 } } };
  assert.deepEqual(applyDelta(snap, {}), snap);
});

test('a delta applies only onto the snapshot of its base tick', () => {
  const buf = new SnapshotBuffer();
  assert.equal(buf.push(delta(2, 1, { e: { p1: { x: 1 } } }), 0), false, 'no snapshot yet: dropped');
  assert.equal(buf.push(full(1, { p1: { x: 0, y: 0 } }), 0), true);
  assert.equal(buf.push(delta(3, 2, { e: { p1: { x: 9 } } }), 50), false, 'base 2 is not held: dropped');
  assert.equal(buf.latest().tick, 1);
  assert.equal(buf.dropped, 2);
  assert.equal(buf.push(delta(4, 3, { e: { p1: { x: 9 } } }), 100), false, 'still waiting for a full');
  assert.equal(buf.push(full(5, { p1: { x: 5, y: 0 } }), 150), true, 'a full recovers');
  assert.equal(buf.push(delta(6, 5, { e: { p1: { x: 6 } } }), 200), true);
  assert.deepEqual(buf.latest().snapshot.e.p1, { x: 6, y: 0 });
});

test('late or repeated frames are ignored', () => {
  const buf = new SnapshotBuffer();
  buf.push(full(10, { p1: { x: 10 } }), 0);
  assert.equal(buf.push(full(9, { p1: { x: 9 } }), 10), false);
  assert.equal(buf.push(full(10, { p1: { x: 99 } }), 10), false);
  assert.equal(buf.latest().snapshot.e.p1.x, 10);
});

test('entities are drawn render_delay_ms behind the server, interpolated', () => {
  // 20 Hz: frames stamped every 50 ms; each arrives 30 ms after its stamp (tick 1 at local 1030).
  const buf = new SnapshotBuffer({ renderDelayMs: 100 });
  for (let tick = 1; tick <= 6; tick += 1) buf.push(full(tick, { p1: { x: tick * 10, y: 0 } }), 1000 + (tick - 1) * 50 + 30);
  // At local 1280 the newest is tick 6 (server 300 ms); render time is 300 - 100 = 200 ms = tick 4.
  let s = buf.sample(1280);
  assert.equal(s.tick, 4);
  assert.ok(Math.abs(s.e.p1.x - 40) < 1e-9);
  // 25 ms later: halfway between ticks 4 and 5.
  s = buf.sample(1305);
  assert.ok(Math.abs(s.tick - 4.5) < 1e-9);
  assert.ok(Math.abs(s.e.p1.x - 45) < 1e-9);
});

test('sampling past the newest snapshot holds it; before the oldest shows the oldest', () => {
  const buf = new SnapshotBuffer({ renderDelayMs: 100 });
  buf.push(full(1, { p1: { x: 0 } }), 0);
  buf.push(full(2, { p1: { x: 10 } }), 100);
  assert.equal(buf.sample(10_000).e.p1.x, 10);
  assert.equal(buf.sample(-10_000).e.p1.x, 0);
});

test('the clock offset follows the fastest arrival, so jitter does not shake the render time', () => {
  const buf = new SnapshotBuffer({ renderDelayMs: 100 });
  buf.push(full(1, { p1: { x: 0 } }), 90); // slow first frame
  buf.push(full(2, { p1: { x: 10 } }), 100); // fast: the offset moves up at once
  assert.equal(buf.offsetMs, 100 - 100);
  buf.push(full(3, { p1: { x: 20 } }), 190); // 40 ms late: the offset barely moves
  assert.ok(buf.offsetMs < 0 && buf.offsetMs > -2);
});

test('the frames\' server time, mapped onto the local clock, is the timeline', () => {
  const buf = new SnapshotBuffer({ renderDelayMs: 100 });
  buf.push({ ...full(1, { p1: { x: 0 } }), time: 1_000_000 }, 5);
  buf.push({ ...full(2, { p1: { x: 10 } }), time: 1_000_040 }, 45);
  assert.equal(buf.renderTime(45), 1_000_040 - 100);
  assert.ok(Math.abs(buf.sample(125).e.p1.x - 5) < 1e-9); // render time 1_000_000 + 20
});

test('new entities appear at once, removed ones disappear, far jumps snap', () => {
  const buf = new SnapshotBuffer({ renderDelayMs: 0 });
  buf.push(full(1, { p1: { x: 0, y: 0 }, b2: { x: 0, y: 0 } }), 0);
  buf.push(full(2, { p1: { x: 500, y: 0 }, b3: { x: 7, y: 7 } }), 50);
  const s = buf.sample(25);
  assert.equal(s.e.b2, undefined);
  assert.deepEqual(s.e.b3, { x: 7, y: 7 });
  assert.equal(s.e.p1.x, 500, 'a respawn is not a slide');
});

test('angles interpolate the short way round', () => {
  const e = interpolateEntity({ x: 0, y: 0, a: 3.0 }, { x: 0, y: 0, a: -3.0 }, 0.5);
  assert.ok(Math.abs(Math.abs(e.a) - Math.PI) < 0.01, `got ${e.a}`);
});

test('the buffer keeps at most maxSnapshots', () => {
  const buf = new SnapshotBuffer({ maxSnapshots: 4 });
  for (let tick = 1; tick <= 10; tick += 1) buf.push(full(tick, {}), tick * 50);
  assert.deepEqual(buf.snapshots.map((s) => s.tick), [7, 8, 9, 10]);
});

test('the step count n in the globals is blended like positions; other globals are the newer', () => {
  assert.deepEqual(interpolateGlobals({ t: 10, n: 4 }, { t: 9.9, n: 5 }, 0.25), { t: 9.9, n: 4.25 });
  assert.deepEqual(interpolateGlobals({ t: 10 }, { t: 9.9 }, 0.5), { t: 9.9 }, 'a game without n: unchanged');
  assert.deepEqual(interpolateGlobals({ n: 4 }, { n: 6, t: 1 }, 0.5, { n: 4, t: 2 }), { n: 5, t: 2 }, 'another base');
  const buf = new SnapshotBuffer({ renderDelayMs: 100 });
  for (let tick = 1; tick <= 6; tick += 1) buf.push(full(tick, {}, { t: 60, n: tick + 10 }), 1000 + (tick - 1) * 50 + 30);
  assert.ok(Math.abs(buf.sample(1305).g.n - 14.5) < 1e-9); // halfway between ticks 4 and 5
});

test('the render delay is two broadcast intervals, and never under 100 ms', () => {
  assert.equal(renderDelayFor(20), 100);
  assert.equal(renderDelayFor(60), 100);
  assert.equal(renderDelayFor(10), 200);
  assert.equal(renderDelayFor(5), 400);
  assert.equal(renderDelayFor(undefined), 100);
});

test('a lobby broadcasts at its broadcast_rate, or at its tick rate when that is 0', () => {
  assert.equal(broadcastRateOf({ tick_rate: 60, settings: { broadcast_rate: 20 } }), 20);
  assert.equal(broadcastRateOf({ tick_rate: 30, settings: { broadcast_rate: 0 } }), 30);
  assert.equal(broadcastRateOf({ tick_rate: 30, settings: {} }), 30);
});
