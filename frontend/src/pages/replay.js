// The replay page: fetches a saved match as the server re-simulated it (one snapshot per
// tick, GET /api/matches/<id>/replay), then plays it with the live game's renderer and
// HUD (its module, found in the registry): play/pause, seek, speed, keyboard, and smooth
// motion between ticks.
import { decode } from '@msgpack/msgpack';
import { refusalText } from '../api.js';
import { Hud } from '../hud.js';
import { t, withDetail } from '../i18n.js';
import { listedGames, loadGame } from '../registry.js';
import { eventsByTick, hitsAt, sampleFrames } from '../replay/frames.js';
import { ReplayPlayer, formatTime } from '../replay/player.js';
import { reasonText } from '../ui/results.js';
import { notify } from '../ui/toast.js';

export const REPLY_VERSION = 1;
const HIT_FLASH_S = 0.18;
const SEEK_STEP_S = 5;

/** The replay of match `matchId`, decoded; an Error with a readable message when refused. */
export async function fetchReplay(matchId, fetchImpl = fetch) {
  let reply;
  try {
    reply = await fetchImpl(`/api/matches/${encodeURIComponent(matchId)}/replay`, { credentials: 'same-origin' });
  } catch {
    throw new Error(t('api.unreachable'));
  }
  if (!reply.ok) {
    let body = null;
    try {
      body = await reply.json();
    } catch {
      // not JSON: the status says it
    }
    throw new Error(t('replay.refused', { reason: refusalText(reply.status, body) }));
  }
  const data = decode(new Uint8Array(await reply.arrayBuffer()));
  if (data?.v !== REPLY_VERSION || !Array.isArray(data.frames) || !data.frames.length || !(data.tick_rate > 0)) {
    throw new Error(t('replay.bad_format'));
  }
  return data;
}

/** The spec of the game a replay shows (registry.js); an Error with a readable message when
 * this page cannot show it. */
export async function replayGame(name, list = listedGames(), load = undefined) {
  const entry = list.find((g) => g.name === name);
  if (!entry) throw new Error(t('replay.no_game', { name }));
  try {
    return await loadGame(entry, load);
  } catch (err) {
    throw new Error(withDetail(t('replay.module_failed', { title: entry.title }), err.message));
  }
}

export class ReplayView {
  /** `replay`: the decoded reply; `spec`: its game's (registry.js); `$`: id -> element. */
  constructor(replay, spec, $) {
    Object.assign(this, { replay, spec, $ });
    this.player = new ReplayPlayer({ frameCount: replay.frames.length, tickRate: replay.tick_rate });
    this.events = eventsByTick(replay.events);
    this.flashTicks = Math.max(1, Math.round(HIT_FLASH_S * replay.tick_rate));
    this.renderer = new spec.Renderer($('canvas'));
    $('stage').style.setProperty('--world-width', String(this.renderer.width));
    $('stage').style.setProperty('--world-height', String(this.renderer.height));
    this.hud = new Hud({ scores: $('scores'), timer: $('timer'), ping: null, connection: null });
    this.hud.setGame(spec);
    this.dragging = false;
    this.lastState = null;
    this.shown = {};
    this.names = new Map(replay.players.map((p) => [p.id, p.name]));
  }

  start() {
    const { $, player } = this;
    const seek = $('seek');
    seek.max = String(player.last);
    for (const id of ['play', 'seek', 'speed']) $(id).disabled = false;
    $('play').addEventListener('click', () => player.toggle(performance.now()));
    $('canvas').addEventListener('click', () => player.toggle(performance.now()));
    seek.addEventListener('pointerdown', () => { this.dragging = true; });
    seek.addEventListener('input', () => player.seek(Number(seek.value), performance.now()));
    for (const type of ['change', 'pointerup', 'pointercancel']) seek.addEventListener(type, () => { this.dragging = false; });
    $('speed').addEventListener('change', (event) => player.setSpeed(Number(event.target.value), performance.now()));
    document.addEventListener('keydown', (event) => this.onKey(event));
    const frame = (now) => {
      this.draw(now);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  /** Space: play/pause; ←/→: 5 s (Shift: one tick); ↑/↓: speed; Home/End: the ends. */
  onKey(event) {
    const tag = event.target?.tagName;
    if (event.ctrlKey || event.metaKey || event.altKey || tag === 'SELECT') return;
    if (tag === 'BUTTON' && (event.key === ' ' || event.key === 'Enter')) return; // the button's own click
    const now = performance.now();
    const { player } = this;
    const keys = {
      ' ': () => player.toggle(now),
      ArrowLeft: () => (event.shiftKey ? player.step(-1, now) : player.seekBy(-SEEK_STEP_S, now)),
      ArrowRight: () => (event.shiftKey ? player.step(1, now) : player.seekBy(SEEK_STEP_S, now)),
      ArrowUp: () => player.changeSpeed(1, now),
      ArrowDown: () => player.changeSpeed(-1, now),
      Home: () => player.seek(0, now),
      End: () => player.seek(player.last, now),
    };
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  draw(now) {
    const { player, replay } = this;
    const position = player.update(now);
    const state = sampleFrames(replay.frames, position);
    const hits = hitsAt(this.events, position, this.flashTicks, this.spec.flash);
    this.renderer.draw({ state, own: null, predicted: null, focus: null, hits, banner: this.banner(), now });
    this.hud.scores(state, { you: null, focus: null });
    this.hud.timer(state, 'playing');
    this.showControls(position);
    this.lastState = state;
  }

  banner() {
    const { player, replay } = this;
    if (player.ended && !player.playing) {
      const winner = replay.result.winner;
      if (replay.status === 'aborted') return { text: t('replay.aborted'), sub: t('replay.aborted_sub') };
      const text = winner === null || winner === undefined ? t('replay.draw') : t('replay.wins', { name: this.names.get(winner) ?? '?' });
      return { text, sub: reasonText(replay.result.reason, this.spec.name) };
    }
    if (player.position === 0 && !player.playing) return { text: t('replay.title'), sub: t('replay.press_play') };
    return null;
  }

  /** Write the controls' text and values, touching the DOM only when something changed. */
  showControls(position) {
    const { $, player } = this;
    const tick = Math.floor(position);
    const view = {
      play: t(player.playing ? 'replay.pause' : player.ended ? 'replay.again' : 'replay.play'),
      clock: `${formatTime(player.timeAt(position))} / ${formatTime(player.duration)}`,
      tick: t('replay.tick', { tick, last: player.last }),
      speed: String(player.speed),
    };
    for (const [id, text] of Object.entries(view)) {
      if (this.shown[id] === text) continue;
      this.shown[id] = text;
      if (id === 'speed') $(id).value = text;
      else $(id).textContent = text;
    }
    if (!this.dragging) $('seek').value = String(position);
  }

  /** What browser tests read: the playback state and the drawn entities. */
  testHook() {
    const view = this;
    return {
      ready: true,
      get position() { return view.player.position; },
      get playing() { return view.player.playing; },
      get speed() { return view.player.speed; },
      get frameCount() { return view.replay.frames.length; },
      get drawnTick() { return view.lastState?.tick ?? null; },
      get game() { return view.replay.game; },
      get result() { return view.replay.result; },
      entities: () => view.lastState?.e ?? {},
      frame: (index) => view.replay.frames[index],
      toClient: (x, y) => view.renderer.toClient(x, y),
    };
  }
}

/** Start the replay page of match `matchId`. */
export async function startReplayPage(doc, { matchId }) {
  const $ = (id) => doc.getElementById(id);
  window.__replay = { ready: false, error: null };
  let replay;
  let spec;
  try {
    replay = await fetchReplay(matchId);
    spec = await replayGame(replay.game);
  } catch (err) {
    window.__replay.error = err.message;
    $('loading').querySelector('h2').textContent = t('replay.none');
    $('loading').querySelector('p').textContent = err.message;
    notify(err.message, { kind: 'error', timeoutMs: 0 });
    return null;
  }
  $('loading').hidden = true;
  const view = new ReplayView(replay, spec, $);
  view.start();
  window.__replay = view.testHook();
  return view;
}
