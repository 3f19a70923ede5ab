// The websocket to one lobby: binary frames in and out, the connection's state for people,
// and reconnection with exponential backoff and jitter, except after a close code that says
// reconnecting cannot help (kicked, banned, lobby closed, not found, full, locked).
import { ProtocolError, decodeServer, describeClose } from './protocol.js';

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, "equal jitter". */
export function backoffDelay(attempt, random = Math.random, { baseMs = 500, maxMs = 10000 } = {}) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

const READY_STATES = ['connecting', 'open', 'closing', 'closed'];

export class Net {
  /**
   * `url`: a function returning the websocket URL (asked again at each attempt).
   * `onFrame(msg)`: each decoded server frame. `onStatus(status)`: each change of state.
   * `onClose(info)`: each close, with `{code, name, message, final}`.
   * `onBadFrame(error)`: a server frame that could not be decoded.
   * `decode(data)`: decodes a server frame (a lobby's unless told; protocol.js: decodeServer).
   */
  constructor({ url, onFrame, onStatus = () => {}, onClose = () => {}, onBadFrame = () => {},
    WebSocketImpl = globalThis.WebSocket, random = Math.random, backoff = {}, decode = decodeServer }) {
    Object.assign(this, { url, onFrame, onStatus, onClose, onBadFrame, WebSocketImpl, random, backoff, decode });
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    this.state = 'idle';
    this.retryAt = null;
    this.lastClose = null;
  }

  /** Open the socket (again). */
  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    this.retryAt = null;
    const ws = new this.WebSocketImpl(this.url());
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => this.setState('open');
    ws.onmessage = (event) => this.receive(event.data);
    // Browsers give error events no detail; the close event that follows says what happened.
    ws.onerror = () => this.setState(ws.readyState === 1 ? 'open' : 'connecting');
    ws.onclose = (event) => this.closed(ws, event.code);
    this.ws = ws;
    this.setState('connecting');
  }

  receive(data) {
    this.attempt = 0; // the server answered: the next outage starts from a short delay again
    let msg;
    try {
      msg = this.decode(data);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.onBadFrame(err);
        return;
      }
      throw err;
    }
    this.onFrame(msg);
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    const info = { code, ...describeClose(code) };
    this.lastClose = info;
    if (this.stopped) {
      this.setState('closed');
      return;
    }
    this.onClose(info);
    if (info.final) {
      this.stopped = true;
      this.setState('closed');
      return;
    }
    const delay = backoffDelay(this.attempt, this.random, this.backoff);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => this.connect(), delay);
    this.setState('reconnecting');
  }

  /** Send one encoded frame; false when the socket is not open (the frame is dropped). */
  send(bytes) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(bytes);
    return true;
  }

  get open() {
    return this.ws !== null && this.ws.readyState === 1;
  }

  /** Close for good (leaving the page, or going elsewhere): no reconnect. */
  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    else this.setState('closed');
  }

  setState(state) {
    this.state = state;
    this.onStatus(this.status());
  }

  /** The connection as people see it: `{state, readyState, attempt, retryAt, lastClose}`. */
  status() {
    return {
      state: this.state,
      readyState: this.ws ? READY_STATES[this.ws.readyState] : 'closed',
      attempt: this.attempt,
      retryAt: this.retryAt,
      lastClose: this.lastClose,
    };
  }
}
