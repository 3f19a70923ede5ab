// What a replay shows at a fractional tick: the two frames around it blended with the live
// view's entity interpolation (snapshots.js), and the entities flashing from events just
// before (a hit). Pure.
import { interpolateEntity, interpolateGlobals } from '../snapshots.js';

const MOVING = ['x', 'y', 'a']; // what interpolateEntity blends (positions and the aim angle)

/**
 * The state drawn at `position` (in ticks) of `frames` (one `{g, e}` snapshot per tick):
 * positions and aims (and the step count `g.n`) are interpolated between the frames around
 * it; everything else (which entities exist, hp, scores, the clock) comes from the nearer
 * frame, so a seek shows exactly the frame it lands on. Returns `{tick, g, e}`.
 */
export function sampleFrames(frames, position, interp = {}) {
  const last = frames.length - 1;
  const p = Math.min(last, Math.max(0, position));
  const index = Math.floor(p);
  const alpha = p - index;
  const older = frames[index];
  if (alpha === 0 || index >= last) return { tick: index, g: older.g, e: older.e };
  const newer = frames[index + 1];
  const near = alpha < 0.5 ? older : newer;
  const e = {};
  for (const [id, fields] of Object.entries(near.e)) {
    const a = older.e[id];
    const b = newer.e[id];
    if (!a || !b) {
      e[id] = fields;
      continue;
    }
    const blended = interpolateEntity(a, b, alpha, interp);
    const out = { ...fields };
    for (const key of MOVING) if (typeof fields[key] === 'number') out[key] = blended[key];
    e[id] = out;
  }
  return { tick: p, g: interpolateGlobals(older.g, newer.g, alpha, near.g), e };
}

/** The game events of a replay reply (`[[tick, [event, ...]], ...]`) as a Map tick -> events. */
export function eventsByTick(events) {
  return new Map((events ?? []).map(([tick, list]) => [tick, list]));
}

/**
 * The entity ids that events within the `windowTicks` ticks up to `position` make flash:
 * `flash(event)` names the entity an event flashes, or null (the game's `flash`, registry.js).
 */
export function hitsAt(byTick, position, windowTicks, flash) {
  const hits = new Set();
  const newest = Math.floor(position);
  for (let tick = Math.max(0, newest - windowTicks + 1); tick <= newest; tick += 1) {
    for (const event of byTick.get(tick) ?? []) {
      const id = flash(event);
      if (id !== null && id !== undefined) hits.add(id);
    }
  }
  return hits;
}
