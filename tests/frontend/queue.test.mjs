// Quick match: the queue view's figures (the wait runs on between server frames), and the queue
// session over a fake socket: join on open (again after a reconnect), leave on cancel, go to
// the lobby with the seat token on `matched`, readable errors.
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { test } from 'node:test';
import { FakeSocket as BaseSocket } from './fake-socket.mjs';

const { encode, decode } = await import('../../static/vendor/msgpack/index.mjs');
const { QueueSession, formatWait, playUrl, queueView } = await import('../../frontend/src/pages/queue.js');
const { CLOSE } = await import('../../frontend/src/protocol.js');

class FakeSocket extends BaseSocket {
  static made = [];
  static decodeSent = decode;
  frame(msg) { this.onmessage?.({ data: encode({ v: 2, ...msg }) }); }
}

const LOCATION = { protocol: 'https:', host: 'games.example' };
const STATUS = { k: 'queue', game: 'pong', queued: true, position: 2, waiting: 3, wait_s: 4.5, window: 325, rating: 1480, time: 1 };

function session(extra = {}) {
  FakeSocket.made = [];
  const seen = { matched: [], errors: [], changes: 0 };
  let clock = 10_000;
  const s = new QueueSession({
    game: 'pong', name: 'Ann', location: LOCATION, WebSocketImpl: FakeSocket, random: () => 0,
    now: () => clock, onChange: () => { seen.changes += 1; }, onMatched: (m) => seen.matched.push(m),
    onError: (e) => seen.errors.push(e), ...extra,
  }).start();
  return { s, seen, socket: () => FakeSocket.made.at(-1), tick: (ms) => { clock += ms; } };
}

test('formatWait shows minutes and seconds, and hours past an hour', () => {
  assert.equal(formatWait(0), '0:00');
  assert.equal(formatWait(7.9), '0:07');
  assert.equal(formatWait(65), '1:05');
  assert.equal(formatWait(3725), '1:02:05');
  assert.equal(formatWait(-3), '0:00');
});

test('queueView: connecting, idle with the players waiting, queued with place, wait and window', () => {
  assert.equal(queueView(null, 0, 0).state, 'connecting');
  const idle = queueView({ ...STATUS, queued: false, position: 0 }, 0, 0);
  assert.deepEqual([idle.state, idle.waiting, idle.position], ['idle', '3', '–']);
  const queued = queueView(STATUS, 1000, 3600);
  assert.deepEqual([queued.state, queued.position, queued.waiting, queued.wait, queued.window],
    ['queued', '2 of 3', '3', '0:07', '1480 ± 325']);
});

test('the session connects to the game queue and joins once the socket opens', () => {
  const { s, socket } = session();
  assert.equal(socket().url, 'wss://games.example/ws/queue/pong/?v=2&name=Ann');
  assert.equal(socket().sent.length, 0);
  socket().open();
  assert.deepEqual(socket().sent, [{ v: 2, k: 'join' }]);
  assert.equal(s.view().state, 'connecting'); // no status from the server yet
});

test('status frames drive the view and the wait keeps counting between them', () => {
  const { s, socket, tick, seen } = session();
  socket().open();
  socket().frame(STATUS);
  assert.equal(s.view().wait, '0:04');
  tick(2000);
  assert.equal(s.view().wait, '0:06');
  assert.ok(seen.changes >= 2);
});

test('matched hands over code and token, closes the socket, and the view says so', () => {
  const { s, socket, seen } = session();
  socket().open();
  socket().frame(STATUS);
  socket().frame({ k: 'matched', game: 'pong', code: 'K7QX2M', token: 'seat-secret', players: [], time: 2 });
  assert.deepEqual(seen.matched.map((m) => [m.code, m.token]), [['K7QX2M', 'seat-secret']]);
  assert.equal(socket().readyState, 3);
  assert.equal(s.view().state, 'matched');
  assert.equal(playUrl('K7QX2M'), '/play/K7QX2M/');
  s.cancel(); // too late to cancel: nothing is sent
  assert.deepEqual(socket().sent, [{ v: 2, k: 'join' }]);
});

test('cancel sends leave and closes for good', () => {
  const { s, socket } = session();
  socket().open();
  s.cancel();
  assert.deepEqual(socket().sent.map((f) => f.k), ['join', 'leave']);
  assert.equal(s.view().state, 'cancelled');
  assert.equal(FakeSocket.made.length, 1); // no reconnect
});

test('a lost connection reconnects and joins again; a final close stops with its message', async () => {
  const { s, socket, seen } = session();
  socket().open();
  socket().serverClose(1006);
  assert.equal(s.view().state, 'connecting');
  await new Promise((resolve) => setTimeout(resolve, 300)); // backoff with random 0: 250 ms
  assert.equal(FakeSocket.made.length, 2);
  socket().open();
  assert.deepEqual(socket().sent, [{ v: 2, k: 'join' }]);
  socket().serverClose(CLOSE.replaced);
  assert.equal(s.view().state, 'closed');
  assert.match(seen.errors.at(-1), /another tab/);
});

test('error frames reach the person in words', () => {
  const { socket, seen } = session();
  socket().open();
  socket().frame({ k: 'error', code: 'queue_full', msg: 'the matchmaking queue is full; try again later', ref: 'join' });
  assert.match(seen.errors[0], /Too many players are waiting/);
});

test('lobby frames are not queue frames', () => {
  const { socket, seen } = session();
  socket().open();
  socket().frame({ k: 'welcome' });
  assert.match(seen.errors[0], /unknown server kind welcome/);
});
