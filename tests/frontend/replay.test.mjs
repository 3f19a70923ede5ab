// The replay viewer's pure parts: the playback clock (time -> frame, seek, speed, the end)
// and the frames it draws (interpolation between ticks, hit flashes), and how the page reads
// the server's reply. `now` is passed in.
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { test } from 'node:test';

import { eventsByTick, hitsAt, sampleFrames } from '../../frontend/src/replay/frames.js';
import { MAX_SPEED, MIN_SPEED, ReplayPlayer, SPEEDS, formatTime } from '../../frontend/src/replay/player.js';

const player = (frameCount = 201, tickRate = 20) => new ReplayPlayer({ frameCount, tickRate });

test('a new player is paused at the first frame; the length is in seconds', () => {
  const p = player();
  assert.equal(p.position, 0);
  assert.equal(p.playing, false);
  assert.equal(p.last, 200);
  assert.equal(p.duration, 10);
  assert.equal(p.update(5000), 0, 'time passing while paused moves nothing');
});

test('playing advances tick_rate ticks per second of wall time', () => {
  const p = player();
  p.play(1000);
  assert.equal(p.update(1500), 10);
  assert.equal(p.update(2000), 20);
  assert.deepEqual(p.frameAt(p.update(2025)), { index: 20, next: 21, alpha: 0.5 });
});

test('pause holds the position and play resumes from it', () => {
  const p = player();
  p.play(0);
  p.pause(1000);
  assert.equal(p.position, 20);
  assert.equal(p.update(9000), 20);
  p.play(9000);
  assert.equal(p.update(9500), 30);
  p.toggle(9500);
  assert.equal(p.playing, false);
});

test('speed scales the rate and is clamped to 0.25x..4x', () => {
  const p = player();
  p.setSpeed(2, 0);
  p.play(0);
  assert.equal(p.update(1000), 40);
  p.setSpeed(0.25, 1000);
  assert.equal(p.update(3000), 50, 'the ticks played before the change are kept');
  p.setSpeed(100, 3000);
  assert.equal(p.speed, MAX_SPEED);
  p.setSpeed(0, 3000);
  assert.equal(p.speed, MIN_SPEED);
  p.setSpeed(Number.NaN, 3000);
  assert.equal(p.speed, 1);
});

test('changeSpeed walks the listed speeds and stops at either end', () => {
  const p = player();
  const seen = [];
  for (let i = 0; i < 6; i += 1) {
    p.changeSpeed(1, 0);
    seen.push(p.speed);
  }
  assert.deepEqual(seen, [2, 4, 4, 4, 4, 4]);
  for (let i = 0; i < 6; i += 1) p.changeSpeed(-1, 0);
  assert.equal(p.speed, SPEEDS[0]);
});

test('seek clamps to the match and keeps playing or paused as it was', () => {
  const p = player();
  p.seek(120.5, 0);
  assert.equal(p.position, 120.5);
  assert.equal(p.playing, false);
  p.seek(-4, 0);
  assert.equal(p.position, 0);
  p.seek(10_000, 0);
  assert.equal(p.position, 200);
  p.seek(Number.NaN, 0);
  assert.equal(p.position, 0);
  p.play(0);
  p.seek(100, 500);
  assert.equal(p.playing, true);
  assert.equal(p.update(1000), 110);
});

test('seekBy moves by seconds of match time; step by whole ticks', () => {
  const p = player();
  p.seek(100, 0);
  p.seekBy(5, 0);
  assert.equal(p.position, 200);
  p.seekBy(-2.5, 0);
  assert.equal(p.position, 150);
  p.seek(150.7, 0);
  p.step(1, 0);
  assert.equal(p.position, 152, 'a step lands on a whole frame');
  p.step(-1000, 0);
  assert.equal(p.position, 0);
});

test('playback stops at the last frame; play from the end starts over', () => {
  const p = player(21, 20);
  p.play(0);
  assert.equal(p.update(5000), 20);
  assert.equal(p.playing, false);
  assert.equal(p.ended, true);
  assert.deepEqual(p.frameAt(), { index: 20, next: 20, alpha: 0 });
  p.play(5000);
  assert.equal(p.position, 0);
  assert.equal(p.playing, true);
});

test('a one-frame replay never plays', () => {
  const p = player(1, 20);
  p.play(0);
  assert.equal(p.playing, false);
  assert.deepEqual(p.frameAt(), { index: 0, next: 0, alpha: 0 });
  assert.throws(() => player(0, 20), RangeError);
});

test('formatTime shows minutes, seconds and tenths', () => {
  assert.equal(formatTime(0), '0:00.0');
  assert.equal(formatTime(9.95), '0:09.9');
  assert.equal(formatTime(75.3), '1:15.3');
  assert.equal(formatTime(180), '3:00.0');
});

const frames = [
  { g: { t: 10 }, e: { p1: { x: 0, y: 0, a: 0, hp: 100, n: 'a' }, b1: { x: 5, y: 5 } } },
  { g: { t: 9.9 }, e: { p1: { x: 10, y: 20, a: 1, hp: 75, n: 'a' }, c2: { x: 50, y: 50 } } },
  { g: { t: 9.8 }, e: { p1: { x: 1000, y: 20, a: 1, hp: 75, n: 'a' } } },
];

test('a whole position shows its frame exactly', () => {
  assert.deepEqual(sampleFrames(frames, 1), { tick: 1, g: frames[1].g, e: frames[1].e });
  assert.deepEqual(sampleFrames(frames, 99), { tick: 2, g: frames[2].g, e: frames[2].e });
  assert.deepEqual(sampleFrames(frames, -3), { tick: 0, g: frames[0].g, e: frames[0].e });
});

test('between ticks positions blend; other fields and entities come from the nearer frame', () => {
  const early = sampleFrames(frames, 0.25);
  assert.deepEqual(early.e.p1, { x: 2.5, y: 5, a: 0.25, hp: 100, n: 'a' });
  assert.deepEqual(Object.keys(early.e).sort(), ['b1', 'p1']);
  assert.equal(early.g.t, 10);
  const late = sampleFrames(frames, 0.75);
  assert.equal(late.e.p1.hp, 75);
  assert.deepEqual(Object.keys(late.e).sort(), ['c2', 'p1']);
  assert.equal(late.tick, 0.75);
});

test('a jump (a respawn) snaps instead of sliding', () => {
  assert.equal(sampleFrames(frames, 1.5).e.p1.x, 1000);
});

test('fields an entity lacks are not invented (a pong paddle has no x)', () => {
  const pong = [{ g: {}, e: { p1: { y: 100, side: 0 } } }, { g: {}, e: { p1: { y: 200, side: 0 } } }];
  assert.deepEqual(sampleFrames(pong, 0.5).e.p1, { y: 150, side: 0 });
});

test('entities an event flashes within the flash window are marked', () => {
  const byTick = eventsByTick([[3, [{ type: 'hit', id: 2, by: 1, hp: 75 }]], [5, [{ type: 'kill', killer: 1, victim: 2 }]]]);
  const flash = (e) => (e.type === 'hit' ? `p${e.id}` : null); // as a game's module says
  assert.deepEqual([...hitsAt(byTick, 3, 4, flash)], ['p2']);
  assert.deepEqual([...hitsAt(byTick, 6.9, 4, flash)], ['p2']);
  assert.deepEqual([...hitsAt(byTick, 7, 4, flash)], []);
  assert.deepEqual([...hitsAt(byTick, 2.9, 4, flash)], []);
  assert.deepEqual([...hitsAt(eventsByTick(undefined), 3, 4, flash)], []);
  assert.deepEqual([...hitsAt(byTick, 3, 4, () => null)], []);
});

const { encode } = await import('@msgpack/msgpack');
const { fetchReplay } = await import('../../frontend/src/pages/replay.js');

const reply = (status, body, type = 'application/msgpack') => async (url) => {
  reply.url = url;
  const bytes = type === 'application/msgpack' ? encode(body) : new TextEncoder().encode(JSON.stringify(body));
  return new Response(bytes, { status, headers: { 'Content-Type': type } });
};

test('fetchReplay asks for the match and decodes the msgpack reply', async () => {
  const body = { v: 1, game: 'pong', tick_rate: 20, players: [{ id: 1, name: 'a' }], frames: [{ g: {}, e: {} }],
    events: [], result: { scores: { 1: 3 }, ranking: [1], winner: 1, reason: 'score_limit' } };
  const data = await fetchReplay('ab12', reply(200, body));
  assert.equal(reply.url, '/api/matches/ab12/replay');
  assert.equal(data.game, 'pong');
  assert.equal(data.result.scores[1], 3);
});

test('fetchReplay passes on the reason the server gives for a refused replay', async () => {
  await assert.rejects(fetchReplay('x', reply(404, { error: 'not_found', msg: 'no replay of that match' }, 'application/json')),
    /no replay of that match/);
  await assert.rejects(fetchReplay('x', reply(410, 'not json', 'text/plain')), /HTTP 410/);
  await assert.rejects(fetchReplay('x', async () => { throw new TypeError('offline'); }), /cannot be reached/);
});

test('fetchReplay refuses a reply of another version or without frames', async () => {
  await assert.rejects(fetchReplay('x', reply(200, { v: 2, tick_rate: 20, frames: [{}] })), /format/);
  await assert.rejects(fetchReplay('x', reply(200, { v: 1, tick_rate: 20, frames: [] })), /format/);
});

test('between ticks the step count blends too, so bullets placed by step fly smoothly', () => {
  const stepped = [{ g: { t: 10, n: 7, dt: 0.05 }, e: {} }, { g: { t: 9.9, n: 8, dt: 0.05 }, e: {} }];
  assert.deepEqual(sampleFrames(stepped, 0.25).g, { t: 10, n: 7.25, dt: 0.05 });
  assert.deepEqual(sampleFrames(stepped, 0.75).g, { t: 9.9, n: 7.75, dt: 0.05 });
  assert.deepEqual(sampleFrames(stepped, 1).g, stepped[1].g);
});
