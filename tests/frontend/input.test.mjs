// The keyboard and mouse as a game reads them (frontend/src/input.js): only the game's keys are
// taken, a click is a one-off input used up by the next sample, and the games' own mappings.
import assert from 'node:assert/strict';
import { test } from 'node:test';

globalThis.HTMLElement ??= class {}; // input.js asks whether a key's target is a text field

const { Controls, KEYS } = await import('../../frontend/src/input.js');
const arena = (await import('../../frontend/src/games/arena.js')).default;
const pong = (await import('../../frontend/src/games/pong.js')).default;

function devices(keys) {
  const target = new EventTarget();
  const surface = new EventTarget();
  const controls = new Controls({ keys, surface, target, toWorld: (x, y) => ({ x: x * 2, y: y * 2 }) });
  const key = (type, code) => {
    const event = new Event(type, { cancelable: true });
    event.code = code;
    target.dispatchEvent(event);
    return event.defaultPrevented;
  };
  const mouse = (el, type, x = 0, y = 0) => {
    const event = new Event(type);
    Object.assign(event, { button: 0, clientX: x, clientY: y });
    el.dispatchEvent(event);
  };
  return { controls, key, mouse: (type, x, y) => mouse(type === 'mouseup' ? target : surface, type, x, y) };
}

test('only the keys the game takes are held and kept from the page', () => {
  const { controls, key } = devices(KEYS.up);
  assert.equal(key('keydown', 'KeyW'), true);
  assert.equal(key('keydown', 'Space'), false, 'not this game\'s: Space stays the page\'s');
  assert.ok(controls.down('KeyW') && !controls.down('Space'));
  assert.equal(controls.axis(KEYS.up, KEYS.down), -1);
  key('keyup', 'KeyW');
  assert.equal(controls.axis(KEYS.up, KEYS.down), 0);
});

test('a click is a one-off input: its world point is read once', () => {
  const { controls, mouse } = devices([]);
  const input = { sample: (c) => ({ at: c.click, clicked: c.clicked, pressed: c.pressed }) };
  mouse('mousemove', 5, 6);
  assert.deepEqual(controls.pointer, { x: 10, y: 12 });
  mouse('mousedown', 3, 4);
  mouse('mouseup');
  assert.deepEqual(controls.sample(input, {}), { at: { x: 6, y: 8 }, clicked: true, pressed: false });
  assert.deepEqual(controls.sample(input, {}), { at: null, clicked: false, pressed: false });
});

test('the arena aims at the mouse, keeps the last aim without it, and fires on a click', () => {
  const { controls, key, mouse } = devices(arena.input.keys);
  key('keydown', 'KeyD');
  const still = controls.sample(arena.input, { own: { x: 0, y: 0 }, last: { aim: 1.25 } });
  assert.deepEqual(still, { mx: 1, my: 0, aim: 1.25, fire: false });
  mouse('mousemove', 0, 50); // straight down from the own player
  mouse('mousedown', 0, 50);
  mouse('mouseup');
  const shot = controls.sample(arena.input, { own: { x: 0, y: 0 }, last: still });
  assert.equal(shot.fire, true);
  assert.ok(Math.abs(shot.aim - Math.PI / 2) < 1e-9);
  assert.equal(arena.prediction.show({ x: 1, y: 2 }, shot).a, shot.aim, 'the own aim is drawn as sent');
});

test('pong sends the paddle axis alone', () => {
  const { controls, key } = devices(pong.input.keys);
  key('keydown', 'ArrowDown');
  assert.deepEqual(controls.sample(pong.input, { own: null, last: null }), { my: 1 });
});
