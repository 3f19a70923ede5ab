// The connection: backoff with jitter, reconnecting after a lost connection but never after
// a close code that says it cannot help, and the state shown to the person.
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { mock, test } from 'node:test';
import { FakeSocket as BaseSocket } from './fake-socket.mjs';


const { Net, backoffDelay } = await import('../../frontend/src/net.js');
const { CLOSE } = await import('../../frontend/src/protocol.js');

class FakeSocket extends BaseSocket {
  static made = [];
  message(hexFrame) {
    const u8 = Uint8Array.from(Buffer.from(hexFrame, 'hex'));
    this.onmessage?.({ data: u8.buffer });
  }
}

function makeNet(extra = {}) {
  FakeSocket.made = [];
  const seen = { frames: [], statuses: [], closes: [] };
  const net = new Net({
    url: () => 'ws://test/ws/lobby/ABC/',
    onFrame: (m) => seen.frames.push(m),
    onStatus: (s) => seen.statuses.push(s.state),
    onClose: (c) => seen.closes.push(c),
    WebSocketImpl: FakeSocket,
    random: () => 0.5,
    ...extra,
  });
  return { net, seen };
}

test('backoff doubles per attempt, is capped, and is jittered within [half, full]', () => {
  assert.equal(backoffDelay(0, () => 0), 250);
  assert.equal(backoffDelay(0, () => 1), 500);
  assert.equal(backoffDelay(3, () => 1), 4000);
  assert.equal(backoffDelay(20, () => 1), 10000);
  assert.equal(backoffDelay(20, () => 0), 5000);
});

test('the socket is binary and frames are decoded', () => {
  const { net, seen } = makeNet();
  net.connect();
  const ws = FakeSocket.made[0];
  assert.equal(ws.binaryType, 'arraybuffer');
  ws.open();
  ws.message('85a16ba4706f6e67a2696401a26374cb4004000000000000a474696d65cf0000019b76daa800a17602');
  assert.equal(seen.frames[0].k, 'pong');
  assert.equal(net.send(new Uint8Array([1])), true);
  assert.deepEqual(seen.statuses, ['connecting', 'open']);
});

test('a lost connection is retried with growing delays', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { net, seen } = makeNet();
    net.connect();
    FakeSocket.made[0].serverClose(1006);
    assert.equal(net.state, 'reconnecting');
    assert.equal(seen.closes[0].final, false);
    mock.timers.tick(374); // attempt 0: 500 * (0.5 + 0.5 * 0.5) = 375 ms
    assert.equal(FakeSocket.made.length, 1);
    mock.timers.tick(1);
    assert.equal(FakeSocket.made.length, 2);
    FakeSocket.made[1].serverClose(CLOSE.server_error);
    mock.timers.tick(749); // attempt 1: 750 ms
    assert.equal(FakeSocket.made.length, 2);
    mock.timers.tick(1);
    assert.equal(FakeSocket.made.length, 3);
    FakeSocket.made[2].open();
    FakeSocket.made[2].message('85a16ba4706f6e67a2696401a26374cb4004000000000000a474696d65cf0000019b76daa800a17602');
    assert.equal(net.attempt, 0, 'an answer from the server resets the backoff');
  } finally {
    mock.timers.reset();
  }
});

for (const name of ['kicked', 'banned', 'lobby_closed', 'lobby_not_found', 'lobby_full', 'lobby_locked', 'replaced']) {
  test(`no reconnect after ${name}`, () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { net, seen } = makeNet();
      net.connect();
      FakeSocket.made[0].open();
      FakeSocket.made[0].serverClose(CLOSE[name]);
      mock.timers.tick(60_000);
      assert.equal(FakeSocket.made.length, 1);
      assert.equal(net.state, 'closed');
      assert.equal(seen.closes[0].name, name);
      assert.equal(seen.closes[0].final, true);
    } finally {
      mock.timers.reset();
    }
  });
}

test('closing on purpose does not reconnect, and sending while closed is refused', () => {
  const { net, seen } = makeNet();
  net.connect();
  FakeSocket.made[0].open();
  net.close();
  assert.equal(net.state, 'closed');
  assert.equal(seen.closes.length, 0, 'a close the person asked for is not reported as a problem');
  assert.equal(net.send(new Uint8Array([1])), false);
});

test('an undecodable frame is reported, not thrown', () => {
  const bad = [];
  const { net, seen } = makeNet({ onBadFrame: (e) => bad.push(e) });
  net.connect();
  FakeSocket.made[0].open();
  FakeSocket.made[0].message('c1');
  assert.equal(bad.length, 1);
  assert.equal(seen.frames.length, 0);
});
