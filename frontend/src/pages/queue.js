// Quick match: the matchmaking queue of one game (/ws/queue/<game>/). The view shows the place
// in the queue, how many wait, the time waited and the rating window; on `matched` it keeps the
// seat token (as the lobby's token, which the game page sends) and goes to the lobby.
import { t, withDetail } from '../i18n.js';
import { Net } from '../net.js';
import {
  QUEUE_CLIENT_KINDS, QUEUE_SERVER_KINDS, decodeServer, describeError, encodeClient, queueUrl,
} from '../protocol.js';

export const playUrl = (code) => `/play/${encodeURIComponent(code)}/`;

/** Seconds as m:ss (or h:mm:ss past an hour). */
export function formatWait(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/**
 * What the queue view shows (pure): from the last `queue` frame (`status`, received at
 * `receivedAt` ms) at `now` ms. The time waited runs on between the server's once-a-second
 * frames; the rest is the server's word.
 */
export function queueView(status, receivedAt, now) {
  if (!status) return { state: 'connecting', headline: t('queue.connecting'), waiting: '–', position: '–', wait: '–', window: '–' };
  const waiting = String(status.waiting);
  if (!status.queued) return { state: 'idle', headline: t('queue.idle'), waiting, position: '–', wait: '–', window: '–' };
  const waited = status.wait_s + Math.max(0, now - receivedAt) / 1000;
  return {
    state: 'queued',
    headline: t(status.waiting > 1 ? 'queue.looking_players' : 'queue.looking_opponent'),
    waiting,
    position: t('queue.position', { position: status.position, waiting: status.waiting }),
    wait: formatWait(waited),
    window: `${status.rating} ± ${status.window}`,
  };
}

/** The queue socket of one game: joins when it opens (again after a reconnect). */
export class QueueSession {
  /**
   * `onChange()`: the view changed. `onMatched(frame)`: a lobby was formed (the session is
   * closed by then). `onError(message)`: something to tell the person. `now()`: ms.
   */
  constructor({ game, name, location, onChange = () => {}, onMatched = () => {}, onError = () => {},
    now = () => Date.now(), WebSocketImpl = globalThis.WebSocket, random = Math.random }) {
    Object.assign(this, { game, onChange, onMatched, onError, now });
    this.status = null;
    this.receivedAt = 0;
    this.state = 'connecting';
    this.net = new Net({
      url: () => queueUrl(location, { game, name }),
      decode: (data) => decodeServer(data, QUEUE_SERVER_KINDS),
      onFrame: (msg) => this.frame(msg),
      onStatus: (s) => this.connection(s.state),
      onClose: (info) => {
        if (!info.final) return;
        this.finish('closed', info.name === 'replaced' ? t('queue.replaced') : info.message);
      },
      onBadFrame: (err) => this.onError(withDetail(t('queue.bad_frame'), err.message)),
      WebSocketImpl,
      random,
    });
  }

  start() {
    this.net.connect();
    return this;
  }

  connection(state) {
    if (state === 'open' && this.state !== 'cancelled' && this.state !== 'matched') {
      this.send('join');
      this.state = 'queued';
    } else if (state === 'reconnecting') {
      this.state = 'connecting';
      this.status = null;
    }
    this.onChange();
  }

  send(kind, fields = {}) {
    return this.net.send(encodeClient(kind, fields, QUEUE_CLIENT_KINDS));
  }

  frame(msg) {
    if (msg.k === 'queue') {
      this.status = msg;
      this.receivedAt = this.now();
      this.onChange();
    } else if (msg.k === 'matched') {
      this.finish('matched');
      this.onMatched(msg);
    } else if (msg.k === 'error') {
      this.onError(describeError(msg.code, msg.msg));
    }
  }

  /** Leave the queue and close the socket. */
  cancel() {
    if (this.state === 'matched' || this.state === 'cancelled') return;
    this.send('leave');
    this.finish('cancelled');
  }

  finish(state, message = null) {
    this.state = state;
    this.net.close();
    if (message) this.onError(message);
    this.onChange();
  }

  view(now = this.now()) {
    if (this.state === 'matched') return { ...queueView(this.status, this.receivedAt, now), state: 'matched', headline: t('queue.matched') };
    if (this.state === 'cancelled' || this.state === 'closed') return { ...queueView(null, 0, now), state: this.state, headline: t('queue.idle') };
    return queueView(this.status, this.receivedAt, now);
  }
}

/**
 * The queue panel of the lobby list: `els` = {panel, game, headline, position, waiting, wait,
 * window, cancel}. `open(game)` starts a session; `navigate(url)` and `storeSeat(code, token)`
 * are how the page moves on to the lobby.
 */
export class QueuePanel {
  constructor(els, { location, name, navigate, storeSeat, notify, onClose = () => {} }) {
    Object.assign(this, { els, location, name, navigate, storeSeat, notify, onClose });
    this.session = null;
    this.timer = null;
    els.cancel.addEventListener('click', () => this.close());
  }

  open(game) {
    this.close();
    this.els.game.textContent = game.title;
    this.els.panel.hidden = false;
    this.session = new QueueSession({
      game: game.name,
      name: this.name(),
      location: this.location,
      onChange: () => this.render(),
      onError: (message) => this.notify(message),
      onMatched: ({ code, token }) => {
        this.storeSeat(code, token);
        this.navigate(playUrl(code));
      },
    }).start();
    this.timer = setInterval(() => this.render(), 250);
    this.render();
  }

  close() {
    if (!this.session) return;
    this.session.cancel();
    this.session = null;
    clearInterval(this.timer);
    this.els.panel.hidden = true;
    this.onClose();
  }

  render() {
    if (!this.session) return;
    const view = this.session.view();
    const { els } = this;
    els.panel.dataset.state = view.state;
    els.headline.textContent = view.headline;
    for (const key of ['position', 'waiting', 'wait', 'window']) els[key].textContent = view[key];
    els.cancel.disabled = view.state === 'matched';
    if (view.state === 'closed') this.close(); // the server ended it; the reason was told already
  }
}
