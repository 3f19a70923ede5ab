// last_processed_input's keys are integers on the wire (docs/protocol.md, "Snapshots and deltas"):
// the browser's decoder takes them, and a JavaScript object names them as strings.
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { test } from 'node:test';

const P = await import('../../frontend/src/protocol.js');

// Made with game.protocol.encode_full(tick=7, time=1000, snapshot={'g': {}, 'e': {}},
// last_processed_input={3: 5, 12: -1}).hex()
const FULL = '86a16ba466756c6ca47469636b07a474696d65cd03e8a17382a16780a16580b46c6173745f70726f6365737365645f696e7075748203050cffa17602';

test('a full frame with integer last_processed_input keys decodes; [3] and ["3"] are the same entry', () => {
  const msg = P.decodeServer(Uint8Array.from(Buffer.from(FULL, 'hex')));
  assert.deepEqual(Object.keys(msg.last_processed_input), ['3', '12']);
  assert.equal(msg.last_processed_input[3], 5);
  assert.equal(msg.last_processed_input['3'], 5);
  assert.equal(msg.last_processed_input[12], -1);
});
