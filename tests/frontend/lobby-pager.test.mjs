import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LobbyPager } from '../../frontend/src/pages/lobby-pager.js';

const page = (n, next, total = 60) => ({ lobbies: Array.from({ length: n }, (_, i) => ({ code: `L${i}` })), total, next });

test('the first page asks with the limit only, then follows the cursors forward and back', () => {
  const pager = new LobbyPager(25);
  assert.deepEqual(pager.params(), { limit: '25' });
  pager.received(page(25, '0.3.AAAAAA'));
  assert.ok(pager.hasNext && !pager.hasPrevious);
  assert.deepEqual(pager.range(), { from: 1, to: 25, total: 60 });
  pager.forward();
  assert.deepEqual(pager.params(), { limit: '25', cursor: '0.3.AAAAAA' });
  pager.received(page(25, '1.2.BBBBBB'));
  pager.forward();
  pager.received(page(10, null));
  assert.deepEqual(pager.range(), { from: 51, to: 60, total: 60 });
  assert.ok(!pager.hasNext && pager.hasPrevious);
  pager.back();
  assert.deepEqual(pager.params(), { limit: '25', cursor: '0.3.AAAAAA' });
});

test('filters go into the query and send the pager back to the first page', () => {
  const pager = new LobbyPager(25);
  pager.received(page(25, '0.3.AAAAAA'));
  pager.forward();
  pager.filter({ game: 'pong', openOnly: true });
  assert.deepEqual(pager.params(), { limit: '25', game: 'pong', open: '1' });
  assert.ok(!pager.hasPrevious);
});

test('an emptied page past the first returns to the first page', () => {
  const pager = new LobbyPager(25);
  pager.received(page(25, '0.3.AAAAAA'));
  pager.forward();
  assert.equal(pager.received(page(0, null, 0)), true);
  assert.deepEqual(pager.params(), { limit: '25' });
  assert.deepEqual(pager.range(), { from: 0, to: 0, total: 0 });
});
