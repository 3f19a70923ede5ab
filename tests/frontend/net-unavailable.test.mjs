// 4013 `moved` and 4015 `unavailable` (the cluster's Redis down or being rebuilt) are retried
// with backoff, with the same URL (and so the seat's resume token), until the server answers.
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { mock, test } from 'node:test';
import { FakeSocket } from './fake-socket.mjs';

const { Net } = await import('../../frontend/src/net.js');
const { CLOSE, describeClose } = await import('../../frontend/src/protocol.js');

test('unavailable is a retryable close with words of its own', () => {
  assert.equal(CLOSE.unavailable, 4015);
  const info = describeClose(4015);
  assert.equal(info.name, 'unavailable');
  assert.equal(info.final, false);
  assert.notEqual(info.message, 'close.unavailable', 'the catalog has words for it');
});

test('an outage answered with 4015 again and again is retried until a socket stays open', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    FakeSocket.made = [];
    const urls = [];
    const closes = [];
    const net = new Net({
      url: () => { urls.push('ws://test/ws/lobby/ABC/?resume=tok'); return urls.at(-1); },
      onFrame: () => {}, onStatus: () => {}, onClose: (c) => closes.push(c),
      WebSocketImpl: FakeSocket, random: () => 0.5,
    });
    net.connect();
    FakeSocket.made[0].open();
    FakeSocket.made[0].serverClose(CLOSE.moved);
    for (let i = 1; i <= 4; i += 1) {
      mock.timers.tick(20_000);
      assert.equal(FakeSocket.made.length, i + 1);
      FakeSocket.made[i].open();
      FakeSocket.made[i].serverClose(CLOSE.unavailable);
      assert.equal(net.state, 'reconnecting');
    }
    mock.timers.tick(20_000);
    FakeSocket.made[5].open();
    assert.equal(net.state, 'open');
    assert.deepEqual(closes.map((c) => c.name), ['moved', 'unavailable', 'unavailable', 'unavailable', 'unavailable']);
    assert.ok(urls.every((u) => u.includes('resume=tok')));
  } finally {
    mock.timers.reset();
  }
});
