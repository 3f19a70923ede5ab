// The screen that ends a session: who kicked or banned you, and a seat taken by another tab.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const { finalMessage, remover } = await import('../../frontend/src/ui/final.js');

const MEMBERS = [{ id: 1, name: 'Alice', staff: false }, { id: 4, name: 'Mod', staff: true }];
const kicked = { name: 'kicked', message: 'You were kicked from the lobby by its host or by staff.' };

test('a kick from the staff dashboard (by 0) is told as by staff, not by the host', () => {
  assert.equal(finalMessage(kicked, remover(0, MEMBERS)), 'You were kicked from the lobby by staff.');
});

test('a kick by the host or by staff in the lobby names them', () => {
  assert.equal(finalMessage(kicked, remover(1, MEMBERS)), 'You were kicked from the lobby by the host (Alice).');
  assert.equal(finalMessage({ name: 'banned' }, remover(4, MEMBERS)), 'You were banned from this lobby by staff (Mod).');
});

test('without the event, the close code says what it can', () => {
  assert.equal(remover(9, MEMBERS), null);
  assert.equal(finalMessage(kicked, null), kicked.message);
});

test('a seat taken over by another tab says so and how to get it back', () => {
  assert.match(finalMessage({ name: 'replaced', message: 'x' }), /another tab or window.*Play here instead/);
});
