// The lobby panel: who is here (roles, ready flags, host, bots), the ready toggle, the spectator's
// "follow player" selector, and the host controls (start, kick, ban, lock, transfer,
// settings and bots, close). The controls are only a convenience: the server judges every command
// and its refusals come back as error frames.
import { t } from '../i18n.js';
import { gameTitle } from '../registry.js';
import { BOT_DIFFICULTIES, BOT_SETTINGS, botChanges, botSettings, seatsAtStart } from './bots.js';
import { el } from './dom.js';
import { icon } from './icons.js';
import { settingLabel } from './labels.js';
import { editsOf, keepEdits, settingInputProps, settingValue } from './setting-input.js';

const LOBBY_FIELDS = ['name', 'max_players', 'private', 'tick_rate', 'broadcast_rate', 'spectator_delay'];

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
    els.close.replaceWith(twoStep(t('panel.close'), t('panel.close_confirm'), () => this.send('close'), { id: 'close-lobby', className: 'danger' }));
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
    this.els.ready.textContent = me?.ready ? t('panel.unready') : t('panel.ready');
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
    const flags = [t(lobby.private ? 'panel.private' : 'panel.public'), lobby.locked ? t('panel.locked') : null].filter(Boolean).join(' · ');
    const seats = t('panel.players', { n: lobby.players, max: lobby.max_players })
      + (lobby.bots ? ` ${t('panel.bots', { n: lobby.bots })}` : '');
    const meta = [gameTitle(lobby.game), seats, t('panel.watching', { n: lobby.spectators }), t('panel.hz', { n: lobby.tick_rate })];
    this.els.info.replaceChildren(
      el('div', { className: 'phase', textContent: t(`phase.long.${lobby.phase}`), dataset: { phase: lobby.phase } }),
      el('div', { className: 'meta', textContent: meta.join(' · ') }),
      el('div', { className: 'meta', textContent: flags }, ...(lobby.locked ? [' ', icon('lock', t('panel.locked'))] : [])),
    );
  }

  members(lobby, you, admin) {
    const readiness = lobby.phase === 'waiting' && lobby.host !== null; // ready flags mean something
    const badge = (kind, word, title = '') => el('span', { className: `badge ${kind}`, textContent: t(`badge.${word}`), title });
    const items = lobby.members.map((m) => {
      const badges = [];
      if (m.id === lobby.host) badges.push(badge('host', 'host', t('badge.host_title')));
      if (m.staff) badges.push(badge('staff', 'staff'));
      if (m.bot) badges.push(badge('bot', 'bot', t('badge.bot_title')));
      if (m.connected === false) badges.push(badge('away', 'away', t('badge.away_title')));
      if (m.role === 'spectator') badges.push(badge('spectator', 'watching_short'));
      else if (m.in_match) badges.push(badge('playing', 'playing'));
      else if (readiness && m.ready) badges.push(badge('ready', 'ready'));
      else if (readiness && m.id !== lobby.host && !m.bot) badges.push(badge('not-ready', 'not_ready'));
      const name = el('span', { className: 'name', textContent: m.id === you ? t('panel.you', { name: m.name }) : m.name });
      const li = el('li', { className: m.id === you ? 'member you' : 'member', dataset: { id: String(m.id) } }, name, ...badges);
      if (admin && m.id !== you) li.append(this.memberActions(m));
      return li;
    });
    this.els.members.replaceChildren(...items);
  }

  memberActions(m) {
    const actions = el('span', { className: 'actions' });
    actions.append(el('button', { type: 'button', textContent: t('panel.kick'), className: 'small', title: t('panel.kick_title', { name: m.name }),
      dataset: { action: 'kick', target: String(m.id) }, onclick: () => this.send('kick', { target: m.id }) }));
    if (m.bot) return actions; // a bot can only be removed: nothing to ban, never host
    actions.append(twoStep(t('panel.ban'), t('panel.sure'), () => this.send('ban', { target: m.id }),
      { className: 'small danger', title: t('panel.ban_title', { name: m.name }), dataset: { action: 'ban', target: String(m.id) } }));
    if (m.role === 'player') {
      actions.append(el('button', { type: 'button', textContent: t('panel.make_host'), className: 'small',
        title: t('panel.make_host_title', { name: m.name }),
        dataset: { action: 'transfer', target: String(m.id) }, onclick: () => this.send('transfer', { target: m.id }) }));
    }
    return actions;
  }

  followOptions(lobby) {
    const players = lobby.members.filter((m) => m.role === 'player');
    const current = this.els.follow.value;
    const options = [el('option', { value: '', textContent: t('panel.everyone') }),
      ...players.map((m) => el('option', { value: String(m.id), textContent: m.name }))];
    this.els.follow.replaceChildren(...options);
    this.els.follow.value = players.some((m) => String(m.id) === current) ? current : '';
    if (this.els.follow.value !== current) this.onFollow(this.els.follow.value ? Number(this.els.follow.value) : null);
  }

  hostControls(lobby) {
    const { start, lock, startHint } = this.els;
    const between = ['waiting', 'finished'].includes(lobby.phase);
    start.disabled = !between;
    start.textContent = t(lobby.phase === 'finished' ? 'panel.rematch' : 'panel.start');
    lock.textContent = t(lobby.locked ? 'panel.unlock' : 'panel.lock');
    const notReady = lobby.members.filter((m) => m.role === 'player' && !m.ready && m.id !== lobby.host);
    const game = this.games[lobby.game];
    const hints = [];
    if (between && game && seatsAtStart(lobby) < game.min_players) hints.push(t('panel.needs_players', { game: gameTitle(game.name), n: game.min_players }));
    if (between && notReady.length && lobby.phase === 'waiting') hints.push(t('panel.not_ready', { names: notReady.map((m) => m.name).join(', ') }));
    startHint.textContent = hints.join(' ');
  }

  settingsForm(lobby) {
    const form = this.els.settings;
    const game = this.games[lobby.game];
    const values = { name: lobby.name, max_players: lobby.max_players, private: lobby.private, tick_rate: lobby.tick_rate,
      spectator_delay: 0, broadcast_rate: 0, ...(game?.default_settings ?? {}), ...lobby.settings };
    const fields = [
      ['name', settingLabel('name'), { type: 'text', maxLength: 40 }],
      ['max_players', settingLabel('max_players'), { type: 'number', min: String(Math.max(game?.min_players ?? 1, lobby.players)), max: String(game?.max_players ?? 8) }],
      ['tick_rate', settingLabel('tick_rate_hz'), { type: 'number', min: '10', max: '60' }],
      ['private', t('panel.private_field'), { type: 'checkbox' }],
      ['broadcast_rate', t('panel.broadcast_field'), { type: 'number', min: '0', max: '60', step: '1' }],
      ['spectator_delay', t('panel.delay_field'), { type: 'number', min: '0', max: '30', step: '1' }],
      ...Object.keys(game?.default_settings ?? lobby.settings)
        .filter((key) => !BOT_SETTINGS.includes(key) && !LOBBY_FIELDS.includes(key))
        .map((key) => [key, settingLabel(key, lobby.game), settingInputProps(game?.settings?.[key], values[key])]),
    ];
    const editable = ['waiting', 'finished'].includes(lobby.phase);
    const rows = fields.map(([key, label, props]) => {
      const input = el('input', { name: key, id: `setting-${key}`, disabled: !editable, ...props });
      if (props.type === 'checkbox') input.checked = Boolean(values[key]);
      else input.value = String(values[key] ?? '');
      input.dataset.initial = props.type === 'checkbox' ? String(input.checked) : input.value;
      return el('label', { className: `field field-${props.type}` }, el('span', { textContent: label }), input);
    });
    const submit = el('button', { type: 'submit', textContent: t('panel.apply'), disabled: !editable });
    const note = el('p', { className: 'hint', textContent: editable ? '' : t('panel.settings_locked') });
    // Built again (the game list came, a lobby frame): what the host typed and has not applied
    // stays, where the setting did not change meanwhile.
    const edits = editable && this.settingsGame === lobby.game ? editsOf(form.querySelectorAll('input')) : {};
    this.settingsGame = lobby.game;
    form.replaceChildren(...rows, ...this.botFields(lobby, editable), submit, note);
    keepEdits(form.querySelectorAll('input'), edits);
  }

  /** The bot controls: how many seats bots fill at the start (0 = none) and how well they play. */
  botFields(lobby, editable) {
    const { count, difficulty, limit } = botSettings(lobby);
    const number = el('input', { name: 'bots', id: 'setting-bots', type: 'number', min: '0', max: String(limit),
      step: '1', value: String(count), disabled: !editable, dataset: { initial: String(count) } });
    const level = el('select', { name: 'bot_difficulty', id: 'setting-bot_difficulty', disabled: !editable },
      ...BOT_DIFFICULTIES.map((d) => el('option', { value: d, textContent: t(`bots.${d}`), selected: d === difficulty })));
    return [
      el('label', { className: 'field field-number' }, el('span', { textContent: t('panel.bots_field', { n: limit }) }), number),
      el('label', { className: 'field field-select' }, el('span', { textContent: settingLabel('bot_difficulty') }), level),
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
