// Client-side prediction and server reconciliation (Gambetta): the own player moves at once
// with each input sent; when a server state arrives, the own state is reset to the server's
// and the inputs the server has not applied yet (seq > ack) are replayed on top of it.
// The game supplies `read(entity) -> state | null` and a pure `step(state, input, dt) -> state`.

export class Predictor {
  constructor({ read, step, maxPending = 128 }) {
    this.read = read;
    this.step = step;
    this.maxPending = maxPending;
    this.reset();
  }

  /** Forget the pending inputs and the predicted state (new match, new connection). */
  reset() {
    this.pending = []; // [{seq, d, dt}], oldest first
    this.state = null;
    this.lastAck = -1;
  }

  /** Record an input just sent with sequence number `seq`, lasting `dt` seconds, and predict its effect. */
  applyInput(seq, d, dt) {
    this.pending.push({ seq, d, dt });
    // A server that stopped acknowledging (a dropped seat, a stall) must not grow this forever.
    if (this.pending.length > this.maxPending) this.pending.shift();
    if (this.state !== null) this.state = this.step(this.state, d, dt);
  }

  /**
   * Reconcile with the server: `entity` is the own entity in the newest snapshot (or
   * undefined), `ack` the seq of the last input of ours the server applied (-1 for none).
   */
  reconcile(entity, ack) {
    if (typeof ack === 'number') this.lastAck = ack;
    this.pending = this.pending.filter((input) => input.seq > this.lastAck);
    const base = this.read(entity);
    if (base === null) {
      this.state = null;
      return;
    }
    let state = base;
    for (const input of this.pending) state = this.step(state, input.d, input.dt);
    this.state = state;
  }
}
