// The staff dashboard's figures as people read them.
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { test } from 'node:test';

const { formatBytes, lobbyCells, processFigures, queueLine } = await import('../../frontend/src/pages/staff.js');

const LOBBY = {
  code: 'K7QX2M', name: 'Friday', game: 'arena', phase: 'playing', private: true, locked: false, matchmade: true,
  players: 3, bots: 1, spectators: 2, max_players: 8, tick_rate: 20, ticks: 900, tick_p50_ms: 0.42, tick_p99_ms: 1.87,
  overruns: 1, skipped_ticks: 0, frames_per_s: 120.5, bytes_per_s: 23_456, members: [],
};

test('formatBytes uses powers of 1000 and one decimal past bytes', () => {
  assert.equal(formatBytes(0), '0 B/s');
  assert.equal(formatBytes(999), '999 B/s');
  assert.equal(formatBytes(23_456), '23.5 kB/s');
  assert.equal(formatBytes(4_200_000), '4.2 MB/s');
});

test('a lobby row shows seats, bots, flags, tick times and rates', () => {
  const c = lobbyCells(LOBBY);
  assert.equal(c.players, '3/8 +1 bots');
  assert.equal(c.flags, 'private, matchmade');
  assert.deepEqual([c.tick, c.p50, c.p99, c.overruns, c.frames, c.bytes], ['20 Hz', '0.42 ms', '1.87 ms', '1', '120.5', '23.5 kB/s']);
  assert.equal(c.slow, false);
  assert.equal(lobbyCells({ ...LOBBY, tick_p99_ms: 30 }).slow, true); // over half of a 50 ms tick
});

test('process figures list the phases that have lobbies', () => {
  const figures = Object.fromEntries(processFigures({
    pid: 7, lobbies: 3, phases: { waiting: 1, countdown: 0, playing: 2, finished: 0 }, players: 9, spectators: 1,
    connections: 12, queued: 4, frames_per_s: 300, bytes_per_s: 1500, tick_p99_ms_max: 12.34, overruns: 0,
    state_frames_dropped: 5, matches_saved: 2,
  }));
  assert.equal(figures.Lobbies, '3 (1 waiting, 2 playing)');
  assert.equal(figures['Bytes/s'], '1.5 kB/s');
  assert.equal(figures['Worst tick p99'], '12.3 ms');
});

test('a queue line says how many wait and how long', () => {
  const line = queueLine({ game: 'pong', waiting: 2, oldest_wait_s: 6.5, sockets: 3, pending_lobbies: 1,
    lobbies_formed: 4, median_wait_s: null });
  assert.equal(line, 'pong: 2 waiting (oldest 6.5 s), 3 sockets, 1 lobbies filling, 4 formed, median wait –');
});
