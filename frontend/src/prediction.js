// Client-side prediction and server reconciliation (Gambetta): the own player moves at once
// with each input sent; when a server state arrives, the own state is reset to the server's
// and the inputs the server has not applied yet (input_seq > last_processed_input) are replayed
// on top of it.
// The game supplies `read(entity) -> state | null` and a pure `step(state, input, dt) -> state`.
// Pure: times (`now`, local milliseconds) are passed in.

function lerpState(a, b, t) {
  const out = { ...b };
  for (const [key, value] of Object.entries(b)) {
    if (typeof value === 'number' && typeof a[key] === 'number') out[key] = a[key] + (value - a[key]) * t;
  }
  return out;
}

export class Predictor {
  constructor({ read, step, maxPending = 128 }) {
    this.read = read;
    this.step = step;
    this.maxPending = maxPending;
    this.reset();
  }

  /** Forget the pending inputs and the predicted state (new match, new connection). */
  reset() {
    this.pending = []; // [{inputSeq, d, dt}], oldest first
    this.state = null; // after every input sent so far
    this.before = null; // before the newest input: drawing glides from here to `state`
    this.lastProcessedInput = -1;
    this.lastInput = null; // {inputSeq, dt, at}
  }

  /** Record an input sent at `now` with sequence number `inputSeq`, lasting `dt` seconds, and predict its effect. */
  applyInput(inputSeq, d, dt, now = 0) {
    this.pending.push({ inputSeq, d, dt });
    // A server that stopped acknowledging (a dropped seat, a stall) must not grow this forever.
    if (this.pending.length > this.maxPending) this.pending.shift();
    this.lastInput = { inputSeq, dt, at: now };
    this.before = this.state;
    if (this.state !== null) this.state = this.step(this.state, d, dt);
  }

  /**
   * Reconcile with the server: `entity` is the own entity in the newest snapshot (or
   * undefined), `lastProcessedInput` the input_seq of the last input of ours the server
   * applied (-1 for none; undefined when the frame has none for us).
   */
  reconcile(entity, lastProcessedInput) {
    if (typeof lastProcessedInput === 'number') this.lastProcessedInput = lastProcessedInput;
    this.pending = this.pending.filter((input) => input.inputSeq > this.lastProcessedInput);
    let state = this.read(entity);
    let before = state;
    if (state !== null) {
      for (const input of this.pending) {
        before = state;
        state = this.step(state, input.d, input.dt);
      }
      const newestReplayed = this.pending.length && this.pending[this.pending.length - 1].inputSeq === this.lastInput?.inputSeq;
      if (!newestReplayed) before = state;
    }
    this.state = state;
    this.before = state === null ? null : before;
  }

  /**
   * Where to draw the own player at `now`: gliding from before the newest input to after it
   * over that input's duration, so movement is smooth between inputs (never ahead of them).
   */
  view(now) {
    if (this.state === null || this.before === null || !this.lastInput) return this.state;
    const t = Math.min(1, Math.max(0, (now - this.lastInput.at) / (this.lastInput.dt * 1000)));
    return lerpState(this.before, this.state, t);
  }
}
