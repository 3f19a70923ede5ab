// The games this page can play, watch and replay. The server renders its game registry into
// every page (game/templatetags/games.py: <script id="game-modules">, a list of
// {name, title, module}); each game's browser module, frontend/src/games/<name>.js, is loaded
// from there by name. So no other module names a game, and a new game needs no edit here.
//
// A game module's default export is its spec; `gameSpec` checks it and fills in what it
// leaves out:
//   name         the rules' name (game/rules/<name>.py)
//   messages     the game's texts, {en: {key: text}, hi: {...}}, every key in every language
//                (i18n.js: gameText adds them under game.<name>.; docs/i18n.md); `help`,
//                `touch.help` and what `score` and `describe` say are looked up there, and
//                `reason.<reason>`: the words for a match-over reason of its own (the rules'
//                `reasons`; ui/results.js asks the game's words first)
//   help         one line: how to play with the keyboard and mouse
//   Renderer     a class: `new Renderer(canvas)` draws the game's world on the page's canvas.
//                It has `width`, `height` (world units), `toWorld(clientX, clientY)`,
//                `toClient(x, y)` (render/canvas.js's WorldCanvas gives these) and
//                `draw(view)`, view = {state: {g, e} | null, own: the own player's entity id
//                | null, predicted: its predicted fields | null, focus: the followed player's
//                entity id | null, hits: entity ids flashing (has(id)), banner: {text, sub} |
//                null, now: ms}
//   input        {keys: the key codes the game takes (KeyboardEvent.code; others stay the
//                page's), sample(c, view) -> the input payload `d` of one tick}: `c` is the
//                keyboard and mouse (input.js's Controls), view = {own: the own player's
//                entity as drawn or null, last: the payload sent before or null, dt: seconds
//                per input}; null when there is nothing to send this tick (a turn-based
//                game between moves: inputs are moves)
//   touch        null (no touch controls), or {pads: ['stick' | 'fire' | 'drag', ...],
//                surface: what a finger on the game view does ('aim': points, 'drag'), help,
//                apply(d, fingers, view) -> d with the fingers folded in} (touch.js)
//   prediction   null, or {read(entity) -> state | null, step(state, d, dt) -> state, and
//                optionally show(state, last) -> what is drawn} (prediction.js)
//   score(row)   the scores panel's cell of a player entity: {text, title}
//   compare(a, b) the scores panel's order of two player entities
//   describe(e, nameOf) a game event as a chat line, or null; nameOf(member id) -> name
//   flash(e)     the entity id a game event makes flash (a hit), or null
//   pingEveryMs  how often the page measures the round trip (default 2000); a turn-based
//                game, where the latency matters less and idle lobbies should cost nothing,
//                asks for less
//   refused(reason) the words for a move the rules refused (an error frame `move_refused`,
//                its `msg` one of the rules' `refusals`), or null for the page's own

import { t } from './i18n.js';

const DEFAULTS = Object.freeze({
  messages: Object.freeze({}),
  help: '',
  touch: null,
  prediction: null,
  score: (row) => ({ text: String(row.s ?? 0), title: t('hud.points') }),
  compare: (a, b) => (b.s ?? 0) - (a.s ?? 0),
  describe: () => null,
  flash: () => null,
  refused: () => null,
  pingEveryMs: 2000,
});

/** The spec of game `name` from its module's default export, defaults filled in; an Error
 * naming the file when it is not one. */
export function gameSpec(name, spec) {
  const where = `frontend/src/games/${name}.js`;
  if (!spec || spec.name !== name) throw new Error(`${where} should export default a spec named '${name}'`);
  if (typeof spec.Renderer !== 'function') throw new Error(`${where}: the spec has no Renderer class`);
  if (typeof spec.input?.sample !== 'function') throw new Error(`${where}: the spec has no input.sample(c, view)`);
  return Object.freeze({ ...DEFAULTS, ...spec, input: Object.freeze({ keys: [], ...spec.input }) });
}

/** The registered games as the page lists them: [{name, title (in the page's language), module}]. */
export function listedGames(doc = globalThis.document) {
  const script = doc?.getElementById('game-modules');
  return script ? JSON.parse(script.textContent) : [];
}

/** The spec of one listed game (`entry`: {name, module}); `load(url)` imports a module. */
export async function loadGame(entry, load = (url) => import(url)) {
  return gameSpec(entry.name, (await load(entry.module)).default);
}

/**
 * Every listed game's spec: {games: Map name -> spec, failed: [{name, error}]}. A module that
 * fails to load costs that game only.
 */
export async function loadGames(list = listedGames(), load = undefined) {
  const settled = await Promise.allSettled(list.map((entry) => loadGame(entry, load)));
  const games = new Map();
  const failed = [];
  settled.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') games.set(list[i].name, outcome.value);
    else failed.push({ name: list[i].name, error: outcome.reason });
  });
  return { games, failed };
}

/** Game `name`'s title in the page's language (from the page's list), else its name. */
export function gameTitle(name, list = listedGames()) {
  return list.find((g) => g.name === name)?.title ?? name;
}
