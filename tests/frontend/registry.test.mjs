// The browser's game registry (frontend/src/registry.js) and what every game module owes it:
// each frontend/src/games/<name>.js loads as a spec named after its file.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';

import { gameSpec, listedGames, loadGame, loadGames } from '../../frontend/src/registry.js';

const GAMES_DIR = new URL('../../frontend/src/games/', import.meta.url);
const moduleFiles = readdirSync(GAMES_DIR).filter((f) => f.endsWith('.js'));

class Renderer {}
const minimal = { name: 'dots', Renderer, input: { sample: () => ({}) } };

test('a spec without the optional parts gets their defaults', () => {
  const spec = gameSpec('dots', minimal);
  assert.equal(spec.touch, null);
  assert.equal(spec.prediction, null);
  assert.deepEqual(spec.input.keys, []);
  assert.deepEqual(spec.score({ s: 3 }), { text: '3', title: 'points' });
  assert.ok(spec.compare({ s: 1 }, { s: 4 }) > 0, 'the higher score first');
  assert.equal(spec.describe({ type: 'point', id: 1 }, () => 'Ann'), null);
  assert.equal(spec.flash({ type: 'hit', id: 1 }), null);
  assert.ok(Object.isFrozen(spec));
});

test('a module that is no spec of its name is refused, naming its file', () => {
  assert.throws(() => gameSpec('dots', undefined), /frontend\/src\/games\/dots\.js should export default/);
  assert.throws(() => gameSpec('dots', { ...minimal, name: 'other' }), /named 'dots'/);
  assert.throws(() => gameSpec('dots', { ...minimal, Renderer: null }), /no Renderer/);
  assert.throws(() => gameSpec('dots', { ...minimal, input: {} }), /input\.sample/);
});

test('the listed games are read from the page, none without the list', () => {
  const list = [{ name: 'dots', title: 'Dots', module: '/static/frontend/games/dots.js' }];
  const doc = { getElementById: (id) => (id === 'game-modules' ? { textContent: JSON.stringify(list) } : null) };
  assert.deepEqual(listedGames(doc), list);
  assert.deepEqual(listedGames({ getElementById: () => null }), []);
});

test('a module that fails to load costs its own game only', async () => {
  const list = [{ name: 'dots', module: 'dots.js' }, { name: 'broken', module: 'broken.js' }];
  const load = async (url) => {
    if (url === 'broken.js') throw new Error('syntax error');
    return { default: minimal };
  };
  const { games, failed } = await loadGames(list, load);
  assert.deepEqual([...games.keys()], ['dots']);
  assert.deepEqual(failed.map((f) => [f.name, f.error.message]), [['broken', 'syntax error']]);
});

test('every game module in frontend/src/games is a spec named after its file', async () => {
  assert.ok(moduleFiles.length >= 2);
  for (const file of moduleFiles) {
    const name = file.slice(0, -3);
    const spec = await loadGame({ name, module: new URL(file, GAMES_DIR).href });
    assert.equal(spec.name, name);
    assert.ok(spec.help, `${file}: a help line`);
    assert.ok(spec.input.keys.length > 0, `${file}: the keys it takes`);
    if (spec.touch) assert.ok(Array.isArray(spec.touch.pads) && spec.touch.help && typeof spec.touch.apply === 'function', file);
    if (spec.prediction) assert.ok(typeof spec.prediction.read === 'function' && typeof spec.prediction.step === 'function', file);
  }
});
