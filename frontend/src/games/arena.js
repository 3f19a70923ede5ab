// The arena's world and its movement step, ported from game/rules/arena_map.py so the client
// can predict its own player. tests/frontend/movement.test.mjs runs this port against
// tests/fixtures/arena_movement.json, the fixture the Python rules are checked against too.

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

/** Prediction hooks for the arena: the own player is entity `p<id>` with x, y. */
export const arenaPrediction = {
  read: (entity) => (entity && entity.al !== false ? { x: entity.x, y: entity.y } : null),
  step: (state, d, dt) => {
    const input = cleanInput(d);
    const [x, y] = move(state.x, state.y, input.mx, input.my, dt);
    return { x, y };
  },
};
