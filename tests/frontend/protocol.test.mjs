// The browser's protocol module: encode/decode vectors made by game/protocol.py (so both
// sides read each other's bytes), and a readable message for every error and close code.
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { test } from 'node:test';


const P = await import('../../frontend/src/protocol.js');

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const bytes = (h) => Uint8Array.from(Buffer.from(h, 'hex'));

// Made with game.protocol.encode_client(...).hex()
const CLIENT_VECTORS = [
  ['ping', { id: 7, ct: 1234.5 }, '84a17602a16ba470696e67a2696407a26374cb40934a0000000000'],
  ['input', { input_seq: 3, d: { mx: 1, my: -1, aim: 0.5, fire: true } },
    '84a17602a16ba5696e707574a9696e7075745f73657103a16484a26d7801a26d79ffa361696dcb3fe0000000000000a466697265c3'],
  ['chat', { text: 'héllo' }, '83a17602a16ba463686174a474657874a668c3a96c6c6f'],
  ['kick', { target: 2 }, '83a17602a16ba46b69636ba674617267657402'],
  ['start', {}, '82a17602a16ba57374617274'],
];

for (const [kind, fields, expected] of CLIENT_VECTORS) {
  test(`encodeClient(${kind}) gives the bytes game/protocol.py gives`, () => {
    assert.equal(hex(P.encodeClient(kind, fields)), expected);
  });
}

// Made with game.protocol.encode_full/encode_delta/encode_error/encode_events/encode_pong(...).hex()
const SERVER_VECTORS = {
  full: '87a16ba466756c6ca47469636b2aa474696d65cf0000019b76daa87ba17382a16781a174ca426f999aa16581a2703184a178ca42c90000a179ca41a00000a16ea3416e6ea2616cc3b46c6173745f70726f6365737365645f696e707574810105a265769183a474797065a46b696c6ca66b696c6c657201a676696374696d02a17602',
  delta: '87a16ba564656c7461a47469636b2ba474696d65cf0000019b76daa8ada4626173652aa17382a16581a2703181a178ca42ca0000a17291a26233b46c6173745f70726f6365737365645f696e707574810106a17602',
  error: '85a16ba56572726f72a4636f6465a9666f7262696464656ea36d7367d9206f6e6c792074686520686f7374206f72207374616666206d6179207374617274a3726566a57374617274a17602',
  event: '85a16ba56576656e74a47469636b05a474696d65cf0000019b76daa800a1659185a474797065a463686174a2696401a46e616d65a141a4726f6c65a6706c61796572a474657874a93c623e68693c2f623ea17602',
  pong: '85a16ba4706f6e67a2696401a26374cb4004000000000000a474696d65cf0000019b76daa800a17602',
};

test('decodeServer reads a full frame made by the server (float32 coordinates, integer time, int map keys, ev)', () => {
  const msg = P.decodeServer(bytes(SERVER_VECTORS.full));
  assert.equal(msg.k, 'full');
  assert.equal(msg.tick, 42);
  assert.equal(msg.time, 1767225600123);
  assert.ok(Math.abs(msg.s.g.t - 59.9) < 1e-5);
  assert.deepEqual(msg.s.e.p1, { x: 100.5, y: 20, n: 'Ann', al: true });
  assert.equal(msg.last_processed_input[1], 5);
  assert.deepEqual(msg.ev, [{ type: 'kill', killer: 1, victim: 2 }]);
});

test('decodeServer reads a delta, an error and an event frame', () => {
  const d = P.decodeServer(bytes(SERVER_VECTORS.delta));
  assert.deepEqual([d.k, d.tick, d.base, d.time, d.s, d.last_processed_input[1], d.ev], ['delta', 43, 42, 1767225600173, { e: { p1: { x: 101 } }, r: ['b3'] }, 6, undefined]);
  const e = P.decodeServer(bytes(SERVER_VECTORS.error));
  assert.deepEqual([e.code, e.msg, e.ref], ['forbidden', 'only the host or staff may start', 'start']);
  const ev = P.decodeServer(bytes(SERVER_VECTORS.event));
  assert.deepEqual(ev.e, [{ type: 'chat', id: 1, name: 'A', role: 'player', text: '<b>hi</b>' }]);
});

test('decodeServer accepts an ArrayBuffer, as the websocket gives it', () => {
  const u8 = bytes(SERVER_VECTORS.pong);
  const msg = P.decodeServer(u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength));
  assert.deepEqual([msg.k, msg.id, msg.ct, msg.time], ['pong', 1, 2.5, 1767225600000]);
});

test('decodeServer refuses text, garbage, other versions and unknown kinds', () => {
  assert.throws(() => P.decodeServer('{"k":"lobby"}'), P.ProtocolError);
  assert.throws(() => P.decodeServer(bytes('c1')), P.ProtocolError);
  assert.throws(() => P.decodeServer(bytes('93010203')), P.ProtocolError);
  assert.throws(() => P.decodeServer(bytes('82a17602a16ba5706f6e67')), P.ProtocolError); // v 2
  assert.throws(() => P.decodeServer(bytes('82a17601a16ba3666f6f')), P.ProtocolError); // k foo
});

test('encodeClient refuses unknown kinds, missing fields and frames too large', () => {
  assert.throws(() => P.encodeClient('teleport', {}), P.ProtocolError);
  assert.throws(() => P.encodeClient('kick', {}), P.ProtocolError);
  assert.throws(() => P.encodeClient('chat', { text: 'x'.repeat(P.MAX_FRAME_BYTES) }), P.ProtocolError);
});

test('every error code has a readable message', () => {
  for (const code of Object.keys(P.ERRORS)) {
    assert.ok(P.ERROR_MESSAGES[code], code);
    assert.match(P.describeError(code, 'detail'), /\(detail\)$/);
  }
  assert.deepEqual(Object.keys(P.ERROR_MESSAGES).sort(), Object.keys(P.ERRORS).sort());
});

test('every close code has a readable message; the final ones stop reconnecting', () => {
  for (const [code, [name]] of Object.entries(P.CLOSE_CODES)) {
    const info = P.describeClose(Number(code));
    assert.equal(info.name, name);
    assert.ok(info.message.length > 10, name);
  }
  for (const name of ['kicked', 'banned', 'lobby_closed', 'lobby_not_found', 'lobby_full', 'lobby_locked', 'replaced']) {
    assert.equal(P.describeClose(P.CLOSE[name]).final, true, name);
  }
  for (const name of ['too_slow', 'server_error']) assert.equal(P.describeClose(P.CLOSE[name]).final, false, name);
  assert.equal(P.describeClose(1006).final, false);
  assert.match(P.describeClose(P.CLOSE.kicked).message, /kicked/);
});

test('lobbyUrl builds the websocket URL with role, name, version and token', () => {
  const url = new URL(P.lobbyUrl({ protocol: 'https:', host: 'example.org' },
    { code: 'K7QX2M', role: 'spectator', name: 'Ann & Bo', token: 't0k', resume: 'r/s+' }));
  assert.equal(url.protocol, 'wss:');
  assert.equal(url.pathname, '/ws/lobby/K7QX2M/');
  assert.deepEqual(Object.fromEntries(url.searchParams), { role: 'spectator', v: '2', name: 'Ann & Bo', token: 't0k', resume: 'r/s+' });
  const plain = new URL(P.lobbyUrl({ protocol: 'http:', host: 'h:8000' }, { code: 'ABC', role: 'player' }));
  assert.equal(plain.protocol, 'ws:');
  assert.deepEqual(Object.fromEntries(plain.searchParams), { role: 'player', v: '2' });
});
