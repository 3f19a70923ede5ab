// The game page: one session in one lobby, as a player or a spectator. It wires the socket,
// the snapshot buffer, prediction, input, the renderer, the HUD and the lobby panels, and
// turns every frame and event into what the person sees. What belongs to the game (how it
// draws, plays, predicts, scores and words its events) comes from its module (registry.js).
import { getLobby, listGames, listMatches } from '../api.js';
import { Hud } from '../hud.js';
import { Controls, InputLoop } from '../input.js';
import { Net } from '../net.js';
import { Predictor } from '../prediction.js';
import { t } from '../i18n.js';
import { ProtocolError, describeError, encodeClient, lobbyUrl } from '../protocol.js';
import { gameTitle, loadGames } from '../registry.js';
import { SnapshotBuffer, broadcastRateOf, renderDelayFor } from '../snapshots.js';
import { TouchControls } from '../touch.js';
import { getHostToken, getNickname, getResumeToken, setResumeToken } from '../storage.js';
import { seatsAtStart } from '../ui/bots.js';
import { Chat } from '../ui/chat.js';
import { FinalScreen } from '../ui/final.js';
import { LobbyPanel } from '../ui/lobby-panel.js';
import { Results } from '../ui/results.js';
import { notifications, notify } from '../ui/toast.js';
import { REROUTE_CHECK_MS, routed, shouldReroute } from '../route.js';
import { EVENTS } from './lobby-events.js';

const RENDER_DELAY_MS = 100;
const QUIET_INPUT_ERRORS = new Set(['not_in_match', 'overloaded']);
const PING_EVERY_MS = 2000;

// A game without prediction shows its own player as the server sends it; one without touch
// controls is played by keys and mouse.
const NO_PREDICTION = { read: () => null, step: (state) => state };
const NO_TOUCH = { visible: false, apply: (d) => d, setPlayer() {}, dispose() {} };

export class GameSession {
  /** `games`: name -> spec of every game this page can show (registry.js). */
  constructor({ code, role, $, games }) {
    Object.assign(this, { code, role, $, games });
    this.spec = null;
    this.lastInput = null; // the last payload sent: a game may read it (to keep an aim when nothing aims)
    this.requestedRole = role; // the seat this page asked for: its resume token is kept under it
    this.you = null;
    this.knownHost = null; // the host the chat last told of
    this.removedBy = null; // who kicked or banned this page's member, for the final screen
    this.route = null; // the owner's route for the proxy, from GET /api/lobbies/<code> (findOwner)
    this.usedRoute = null; // the route the current socket was opened with
    this.rerouting = false; // this page closed its socket to reach the owner: no warning
    this.reroutedAt = -Infinity;
    this.staff = false;
    this.lobby = null;
    this.game = null;
    this.focus = null;
    this.rttMs = null;
    this.pingId = 0;
    this.countdownEnd = null;
    this.goUntil = 0;
    this.final = null;
    this.resumed = false;
    this.lastView = null;
    this.hits = new Map(); // entity id -> until when it flashes as hit
    this.buffer = new SnapshotBuffer({ renderDelayMs: RENDER_DELAY_MS });
    this.predictor = new Predictor(NO_PREDICTION); // the game's, once it is known
    Object.assign(this, this.widgets($));
    this.net = new Net({
      url: () => {
        this.usedRoute = this.route;
        return routed(lobbyUrl(window.location, { code, role, name: getNickname(), token: getHostToken(code), resume: getResumeToken(code, role) }), this.route);
      },
      onFrame: (msg) => this.onFrame(msg),
      onStatus: (status) => this.hud.connection(status),
      onClose: (info) => this.onClose(info),
      onBadFrame: () => notify(t('game.bad_frame'), { kind: 'warn' }),
    });
    this.inputLoop = new InputLoop({
      sample: () => this.sample(),
      send: (inputSeq, d, dt) => this.sendInput(inputSeq, d, dt),
      active: () => this.playing(),
    });
  }

  /** The page's panels: HUD, chat, lobby panel, results. */
  widgets($) {
    const send = (kind, fields) => this.send(kind, fields);
    return {
      hud: new Hud({ scores: $('scores'), timer: $('timer'), ping: $('ping'), connection: $('connection') }),
      chat: new Chat({ log: $('chat-log'), form: $('chat-form'), send: (text) => send('chat', { text }) }),
      panel: new LobbyPanel({
        info: $('lobby-info'), members: $('members'), ready: $('ready'), followWrap: $('follow-wrap'), follow: $('follow'),
        hostPanel: $('host-panel'), start: $('start'), lock: $('lock'), close: $('close-lobby'), settings: $('settings-form'),
        startHint: $('start-hint'),
      }, { send, onFollow: (id) => { this.focus = id; } }),
      results: new Results({
        root: $('results'), title: $('results-title'), reason: $('results-reason'), live: $('results-live'),
        saved: $('results-saved'), rematch: $('rematch'), dismiss: $('results-dismiss'),
      }, { fetchMatches: () => listMatches(this.code), onRematch: () => send('rematch') }),
      finalScreen: new FinalScreen({
        root: $('final'), title: $('final-title'), message: $('final-message'), spectate: $('final-spectate'),
        retake: $('final-retake'), back: $('final-back'),
      }, { onRetake: () => window.location.reload() }), // the reload resumes this tab's seat, replacing the other tab
    };
  }

  start() {
    listGames().then(({ games }) => this.panel.setGames(games)).catch((err) => notify(err.message, { kind: 'warn' }));
    this.findOwner().finally(() => this.net.connect());
    this.pinger = setInterval(() => this.ping(), PING_EVERY_MS);
    window.addEventListener('pagehide', () => this.net.close());
    const frame = (now) => {
      this.draw(now);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  // -- sending ------------------------------------------------------------------------------
  /** Send a command; false (and a message for the person) when it cannot go out. */
  send(kind, fields = {}) {
    let bytes;
    try {
      bytes = encodeClient(kind, fields);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      notify(t('game.too_long'), { kind: 'warn' });
      return false;
    }
    if (this.net.send(bytes)) return true;
    notify(t('game.not_connected'), { kind: 'warn' });
    return false;
  }

  /** This tick's input: the keyboard and mouse's, with the fingers' folded in. */
  sample() {
    const view = { own: this.ownState(), last: this.lastInput, dt: 1 / (this.lobby?.tick_rate || 20) };
    const d = this.controls.sample(this.spec.input, view);
    if (d === null) return null; // nothing to send this tick (a turn-based game between moves)
    this.lastInput = this.touch.apply(d, view);
    return this.lastInput;
  }

  /** The own entity as drawn: predicted, else the newest from the server; null for none. */
  ownState() {
    return this.predictor.state ?? this.buffer.latest()?.snapshot.e[`p${this.you}`] ?? null;
  }

  sendInput(inputSeq, d, dt) {
    if (this.net.send(encodeClient('input', { input_seq: inputSeq, d }))) {
      this.predictor.applyInput(inputSeq, d, dt, performance.now());
    }
  }

  /** Every PING_EVERY_MS, or as seldom as the game asks (`pingEveryMs`: a turn-based game). */
  ping() {
    const now = performance.now();
    if (now - (this.lastPingAt ?? -Infinity) < (this.spec?.pingEveryMs ?? PING_EVERY_MS) - 100) return;
    this.lastPingAt = now;
    if (this.net.open) this.net.send(encodeClient('ping', { id: this.pingId++, ct: now }));
  }

  me() {
    return this.lobby?.members.find((m) => m.id === this.you) ?? null;
  }

  isAdmin() {
    return Boolean(this.lobby) && (this.staff || this.lobby.host === this.you);
  }

  playing() {
    return this.role === 'player' && this.lobby?.phase === 'playing' && Boolean(this.me()?.in_match) && this.net.open
      && this.spec !== null;
  }

  nameOf(id) {
    if (id === 0) return t('who.staff'); // an action from the staff dashboard, from outside the lobby
    return this.lobby?.members.find((m) => m.id === id)?.name ?? `#${id}`;
  }

  // -- frames in ------------------------------------------------------------------------------
  onFrame(msg) {
    FRAMES[msg.k].call(this, msg);
  }

  onWelcome(msg) {
    Object.assign(this, { you: msg.you, role: msg.role, staff: msg.staff, resumed: msg.resumed });
    if (this.route) this.checkRoute();
    if (msg.resume) setResumeToken(this.code, this.requestedRole, msg.resume);
    this.knownHost = msg.lobby.host;
    this.setUpGame(msg.lobby.game);
    this.buffer.clear();
    this.predictor.reset();
    this.inputLoop.start(msg.tick_rate);
    this.buffer.renderDelayMs = renderDelayFor(msg.broadcast_rate, { minMs: RENDER_DELAY_MS });
    this.onLobby({ lobby: msg.lobby });
    const as = msg.role === 'spectator' ? 'spectator' : msg.host ? 'host' : 'player';
    if (msg.resumed) this.chat.system(t('chat.reconnected'));
    else this.chat.system(t(`chat.joined_as_${as}`, { lobby: msg.lobby.name }));
  }

  onLobby({ lobby }) {
    const previous = this.lobby;
    this.lobby = lobby;
    if (previous && previous.tick_rate !== lobby.tick_rate) this.inputLoop.start(lobby.tick_rate);
    this.buffer.renderDelayMs = renderDelayFor(broadcastRateOf(lobby), { minMs: RENDER_DELAY_MS });
    if (previous && previous.host !== this.you && lobby.host === this.you) notify(t('game.now_host'), { kind: 'info' });
    this.panel.update({ lobby, you: this.you, role: this.role, staff: this.staff });
    this.results.setAdmin(this.isAdmin(), seatsAtStart(lobby));
    this.$('lobby-name').textContent = lobby.name;
    document.title = `${lobby.name} · ${gameTitle(lobby.game)}`;
    const delay = lobby.settings?.spectator_delay ?? 0;
    const badge = [t(`badge.${this.role}`), t('badge.watching', { n: lobby.spectators })];
    if (this.role === 'spectator' && delay > 0 && !this.staff) badge.push(t('badge.delay', { s: delay }));
    this.$('role-badge').textContent = badge.join(' · ');
  }

  onState(msg) {
    // Game events ride on state frames; they illustrate the state, so even a frame whose
    // delta cannot be applied still tells its events.
    for (const event of msg.ev ?? []) EVENTS.game.call(this, event);
    if (!this.buffer.push(msg, performance.now()) || this.role !== 'player' || !this.spec) return;
    const own = this.buffer.latest().snapshot.e[`p${this.you}`];
    this.predictor.reconcile(own, msg.last_processed_input?.[this.you]);
  }

  onEvents(msg) {
    for (const event of msg.e) (EVENTS[event.type] ?? EVENTS.game).call(this, event);
  }

  onError(msg) {
    // An input sent just as the match ended, or while the queue was full, is harmless.
    if (msg.ref === 'input' && QUIET_INPUT_ERRORS.has(msg.code)) return;
    if (msg.code === 'move_refused' && this.spec) { // the rules said why: the game words it
      notify(this.spec.refused(msg.msg) ?? describeError(msg.code, msg.msg), { kind: 'warn' });
      return;
    }
    notify(describeError(msg.code, msg.msg), { kind: msg.code === 'rate_limited' || msg.code === 'overloaded' ? 'warn' : 'error' });
  }

  onPong(msg) {
    const sample = performance.now() - msg.ct;
    this.rttMs = this.rttMs === null ? sample : this.rttMs * 0.7 + sample * 0.3;
    this.hud.ping(this.rttMs);
  }

  /** Which process runs the lobby (`route`, behind a routing proxy; null otherwise), so the
   * next connection reaches it: asked before the first and after every non-final close. */
  findOwner() {
    return getLobby(this.code).then(({ route }) => { this.route = route ?? null; }).catch(() => {});
  }

  /** Called a little after each welcome: a socket that reached another process than the
   * lobby's owner (a takeover meanwhile) reconnects through the owner's route. */
  checkRoute() {
    setTimeout(() => this.findOwner().then(() => {
      const now = Date.now();
      if (!shouldReroute({ used: this.usedRoute, owner: this.route, open: this.net.open, now, last: this.reroutedAt })) return;
      this.reroutedAt = now;
      this.rerouting = true;
      this.net.ws.close(4013); // not final: reconnects (with resume) after the usual short backoff
    }), REROUTE_CHECK_MS);
  }

  onClose(info) {
    this.rttMs = null;
    this.hud.ping(null);
    const rerouting = this.rerouting;
    this.rerouting = false;
    if (!info.final) {
      this.findOwner(); // a moved lobby (4013) has a new owner by the time the backoff ends
      // Once per outage: the failed attempts that follow show in the connection badge.
      if (this.net.state === 'open' && !rerouting) notify(info.message, { kind: 'warn', timeoutMs: 4000 });
      return;
    }
    this.final = info;
    this.inputLoop.stop();
    this.controls?.dispose();
    this.touch?.dispose();
    clearInterval(this.pinger);
    const message = this.finalScreen.show(info, this.removedBy);
    notify(message, { kind: info.name === 'replaced' ? 'warn' : 'error', timeoutMs: info.name === 'replaced' ? 8000 : 0 });
  }

  /** Set the page up for `game` (once: a lobby's game never changes) from its module. */
  setUpGame(game) {
    if (this.game === game) return;
    this.game = game;
    const spec = this.games.get(game);
    if (!spec) {
      notify(t('game.module_failed', { game: gameTitle(game) }), { kind: 'error', timeoutMs: 0 });
      return;
    }
    const canvas = this.$('canvas');
    const toWorld = (x, y) => this.renderer.toWorld(x, y);
    this.spec = spec;
    this.renderer = new spec.Renderer(canvas);
    this.$('stage').style.setProperty('--world-aspect', `${this.renderer.width} / ${this.renderer.height}`);
    this.hud.setGame(spec);
    this.predictor = new Predictor(spec.prediction ?? NO_PREDICTION);
    this.controls = new Controls({ keys: spec.input.keys, surface: canvas, toWorld });
    this.controls.enabled = this.role === 'player';
    this.touch = spec.touch ? new TouchControls({ scheme: spec.touch, surface: canvas, host: this.$('stage').parentElement,
      toWorld, own: () => this.ownState(), onShow: () => this.showHelp(spec) }) : NO_TOUCH;
    this.touch.setPlayer(this.role === 'player');
    this.showHelp(spec);
  }

  showHelp(spec) {
    const help = this.touch.visible ? spec.touch.help : spec.help;
    this.$('help').textContent = this.role === 'spectator' ? t('game.watching_help') : help;
  }

  // -- drawing ------------------------------------------------------------------------------
  draw(now) {
    if (!this.renderer) return;
    const state = this.buffer.sample(now);
    const own = this.role === 'player' && this.you !== null ? `p${this.you}` : null;
    let predicted = own && this.lobby?.phase === 'playing' ? this.predictor.view(now) : null;
    // What the game draws of its own player at once besides its movement (an aim, say).
    if (predicted && this.spec.prediction?.show) predicted = this.spec.prediction.show(predicted, this.lastInput);
    const focus = this.role === 'spectator' && this.focus !== null ? `p${this.focus}` : null;
    for (const [id, until] of this.hits) if (until < now) this.hits.delete(id);
    this.renderer.draw({ state, own, predicted, focus, hits: this.hits, banner: this.banner(now), now });
    this.hud.scores(state, { you: own, focus });
    this.hud.timer(state, this.lobby?.phase);
    this.lastView = { state, own, predicted };
  }

  banner(now) {
    const phase = this.lobby?.phase;
    if (this.final || !phase) return this.final ? null : { text: t('banner.connecting') };
    if (phase === 'waiting') {
      let sub = 'banner.not_started';
      if (this.isAdmin()) sub = 'banner.start_when_ready';
      else if (this.role === 'player' && this.lobby.host === null) sub = 'banner.matched_start';
      else if (this.role === 'player') sub = this.me()?.ready ? 'banner.wait_host_start' : 'banner.press_ready';
      return { text: t('banner.waiting'), sub: t(sub) };
    }
    if (phase === 'countdown') {
      const left = this.countdownEnd ? Math.max(1, Math.ceil((this.countdownEnd - now) / 1000)) : null;
      return { text: left ? String(left) : t('banner.get_ready'), sub: t('banner.about_to_start') };
    }
    if (phase === 'playing' && now < this.goUntil) return { text: t('banner.go') };
    if (phase === 'finished' && !this.results.visible) {
      return { text: t('banner.over'), sub: t(this.isAdmin() ? 'banner.press_rematch' : 'banner.wait_host') };
    }
    return null;
  }

  /** What browser tests read: the drawn state, the own predicted position, the session. */
  testHook() {
    const session = this;
    return {
      get you() { return session.you; },
      get role() { return session.role; },
      get phase() { return session.lobby?.phase ?? null; },
      get lobby() { return session.lobby; },
      get final() { return session.final; },
      get resumed() { return session.resumed; },
      status: () => session.net.status(),
      toClient: (x, y) => session.renderer.toClient(x, y),
      notifications,
      received: () => session.buffer.latest()?.snapshot.e ?? {},
      entities: () => {
        const view = session.lastView;
        if (!view?.state) return {};
        const e = { ...view.state.e };
        if (view.own && view.predicted && e[view.own]) e[view.own] = { ...e[view.own], ...view.predicted };
        return e;
      },
      globals: () => session.lastView?.state?.g ?? null,
      players() {
        return Object.fromEntries(Object.entries(this.entities()).filter(([id]) => /^p\d+$/.test(id))
          .map(([, e]) => [e.n, e]));
      },
    };
  }
}

const FRAMES = {
  welcome: GameSession.prototype.onWelcome,
  lobby: GameSession.prototype.onLobby,
  full: GameSession.prototype.onState,
  delta: GameSession.prototype.onState,
  event: GameSession.prototype.onEvents,
  error: GameSession.prototype.onError,
  pong: GameSession.prototype.onPong,
};

/** Start the game page for lobby `code` as `role` ("player" or "spectator"), once the games'
 * modules are loaded (a module that fails costs its own game only). */
export async function startGamePage(doc, { code, role }) {
  const { games, failed } = await loadGames();
  for (const { name, error } of failed) console.error(`the ${name} module did not load`, error);
  const session = new GameSession({ code, role, $: (id) => doc.getElementById(id), games });
  window.__game = session.testHook();
  session.start();
  return session;
}
