// ack's keys are integers on the wire (docs/protocol.md, "Snapshots and deltas"): the browser's
// decoder takes them, and a JavaScript object names them as strings.
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { test } from 'node:test';

const P = await import('../../frontend/src/protocol.js');

// Made with game.protocol.encode_full(tick=7, time=1000, snapshot={'g': {}, 'e': {}}, ack={3: 5, 12: -1}).hex()
const FULL = '86a16ba466756c6ca47469636b07a474696d65cd03e8a17382a16780a16580a361636b8203050cffa17601';

test('a full frame with integer ack keys decodes; ack[3] and ack["3"] are the same entry', () => {
  const msg = P.decodeServer(Uint8Array.from(Buffer.from(FULL, 'hex')));
  assert.deepEqual(Object.keys(msg.ack), ['3', '12']);
  assert.equal(msg.ack[3], 5);
  assert.equal(msg.ack['3'], 5);
  assert.equal(msg.ack[12], -1);
});
