// Arena in the browser: its world and movement step (ported from game/rules/arena_map.py so the
// client can predict its own player), its renderer, and how keys, mouse and touch play it.
// tests/frontend/movement.test.mjs runs the port against tests/fixtures/arena_movement.json,
// the fixture the Python rules are checked against too. The default export is the game's
// spec (registry.js); its words, in every language, are MESSAGES (i18n.js: gameText).
import { gameText } from '../i18n.js';
import { KEYS } from '../input.js';
import { WorldCanvas, colourMap } from '../render/canvas.js';
import { drawMark } from '../render/players.js';
import { aimAngle, stickVector } from '../touch/gestures.js';

export const WORLD = Object.freeze({
  width: 1600,
  height: 900,
  player_radius: 18,
  speed: 260,
  max_substep: 16, // px: thinner than any wall, so a long step cannot tunnel through
  walls: Object.freeze([
    [740, 390, 120, 120],
    [300, 150, 200, 40], [1100, 150, 200, 40],
    [300, 710, 200, 40], [1100, 710, 200, 40],
    [200, 380, 40, 140], [1360, 380, 40, 140],
  ]),
});

/** Everything the arena says to people, in each language (docs/i18n.md). */
export const MESSAGES = Object.freeze({
  en: {
    help: 'Move: WASD or arrow keys · Aim: mouse · Fire: click or Space',
    touch_help: 'Move: the stick · Aim and fire: tap or hold on the arena, or hold Fire',
    score_title: 'score · kills/deaths',
    kill: '{killer} eliminated {victim}.',
  },
  hi: {
    help: 'चलना: WASD या तीर वाली कुंजियाँ · निशाना: माउस · फ़ायर: क्लिक या Space',
    touch_help: 'चलना: स्टिक · निशाना और फ़ायर: अखाड़े पर टैप करें या उँगली रखे रहें, या फ़ायर दबाए रखें',
    score_title: 'स्कोर · ढेर किए/ढेर हुए',
    kill: '{killer} ने {victim} को ढेर कर दिया।',
  },
});
const t = gameText('arena', MESSAGES);

export const MAX_HP = 100;
export const BULLET_RADIUS = 4;
export const PICKUP_RADIUS = 14;

/**
 * Where a bullet of a snapshot is drawn: bullets fly straight, so its entry says where it was
 * at step `t` and its velocity (px/s), and stays the same all its flight; the snapshot's
 * globals give the step `n` (fractional between frames) and the seconds a step `dt`. Mirror
 * of `bullet_at` in game/rules/arena.py. An entry without `t` is drawn where it says.
 */
export function bulletAt(e, g) {
  if (typeof e.t !== 'number' || typeof g?.n !== 'number' || typeof g?.dt !== 'number') return [e.x, e.y];
  const age = Math.max(0, g.n - e.t) * g.dt;
  return [e.x + e.vx * age, e.y + e.vy * age];
}

function blocked(x, y, world) {
  const r = world.player_radius;
  for (const wall of world.walls) {
    const [wx, wy, ww, wh] = wall;
    if (wx - r < x && x < wx + ww + r && wy - r < y && y < wy + wh + r) return wall;
  }
  return null;
}

/**
 * One movement step: direction (mx, my) normalised if longer than 1, at `speed` for `dt`
 * seconds, stopped by the world's edges and walls. The step is cut into sub-steps of at most
 * `max_substep` px so no wall is jumped over, each resolved x first, then y.
 */
export function move(x, y, mx, my, dt, world = WORLD) {
  let length = Math.hypot(mx, my);
  if (length > 1) {
    mx /= length;
    my /= length;
    length = 1;
  }
  const substeps = Math.max(1, Math.ceil((length * world.speed * dt) / world.max_substep));
  const dx = (mx * world.speed * dt) / substeps;
  const dy = (my * world.speed * dt) / substeps;
  for (let i = 0; i < substeps; i += 1) [x, y] = substep(x, y, dx, dy, world);
  return [x, y];
}

function substep(x, y, dx, dy, world) {
  const r = world.player_radius;
  x = Math.min(world.width - r, Math.max(r, x + dx));
  let wall = blocked(x, y, world);
  if (wall !== null && dx !== 0) x = dx > 0 ? wall[0] - r : wall[0] + wall[2] + r;
  y = Math.min(world.height - r, Math.max(r, y + dy));
  wall = blocked(x, y, world);
  if (wall !== null && dy !== 0) y = dy > 0 ? wall[1] - r : wall[1] + wall[3] + r;
  return [x, y];
}

/** Clamp an input the way the server's parse_input does, so prediction sees the same values. */
export function cleanInput(d) {
  const clamp = (v) => Math.min(1, Math.max(-1, Number.isFinite(v) ? v : 0));
  return { mx: clamp(d.mx), my: clamp(d.my), aim: Number.isFinite(d.aim) ? d.aim : 0, fire: d.fire === true };
}

// -- drawing -------------------------------------------------------------------------------
// Floor, walls, pickups, bullets and players (names, HP bars, aim), the own player highlighted,
// the followed one marked, and a banner for countdowns and waits.
const R = WORLD.player_radius;

export class ArenaRenderer extends WorldCanvas {
  constructor(canvas) {
    super(canvas, WORLD.width, WORLD.height);
  }

  /**
   * `view`: {state: {g, e} | null, own: entity id | null, predicted: {x, y} | null,
   * focus: entity id | null, hits: Map of entity ids just hit, banner: {text, sub} | null, now: ms}.
   */
  draw(view) {
    const { ctx } = this;
    this.floor();
    const entities = view.state?.e ?? {};
    const colours = colourMap(entities);
    for (const [id, e] of Object.entries(entities)) {
      if (id[0] === 'c' || id[0] === 'h') this.pickup(id[0], e, view.now);
    }
    for (const [id, e] of Object.entries(entities)) {
      if (id[0] === 'b') this.bullet(bulletAt(e, view.state.g), colours.get(`p${e.o}`));
    }
    const players = Object.entries(entities).filter(([id]) => colours.has(id));
    // The own player is drawn last, on top, at its predicted position.
    players.sort(([a], [b]) => (a === view.own) - (b === view.own));
    for (const [id, e] of players) {
      const at = id === view.own && view.predicted ? { ...e, ...view.predicted } : e;
      this.player(at, colours.get(id), { own: id === view.own, focus: id === view.focus, hit: view.hits?.has(id), now: view.now });
    }
    if (view.banner) this.banner(view.banner.text, view.banner.sub);
    ctx.globalAlpha = 1;
  }

  floor() {
    const { ctx, width, height } = this;
    ctx.fillStyle = '#121726';
    ctx.fillRect(0, 0, width, height);
    ctx.strokeStyle = 'rgba(120, 140, 200, 0.07)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = 0; x <= width; x += 50) { ctx.moveTo(x, 0); ctx.lineTo(x, height); }
    for (let y = 0; y <= height; y += 50) { ctx.moveTo(0, y); ctx.lineTo(width, y); }
    ctx.stroke();
    ctx.strokeStyle = '#3a4670';
    ctx.lineWidth = 6;
    ctx.strokeRect(3, 3, width - 6, height - 6);
    for (const [x, y, w, h] of WORLD.walls) {
      ctx.fillStyle = '#2b3352';
      ctx.fillRect(x, y, w, h);
      ctx.strokeStyle = '#56618f';
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, w - 2, h - 2);
    }
  }

  pickup(kind, e, now) {
    const { ctx } = this;
    const pulse = 1 + 0.12 * Math.sin(now / 200);
    if (kind === 'c') {
      ctx.fillStyle = '#ffca28';
      ctx.strokeStyle = '#8d6e00';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(e.x, e.y, PICKUP_RADIUS * 0.7 * pulse, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      this.label('$', e.x, e.y + 1, { colour: '#5d4300', size: 14, weight: '900' });
    } else {
      const s = PICKUP_RADIUS * pulse;
      ctx.fillStyle = '#e8f5e9';
      ctx.fillRect(e.x - s, e.y - s, 2 * s, 2 * s);
      ctx.fillStyle = '#2e7d32';
      ctx.fillRect(e.x - s * 0.25, e.y - s * 0.75, s * 0.5, s * 1.5);
      ctx.fillRect(e.x - s * 0.75, e.y - s * 0.25, s * 1.5, s * 0.5);
    }
  }

  bullet([x, y], colour = '#fff') {
    const { ctx } = this;
    ctx.fillStyle = colour;
    ctx.shadowColor = colour;
    ctx.shadowBlur = 8;
    ctx.beginPath();
    ctx.arc(x, y, BULLET_RADIUS + 1, 0, Math.PI * 2);
    ctx.fill();
    ctx.shadowBlur = 0;
  }

  player(e, colour, { own, focus, hit, now }) {
    const { ctx } = this;
    ctx.globalAlpha = e.al === false ? 0.25 : 1;
    if (own || focus) {
      ctx.strokeStyle = own ? '#ffffff' : '#ffd54f';
      ctx.lineWidth = 3;
      ctx.setLineDash(own ? [] : [6, 5]);
      ctx.beginPath();
      ctx.arc(e.x, e.y, R + 7, 0, Math.PI * 2);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (e.sp && e.al !== false) {
      ctx.strokeStyle = `rgba(130, 200, 255, ${0.45 + 0.25 * Math.sin(now / 90)})`;
      ctx.lineWidth = 4;
      ctx.beginPath();
      ctx.arc(e.x, e.y, R + 3, 0, Math.PI * 2);
      ctx.stroke();
    }
    const aim = e.a ?? 0;
    ctx.strokeStyle = '#dfe6ff';
    ctx.lineWidth = 8;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(e.x, e.y);
    ctx.lineTo(e.x + Math.cos(aim) * (R + 16), e.y + Math.sin(aim) * (R + 16));
    ctx.stroke();
    ctx.lineCap = 'butt';
    ctx.fillStyle = hit ? '#ff5252' : colour;
    ctx.beginPath();
    ctx.arc(e.x, e.y, R, 0, Math.PI * 2);
    ctx.fill();
    ctx.strokeStyle = 'rgba(0,0,0,0.6)';
    ctx.lineWidth = 2;
    ctx.stroke();
    if (!hit) drawMark(ctx, colour, e.x, e.y, R * 1.25);
    this.label(e.al === false ? `${e.n ?? '?'} ✝` : (e.n ?? '?'), e.x, e.y - R - 30,
      { colour: own ? '#ffffff' : colour, size: 22, weight: own ? '800' : '700' });
    this.hpBar(e.x, e.y - R - 12, e.hp ?? MAX_HP);
    ctx.globalAlpha = 1;
  }

  hpBar(x, y, hp) {
    const { ctx } = this;
    const w = 56;
    const frac = Math.max(0, Math.min(1, hp / MAX_HP));
    ctx.fillStyle = 'rgba(0,0,0,0.75)';
    ctx.fillRect(x - w / 2 - 2, y - 5, w + 4, 10);
    ctx.fillStyle = frac > 0.5 ? '#66bb6a' : frac > 0.25 ? '#ffa726' : '#ef5350';
    ctx.fillRect(x - w / 2, y - 3, w * frac, 6);
  }
}

const clampUnit = (v) => Math.max(-1, Math.min(1, v));

/** Keys and mouse: WASD or arrows move, the mouse aims (kept when it is away), a click or Space fires. */
const input = {
  keys: [...KEYS.up, ...KEYS.down, ...KEYS.left, ...KEYS.right, ...KEYS.fire],
  sample(c, { own, last }) {
    const aim = c.pointer && own ? Math.atan2(c.pointer.y - own.y, c.pointer.x - own.x) : (last?.aim ?? 0);
    return { mx: c.axis(KEYS.left, KEYS.right), my: c.axis(KEYS.up, KEYS.down), aim,
      fire: c.pressed || c.clicked || KEYS.fire.some((code) => c.down(code)) };
  },
};

/** Touch: a stick to move; a finger on the arena aims there and fires; the Fire pad fires. */
export const touch = Object.freeze({
  pads: Object.freeze(['stick', 'fire']),
  surface: 'aim',
  help: t('touch_help'),
  apply(d, fingers, { own }) {
    const out = { ...d };
    const push = fingers.stick ? stickVector(fingers.stick.origin, fingers.stick.point) : { x: 0, y: 0 };
    out.mx = clampUnit((d.mx ?? 0) + push.x);
    out.my = clampUnit((d.my ?? 0) + push.y);
    // Fire without a point to aim at shoots where the stick walks, or where the last shot went.
    const walking = push.x !== 0 || push.y !== 0 ? Math.atan2(push.y, push.x) : null;
    const aim = aimAngle(own, fingers.aim) ?? (fingers.fire ? walking : null);
    if (aim !== null) out.aim = aim;
    out.fire = Boolean(d.fire || fingers.fire || fingers.aim || fingers.shot);
    return out;
  },
});

/** Prediction: the own player is entity `p<id>` with x, y; its aim is drawn as last sent. */
export const prediction = Object.freeze({
  read: (entity) => (entity && entity.al !== false ? { x: entity.x, y: entity.y } : null),
  step: (state, d, dt) => {
    const cleaned = cleanInput(d);
    const [x, y] = move(state.x, state.y, cleaned.mx, cleaned.my, dt);
    return { x, y };
  },
  show: (state, last) => (last && Number.isFinite(last.aim) ? { ...state, a: last.aim } : state),
});

export default Object.freeze({
  name: 'arena',
  messages: MESSAGES,
  help: t('help'),
  Renderer: ArenaRenderer,
  input,
  touch,
  prediction,
  score: (row) => ({ text: `${row.s ?? 0}  ·  ${row.k ?? 0}/${row.d ?? 0}`, title: t('score_title') }),
  compare: (a, b) => (b.s ?? 0) - (a.s ?? 0) || (a.d ?? 0) - (b.d ?? 0),
  describe: (e, nameOf) => (e.type === 'kill' ? t('kill', { killer: nameOf(e.killer), victim: nameOf(e.victim) }) : null),
  flash: (e) => (e.type === 'hit' ? `p${e.id}` : null),
});
