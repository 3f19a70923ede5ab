// The replay's clock: where playback is (a fractional tick), whether it plays, how fast.
// Pure: every method that depends on time takes `now` (local milliseconds, as from
// performance.now()), so tests drive it without timers.

export const SPEEDS = Object.freeze([0.25, 0.5, 1, 2, 4]);
export const MIN_SPEED = SPEEDS[0];
export const MAX_SPEED = SPEEDS[SPEEDS.length - 1];

export class ReplayPlayer {
  /** `frameCount`: frames 0..frameCount-1, one per tick; `tickRate`: ticks per second. */
  constructor({ frameCount, tickRate }) {
    if (!(frameCount >= 1) || !(tickRate > 0)) throw new RangeError('a replay needs frames and a tick rate');
    this.frameCount = frameCount;
    this.tickRate = tickRate;
    this.position = 0; // in ticks, 0..last
    this.playing = false;
    this.speed = 1;
    this.anchor = null; // the `now` the position was last brought up to
  }

  get last() {
    return this.frameCount - 1;
  }

  /** The match's length in seconds. */
  get duration() {
    return this.last / this.tickRate;
  }

  get ended() {
    return this.position >= this.last;
  }

  /** Bring the position up to `now`; playback stops by itself at the last frame. */
  update(now) {
    if (this.playing && this.anchor !== null) {
      const ticks = ((now - this.anchor) / 1000) * this.tickRate * this.speed;
      this.position = Math.min(this.last, this.position + Math.max(0, ticks));
      if (this.ended) this.playing = false;
    }
    this.anchor = now;
    return this.position;
  }

  /** Play from here (from the start when at the end). */
  play(now) {
    this.update(now);
    if (this.ended) this.position = 0;
    this.playing = this.last > 0;
  }

  pause(now) {
    this.update(now);
    this.playing = false;
  }

  toggle(now) {
    if (this.playing) this.pause(now);
    else this.play(now);
  }

  /** Jump to tick `tick` (clamped; fractions allowed); playing goes on playing. */
  seek(tick, now) {
    this.update(now);
    this.position = clamp(Number.isFinite(tick) ? tick : 0, 0, this.last);
  }

  /** Move by `seconds` of match time (negative: back). */
  seekBy(seconds, now) {
    this.update(now);
    this.seek(this.position + seconds * this.tickRate, now);
  }

  /** Move by whole ticks from the current frame: a frame step (paused viewing). */
  step(ticks, now) {
    this.update(now);
    this.seek(Math.round(this.position) + ticks, now);
  }

  /** Set the speed factor, clamped to [MIN_SPEED, MAX_SPEED]; the position so far is kept. */
  setSpeed(speed, now) {
    this.update(now);
    this.speed = clamp(Number.isFinite(speed) ? speed : 1, MIN_SPEED, MAX_SPEED);
  }

  /** The next listed speed up (`direction` 1) or down (-1) from the current one. */
  changeSpeed(direction, now) {
    const next = direction > 0 ? SPEEDS.find((s) => s > this.speed) : [...SPEEDS].reverse().find((s) => s < this.speed);
    this.setSpeed(next ?? this.speed, now);
  }

  /** The frames around a position: `index` and `index + 1` (the same at the end) and how far
   * between them it lies (`alpha` in [0, 1)). */
  frameAt(position = this.position) {
    const p = clamp(position, 0, this.last);
    const index = Math.min(Math.floor(p), this.last);
    return { index, next: Math.min(index + 1, this.last), alpha: index === this.last ? 0 : p - index };
  }

  /** Seconds of match time at a tick. */
  timeAt(tick = this.position) {
    return tick / this.tickRate;
  }
}

function clamp(value, lo, hi) {
  return Math.min(hi, Math.max(lo, value));
}

/** `m:ss.t`, for the replay's position and length. */
export function formatTime(seconds) {
  const tenths = Math.max(0, Math.floor((seconds ?? 0) * 10 + 1e-6));
  const minutes = Math.floor(tenths / 600);
  const rest = (tenths % 600) / 10;
  return `${minutes}:${rest.toFixed(1).padStart(4, '0')}`;
}
