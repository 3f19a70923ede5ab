import assert from 'node:assert/strict';
import { test } from 'node:test';

import { routed, shouldReroute } from '../../frontend/src/route.js';

test('the route goes in the socket URL only when there is one', () => {
  assert.equal(routed('ws://h/ws/lobby/K7QX2M/?role=player&v=2', 'a1'), 'ws://h/ws/lobby/K7QX2M/?role=player&v=2&route=a1');
  assert.equal(routed('ws://h/ws/lobby/K7QX2M/?v=2', null), 'ws://h/ws/lobby/K7QX2M/?v=2');
});

test('a socket reconnects when its lobby is run by another route, not more than once a while', () => {
  const base = { used: 'a1', owner: 'b2', open: true, now: 100000 };
  assert.ok(shouldReroute(base));
  assert.ok(!shouldReroute({ ...base, owner: 'a1' })); // at the owner already
  assert.ok(!shouldReroute({ ...base, owner: null })); // no routing
  assert.ok(!shouldReroute({ ...base, open: false })); // reconnecting anyway
  assert.ok(!shouldReroute({ ...base, last: 95000 })); // rerouted 5 s ago: wait
  assert.ok(shouldReroute({ ...base, used: null })); // connected before the route was known
});
