// What the browser remembers of its seats: a new tab of the same browser finds the seat the
// browser last held in a lobby (the issue: reopening the lobby's link gave a new, empty seat).
import assert from 'node:assert/strict';
import './msgpack-resolve.mjs';
import { beforeEach, test } from 'node:test';

class FakeStorage {
  constructor() { this.items = new Map(); }
  getItem(key) { return this.items.has(key) ? this.items.get(key) : null; }
  setItem(key, value) { this.items.set(key, String(value)); }
  removeItem(key) { this.items.delete(key); }
}

globalThis.localStorage = new FakeStorage();
const { getResumeToken, setResumeToken } = await import('../../frontend/src/storage.js');

beforeEach(() => {
  globalThis.localStorage = new FakeStorage();
  globalThis.sessionStorage = new FakeStorage();
});

const newTab = () => { globalThis.sessionStorage = new FakeStorage(); };

test('a new tab of the same browser gets the seat back', () => {
  setResumeToken('abc234', 'player', 'tok-1');
  newTab();
  assert.equal(getResumeToken('ABC234', 'player'), 'tok-1');
  assert.equal(getResumeToken('ABC234', 'spectator'), null, 'a spectator tab does not take the player seat');
  assert.equal(getResumeToken('OTHER1', 'player'), null);
});

test("a tab's own seat comes first", () => {
  setResumeToken('ABC234', 'player', 'tok-browser');
  newTab();
  setResumeToken('ABC234', 'player', 'tok-this-tab');
  globalThis.localStorage.setItem('seats', JSON.stringify({ 'ABC234:player': { token: 'tok-other-tab', at: 1 } }));
  assert.equal(getResumeToken('ABC234', 'player'), 'tok-this-tab');
});

test('the browser remembers its newest twenty seats, and survives junk', () => {
  for (let i = 0; i < 25; i += 1) setResumeToken(`L${i}`, 'player', `t${i}`);
  assert.equal(Object.keys(JSON.parse(globalThis.localStorage.getItem('seats'))).length, 20);
  globalThis.localStorage.setItem('seats', '{not json');
  newTab();
  assert.equal(getResumeToken('L1', 'player'), null);
  setResumeToken('L1', 'player', 'fresh');
  assert.equal(getResumeToken('L1', 'player'), 'fresh');
});
