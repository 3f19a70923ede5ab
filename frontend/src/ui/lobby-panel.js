// The lobby panel: who is here (roles, ready flags, host, bots), the ready toggle, the spectator's
// "follow player" selector, and the host controls (start, kick, ban, lock, transfer,
// settings and bots, close). The controls are only a convenience: the server judges every command
// and its refusals come back as error frames.
import { BOT_DIFFICULTIES, BOT_SETTINGS, botChanges, botSettings, seatsAtStart } from './bots.js';
import { el } from './dom.js';
import { icon } from './icons.js';
import { settingLabel } from './labels.js';
import { settingInputProps, settingValue } from './setting-input.js';

const PHASE_TEXT = { waiting: 'Waiting for players', countdown: 'Starting…', playing: 'Match in progress', finished: 'Match over', closed: 'Closed' };
const LOBBY_FIELDS = ['name', 'max_players', 'private', 'tick_rate', 'spectator_delay'];

/** A button that asks "sure?" on its first click and acts on the second (no modal dialogs). */
function twoStep(label, confirmLabel, act, props = {}) {
  const button = el('button', { type: 'button', textContent: label, ...props });
  let armed = null;
  button.addEventListener('click', () => {
    if (armed) {
      clearTimeout(armed);
      armed = null;
      button.textContent = label;
      act();
      return;
    }
    button.textContent = confirmLabel;
    button.classList.add('armed');
    armed = setTimeout(() => { armed = null; button.textContent = label; button.classList.remove('armed'); }, 3000);
  });
  return button;
}

export class LobbyPanel {
  /**
   * `els`: {info, members, ready, followWrap, follow, hostPanel, start, lock, close, settings, startHint}.
   * `send(kind, fields)` sends a command; `onFollow(memberId | null)` picks whom a spectator follows.
   */
  constructor(els, { send, onFollow }) {
    Object.assign(this, { els, send, onFollow });
    this.view = null;
    this.games = {};
    els.ready.addEventListener('click', () => this.send('ready', { ready: !this.me()?.ready }));
    els.start.addEventListener('click', () => this.send(this.view?.lobby.phase === 'finished' ? 'rematch' : 'start'));
    els.lock.addEventListener('click', () => this.send(this.view?.lobby.locked ? 'unlock' : 'lock'));
    els.close.replaceWith(twoStep('Close lobby', 'Click again to close', () => this.send('close'), { id: 'close-lobby', className: 'danger' }));
    els.follow.addEventListener('change', () => this.onFollow(els.follow.value ? Number(els.follow.value) : null));
    els.settings.addEventListener('submit', (event) => { event.preventDefault(); this.submitSettings(); });
  }

  /** The games' catalog from /api/games, for the settings form. */
  setGames(list) {
    this.games = Object.fromEntries(list.map((g) => [g.name, g]));
    if (this.view) this.update(this.view, { force: true });
  }

  me() {
    return this.view?.lobby.members.find((m) => m.id === this.view.you);
  }

  /** Redraw from `{lobby, you, role, staff}`. */
  update(view, { force = false } = {}) {
    const previous = this.view;
    this.view = view;
    const { lobby, you, role, staff } = view;
    const admin = staff || lobby.host === you;
    this.info(lobby);
    this.members(lobby, you, admin);
    const me = this.me();
    // Ready flags only matter before the first match of a lobby with a host, who starts it and
    // needs none (a rematch takes everyone seated; a matchmade lobby starts by itself).
    this.els.ready.hidden = role !== 'player' || lobby.host === you || lobby.host === null || lobby.phase !== 'waiting';
    this.els.ready.textContent = me?.ready ? 'Ready ✓ (click to unready)' : "I'm ready";
    this.els.ready.classList.toggle('is-ready', Boolean(me?.ready));
    this.els.followWrap.hidden = role !== 'spectator';
    if (role === 'spectator') this.followOptions(lobby);
    this.els.hostPanel.hidden = !admin;
    if (admin) this.hostControls(lobby);
    if (admin && (force || !previous || previous.lobby.game !== lobby.game || !this.els.settings.contains(document.activeElement))) {
      this.settingsForm(lobby);
    }
  }

  info(lobby) {
    const flags = [lobby.private ? 'private' : 'public', lobby.locked ? 'locked' : null].filter(Boolean).join(' · ');
    this.els.info.replaceChildren(
      el('div', { className: 'phase', textContent: PHASE_TEXT[lobby.phase] ?? lobby.phase, dataset: { phase: lobby.phase } }),
      el('div', { className: 'meta', textContent: `${this.games[lobby.game]?.title ?? lobby.game} · ${lobby.players}/${lobby.max_players} players${lobby.bots ? ` + ${lobby.bots} bot${lobby.bots === 1 ? '' : 's'}` : ''} · ${lobby.spectators} watching · ${lobby.tick_rate} Hz` }),
      el('div', { className: 'meta', textContent: flags }, ...(lobby.locked ? [' ', icon('lock', 'locked')] : [])),
    );
  }

  members(lobby, you, admin) {
    const readiness = lobby.phase === 'waiting' && lobby.host !== null; // ready flags mean something
    const items = lobby.members.map((m) => {
      const badges = [];
      if (m.id === lobby.host) badges.push(el('span', { className: 'badge host', textContent: 'host', title: 'Host' }));
      if (m.staff) badges.push(el('span', { className: 'badge staff', textContent: 'staff' }));
      if (m.bot) badges.push(el('span', { className: 'badge bot', textContent: 'bot', title: 'A server-side player, here for this match' }));
      if (m.connected === false) badges.push(el('span', { className: 'badge away', textContent: 'away', title: 'Connection lost; the seat is kept for a while' }));
      if (m.role === 'spectator') badges.push(el('span', { className: 'badge spectator', textContent: 'watching' }));
      else if (m.in_match) badges.push(el('span', { className: 'badge playing', textContent: 'playing' }));
      else if (readiness && m.ready) badges.push(el('span', { className: 'badge ready', textContent: 'ready' }));
      else if (readiness && m.id !== lobby.host && !m.bot) badges.push(el('span', { className: 'badge not-ready', textContent: 'not ready' }));
      const name = el('span', { className: 'name', textContent: m.id === you ? `${m.name} (you)` : m.name });
      const li = el('li', { className: m.id === you ? 'member you' : 'member', dataset: { id: String(m.id) } }, name, ...badges);
      if (admin && m.id !== you) li.append(this.memberActions(m));
      return li;
    });
    this.els.members.replaceChildren(...items);
  }

  memberActions(m) {
    const actions = el('span', { className: 'actions' });
    actions.append(el('button', { type: 'button', textContent: 'Kick', className: 'small', title: `Kick ${m.name}`,
      dataset: { action: 'kick', target: String(m.id) }, onclick: () => this.send('kick', { target: m.id }) }));
    if (m.bot) return actions; // a bot can only be removed: nothing to ban, never host
    actions.append(twoStep('Ban', 'Sure?', () => this.send('ban', { target: m.id }),
      { className: 'small danger', title: `Ban ${m.name}`, dataset: { action: 'ban', target: String(m.id) } }));
    if (m.role === 'player') {
      actions.append(el('button', { type: 'button', textContent: 'Make host', className: 'small', title: `Make ${m.name} the host`,
        dataset: { action: 'transfer', target: String(m.id) }, onclick: () => this.send('transfer', { target: m.id }) }));
    }
    return actions;
  }

  followOptions(lobby) {
    const players = lobby.members.filter((m) => m.role === 'player');
    const current = this.els.follow.value;
    const options = [el('option', { value: '', textContent: 'Everyone' }),
      ...players.map((m) => el('option', { value: String(m.id), textContent: m.name }))];
    this.els.follow.replaceChildren(...options);
    this.els.follow.value = players.some((m) => String(m.id) === current) ? current : '';
    if (this.els.follow.value !== current) this.onFollow(this.els.follow.value ? Number(this.els.follow.value) : null);
  }

  hostControls(lobby) {
    const { start, lock, startHint } = this.els;
    const between = ['waiting', 'finished'].includes(lobby.phase);
    start.disabled = !between;
    start.textContent = lobby.phase === 'finished' ? 'Rematch' : 'Start match';
    lock.textContent = lobby.locked ? 'Unlock lobby' : 'Lock lobby';
    const notReady = lobby.members.filter((m) => m.role === 'player' && !m.ready && m.id !== lobby.host);
    const game = this.games[lobby.game];
    const hints = [];
    if (between && game && seatsAtStart(lobby) < game.min_players) hints.push(`${game.title} needs ${game.min_players} players (bots count).`);
    if (between && notReady.length && lobby.phase === 'waiting') hints.push(`Not ready: ${notReady.map((m) => m.name).join(', ')}.`);
    startHint.textContent = hints.join(' ');
  }

  settingsForm(lobby) {
    const form = this.els.settings;
    const game = this.games[lobby.game];
    const values = { name: lobby.name, max_players: lobby.max_players, private: lobby.private, tick_rate: lobby.tick_rate,
      spectator_delay: 0, ...(game?.default_settings ?? {}), ...lobby.settings };
    const fields = [
      ['name', 'Lobby name', { type: 'text', maxLength: 40 }],
      ['max_players', 'Max players', { type: 'number', min: String(Math.max(game?.min_players ?? 1, lobby.players)), max: String(game?.max_players ?? 8) }],
      ['tick_rate', 'Tick rate (Hz)', { type: 'number', min: '10', max: '60' }],
      ['private', 'Private (not listed)', { type: 'checkbox' }],
      ['spectator_delay', 'Spectator delay (s, 0 = live)', { type: 'number', min: '0', max: '30', step: '1' }],
      ...Object.keys(game?.default_settings ?? lobby.settings)
        .filter((key) => !BOT_SETTINGS.includes(key) && !LOBBY_FIELDS.includes(key))
        .map((key) => [key, settingLabel(key), settingInputProps(game?.settings?.[key], values[key])]),
    ];
    const editable = ['waiting', 'finished'].includes(lobby.phase);
    const rows = fields.map(([key, label, props]) => {
      const input = el('input', { name: key, id: `setting-${key}`, disabled: !editable, ...props });
      if (props.type === 'checkbox') input.checked = Boolean(values[key]);
      else input.value = String(values[key] ?? '');
      input.dataset.initial = props.type === 'checkbox' ? String(input.checked) : input.value;
      return el('label', { className: `field field-${props.type}` }, el('span', { textContent: label }), input);
    });
    const submit = el('button', { type: 'submit', textContent: 'Apply settings', disabled: !editable });
    const note = el('p', { className: 'hint', textContent: editable ? '' : 'Settings can change before a match or after it.' });
    form.replaceChildren(...rows, ...this.botFields(lobby, editable), submit, note);
  }

  /** The bot controls: how many seats bots fill at the start (0 = none) and how well they play. */
  botFields(lobby, editable) {
    const { count, difficulty, limit } = botSettings(lobby);
    const number = el('input', { name: 'bots', id: 'setting-bots', type: 'number', min: '0', max: String(limit),
      step: '1', value: String(count), disabled: !editable });
    const level = el('select', { name: 'bot_difficulty', id: 'setting-bot_difficulty', disabled: !editable },
      ...BOT_DIFFICULTIES.map((d) => el('option', { value: d, textContent: d, selected: d === difficulty })));
    return [
      el('label', { className: 'field field-number' }, el('span', { textContent: `Bots (fill up to ${limit} free seats)` }), number),
      el('label', { className: 'field field-select' }, el('span', { textContent: 'Bot difficulty' }), level),
    ];
  }

  /** Send only what the host changed, typed as the server expects. */
  submitSettings() {
    const game = this.games[this.view?.lobby.game];
    const form = this.els.settings;
    const seats = Number.parseInt(form.elements.max_players?.value, 10);
    const changes = botChanges(this.view.lobby, { count: form.elements.bots?.value, difficulty: form.elements.bot_difficulty?.value,
      maxPlayers: Number.isFinite(seats) ? seats : undefined });
    for (const input of form.querySelectorAll('input')) {
      if (BOT_SETTINGS.includes(input.name)) continue;
      const now = input.type === 'checkbox' ? String(input.checked) : input.value;
      if (now === input.dataset.initial) continue;
      const key = input.name;
      if (key === 'name') changes[key] = input.value;
      else changes[key] = settingValue(LOBBY_FIELDS.includes(key) ? { type: 'int' } : game?.settings?.[key], input);
    }
    if (Object.keys(changes).length) this.send('settings', { settings: changes });
  }
}
