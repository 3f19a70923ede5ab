// The snapshot buffer: rebuilds the server's snapshots from full and delta frames and
// interpolates entities `render_delay_ms` behind the server (Gambetta's entity
// interpolation). Pure: the caller passes `now` (local milliseconds, e.g. performance.now()).

/** Apply a delta to the snapshot it was taken against (mirror of game/engine/delta.py `apply`). */
export function applyDelta(snapshot, delta) {
  const entities = {};
  for (const [id, fields] of Object.entries(snapshot.e ?? {})) entities[id] = { ...fields };
  for (const id of delta.r ?? []) delete entities[id];
  for (const [id, fields] of Object.entries(delta.f ?? {})) entities[id] = { ...fields };
  for (const [id, fields] of Object.entries(delta.e ?? {})) entities[id] = { ...(entities[id] ?? {}), ...fields };
  const g = 'G' in delta ? { ...delta.G } : { ...(snapshot.g ?? {}), ...(delta.g ?? {}) };
  return { g, e: entities };
}

const lerp = (a, b, t) => a + (b - a) * t;

function lerpAngle(a, b, t) {
  let d = (b - a) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d < -Math.PI) d += 2 * Math.PI;
  return a + d * t;
}

/**
 * Interpolate one entity between its older and newer states. Positions farther apart than
 * `snapDistance` (a respawn, a serve) jump instead of sliding; other fields come from the newer.
 */
export function interpolateEntity(older, newer, t, { fields = ['x', 'y'], angles = ['a'], snapDistance = 200 } = {}) {
  if (!older) return { ...newer };
  const out = { ...newer };
  const dx = (newer.x ?? 0) - (older.x ?? 0);
  const dy = (newer.y ?? 0) - (older.y ?? 0);
  if (Math.hypot(dx, dy) > snapDistance) return out;
  for (const key of fields) {
    if (typeof older[key] === 'number' && typeof newer[key] === 'number') out[key] = lerp(older[key], newer[key], t);
  }
  for (const key of angles) {
    if (typeof older[key] === 'number' && typeof newer[key] === 'number') out[key] = lerpAngle(older[key], newer[key], t);
  }
  return out;
}

/**
 * The globals drawn between two snapshots: `base` (the newer's unless told), with `n` — a
 * game's step count, when both have one — blended like positions. A game that places things
 * by step (a bullet flying straight) then moves them smoothly between frames too.
 */
export function interpolateGlobals(older, newer, t, base = newer) {
  if (typeof older?.n !== 'number' || typeof newer?.n !== 'number') return base;
  return { ...base, n: lerp(older.n, newer.n, t) };
}

/**
 * How far behind the server a client draws at `broadcastRateHz` state frames a second: two
 * broadcast intervals, so one lost or late frame still leaves two to interpolate between
 * (100 ms at 20 Hz and above).
 */
export function renderDelayFor(broadcastRateHz, { minMs = 100 } = {}) {
  return broadcastRateHz > 0 ? Math.max(minMs, 2000 / broadcastRateHz) : minMs;
}

/** A lobby's state frames per second: its `broadcast_rate` setting, or (0) its tick rate. */
export function broadcastRateOf(lobby) {
  return lobby?.settings?.broadcast_rate || lobby?.tick_rate || 20;
}

export class SnapshotBuffer {
  /**
   * `renderDelayMs`: how far behind the newest server state entities are drawn. A frame's
   * place on the server timeline is its `time` (server wall clock, integer milliseconds).
   */
  constructor({ renderDelayMs = 100, maxSnapshots = 64, offsetDecay = 0.02, ...interp } = {}) {
    this.renderDelayMs = renderDelayMs;
    this.maxSnapshots = maxSnapshots;
    this.offsetDecay = offsetDecay;
    this.interp = interp;
    this.clear();
  }

  /** Forget everything (a new connection, a new timeline). */
  clear() {
    this.snapshots = []; // [{tick, serverMs, snapshot, lastProcessedInput}], oldest first
    this.offsetMs = null; // server clock minus local clock, from the fastest arrivals
    this.dropped = 0;
  }

  /**
   * Take a `full` or `delta` frame that arrived at local time `now`. Returns true when it
   * was applied; a delta whose `base` is not the newest snapshot's tick is dropped (false).
   */
  push(frame, now) {
    const newest = this.latest();
    if (newest && frame.tick <= newest.tick) return false; // late or repeated
    let snapshot;
    if (frame.k === 'full') {
      snapshot = { g: frame.s.g ?? {}, e: frame.s.e ?? {} };
    } else if (frame.k === 'delta' && newest && newest.tick === frame.base) {
      snapshot = applyDelta(newest.snapshot, frame.s);
    } else {
      this.dropped += 1;
      return false;
    }
    const serverMs = frame.time;
    this.snapshots.push({ tick: frame.tick, serverMs, snapshot, lastProcessedInput: frame.last_processed_input ?? {} });
    if (this.snapshots.length > this.maxSnapshots) this.snapshots.shift();
    this.observeOffset(serverMs - now);
    return true;
  }

  // A frame can only arrive after it was made, so the largest (server - local) seen is the
  // best mapping; it decays slowly toward later arrivals to follow drift and a slower server.
  observeOffset(sample) {
    if (this.offsetMs === null || sample > this.offsetMs) this.offsetMs = sample;
    else this.offsetMs += (sample - this.offsetMs) * this.offsetDecay;
  }

  /** The newest snapshot entry, or null. */
  latest() {
    return this.snapshots.length ? this.snapshots[this.snapshots.length - 1] : null;
  }

  /** The server-timeline instant drawn at local time `now`. */
  renderTime(now) {
    return this.offsetMs === null ? null : now + this.offsetMs - this.renderDelayMs;
  }

  /**
   * The interpolated state at local time `now`: `{tick, g, e}` or null before any snapshot.
   * Before the oldest snapshot it shows the oldest; past the newest it holds the newest.
   */
  sample(now) {
    const list = this.snapshots;
    if (!list.length) return null;
    const t = this.renderTime(now);
    let i = list.length - 1;
    while (i > 0 && list[i - 1].serverMs >= t) i -= 1;
    const newer = list[i];
    const older = i > 0 ? list[i - 1] : null;
    if (!older || t >= newer.serverMs) return { tick: newer.tick, g: newer.snapshot.g, e: newer.snapshot.e };
    const alpha = (t - older.serverMs) / (newer.serverMs - older.serverMs);
    const e = {};
    for (const [id, fields] of Object.entries(newer.snapshot.e)) {
      e[id] = interpolateEntity(older.snapshot.e[id], fields, alpha, this.interp);
    }
    const g = interpolateGlobals(older.snapshot.g, newer.snapshot.g, alpha);
    return { tick: older.tick + alpha * (newer.tick - older.tick), g, e };
  }
}
