// The lobby browser: a page of the public lobbies (polled every ~2 s, filtered by game and
// open seats, paged by cursor: lobby-pager.js), the create-lobby form built
// from /api/games (with the chosen game's controls, from its module: registry.js), quick
// match per game (pages/queue.js), join or watch by code, and the nickname kept in
// localStorage.
import { createLobby, listGames, listLobbies } from '../api.js';
import { clockTime, t } from '../i18n.js';
import { gameTitle, loadGames } from '../registry.js';
import { getNickname, setHostToken, setNickname } from '../storage.js';
import { el, replaceRows } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { settingLabel } from '../ui/labels.js';
import { editsOf, keepEdits, settingInputProps, settingValue } from '../ui/setting-input.js';
import { notify } from '../ui/toast.js';
import { LobbyPager } from './lobby-pager.js';
import { QueuePanel } from './queue.js';

const POLL_MS = 2000;

const playUrl = (code, role = 'player') => `/play/${encodeURIComponent(code)}/${role === 'spectator' ? '?role=spectator' : ''}`;

export class LobbyBrowser {
  constructor($) {
    this.$ = $;
    this.games = [];
    this.specs = new Map(); // name -> the game's module (registry.js), for its help line
    this.timer = null;
    this.failing = false;
    this.queue = null;
    this.pager = new LobbyPager();
    this.controls = null; // the filters and the pager's buttons (built by `listControls`)
    this.gamesReady = Promise.resolve(); // settles once /api/games answered (or failed)
  }

  /** The game filter, the open-seats box and the pager, around the lobby table. */
  listControls() {
    const game = el('select', { id: 'filter-game' }, el('option', { value: '', textContent: t('lobbies.all_games') }));
    const open = el('input', { type: 'checkbox', id: 'filter-open' });
    const refilter = () => { this.pager.filter({ game: game.value, openOnly: open.checked }); this.refresh(); };
    game.addEventListener('change', refilter);
    open.addEventListener('change', refilter);
    const previous = el('button', { type: 'button', id: 'lobbies-previous', textContent: t('lobbies.previous') });
    const next = el('button', { type: 'button', id: 'lobbies-next', textContent: t('lobbies.next') });
    previous.addEventListener('click', () => { this.pager.back(); this.refresh(); });
    next.addEventListener('click', () => { this.pager.forward(); this.refresh(); });
    const range = el('span', { id: 'lobbies-range', className: 'hint' });
    const table = this.$('lobby-rows').closest('table');
    table.before(el('div', { className: 'row lobby-filters' },
      el('label', { className: 'field' }, el('span', { textContent: t('lobbies.filter_game') }), game),
      el('label', { className: 'check' }, open, el('span', { textContent: ` ${t('lobbies.open_only')}` }))));
    this.$('no-lobbies').after(el('nav', { className: 'row pager', ariaLabel: t('lobbies.pages') }, previous, range, next));
    this.controls = { game, open, previous, next, range };
  }

  /** The pager's buttons and the rows shown, after a page came. */
  showPager() {
    const { previous, next, range } = this.controls;
    previous.disabled = !this.pager.hasPrevious;
    next.disabled = !this.pager.hasNext;
    const shown = this.pager.range();
    range.textContent = shown.total ? t('lobbies.range', shown) : '';
  }

  start() {
    const nick = this.$('nickname');
    nick.value = getNickname();
    nick.addEventListener('change', () => { nick.value = setNickname(nick.value); });
    this.$('create-form').addEventListener('submit', (event) => { event.preventDefault(); this.create(); });
    this.$('create-game').addEventListener('change', () => this.gameFields());
    this.$('join-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.joinByCode(event.submitter?.value === 'spectator' ? 'spectator' : 'player');
    });
    const $ = this.$;
    this.queue = new QueuePanel(
      { panel: $('queue-view'), game: $('queue-game'), headline: $('queue-headline'), position: $('queue-position'),
        waiting: $('queue-waiting'), wait: $('queue-wait'), window: $('queue-window'), cancel: $('queue-cancel') },
      { location: window.location, name: () => setNickname(nick.value), navigate: (url) => window.location.assign(url),
        storeSeat: setHostToken, notify: (message) => notify(message, { kind: 'warn' }), onClose: () => this.quickButtons(true) });
    window.addEventListener('pagehide', () => this.queue.close());
    this.gamesReady = listGames().then(({ games }) => this.setGames(games)).catch((err) => notify(err.message));
    loadGames().then(({ games }) => { this.specs = games; this.gameFields(); });
    this.listControls();
    this.refresh();
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.refresh(); });
  }

  /** Fetch and show the lobbies, then schedule the next poll. */
  async refresh() {
    clearTimeout(this.timer);
    try {
      const page = await listLobbies(this.pager.params());
      if (this.pager.received(page)) return this.refresh(); // that page emptied: the first one
      this.render(page.lobbies);
      this.showPager();
      this.failing = false;
      this.$('lobbies-status').textContent = t('time.updated', { time: clockTime(new Date()) });
    } catch (err) {
      if (!this.failing) notify(t('lobbies.load_failed', { error: err.message }), { kind: 'warn' });
      this.failing = true;
      this.$('lobbies-status').textContent = t('lobbies.offline');
    }
    this.timer = setTimeout(() => this.refresh(), POLL_MS);
  }

  render(lobbies) {
    const body = this.$('lobby-rows');
    this.$('no-lobbies').hidden = lobbies.length > 0;
    replaceRows(body, lobbies.map((l) => {
      const full = l.players >= l.max_players;
      const join = el('a', { className: 'button primary', href: playUrl(l.code), textContent: t('lobbies.join') });
      if (full || l.locked) {
        join.classList.add('disabled');
        join.removeAttribute('href');
        join.title = full ? t('lobbies.full') : t('lobbies.locked');
        join.setAttribute('aria-disabled', 'true');
      }
      const watch = el('a', { className: 'button', href: playUrl(l.code, 'spectator'), textContent: t('lobbies.spectate') });
      const tr = el('tr', {},
        el('td', { className: 'lobby-name' }, el('strong', { textContent: l.name }), el('small', { textContent: ` ${l.code}` })),
        el('td', { textContent: gameTitle(l.game) }),
        el('td', { textContent: `${l.players}/${l.max_players}` }, ...(l.locked ? [' ', icon('lock', t('lobbies.locked_icon'))] : [])),
        el('td', { textContent: String(l.spectators) }),
        el('td', {}, el('span', { className: `phase phase-${l.phase}`, textContent: t(`phase.${l.phase}`) })),
        el('td', { className: 'actions' }, join, watch));
      tr.dataset.code = l.code;
      return tr;
    }));
  }

  setGames(games) {
    this.games = games;
    const filter = this.controls?.game;
    if (filter) {
      filter.replaceChildren(el('option', { value: '', textContent: t('lobbies.all_games') }),
        ...games.map((g) => el('option', { value: g.name, textContent: gameTitle(g.name) })));
      filter.value = this.pager.game;
    }
    const select = this.$('create-game');
    const chosen = select.value; // the page's own options may have been used before the list came
    select.replaceChildren(...games.map((g) => el('option', { value: g.name,
      textContent: t('lobbies.game_option', { title: gameTitle(g.name), min: g.min_players, max: g.max_players }) })));
    if (games.some((g) => g.name === chosen)) select.value = chosen;
    this.gameFields();
    this.$('quick-games').replaceChildren(...games.map((g) => {
      const button = el('button', { type: 'button', className: 'primary', textContent: t('lobbies.quick', { title: gameTitle(g.name) }) });
      button.dataset.game = g.name;
      button.addEventListener('click', () => {
        this.quickButtons(false);
        this.queue.open({ ...g, title: gameTitle(g.name) });
      });
      return button;
    }));
  }

  /** Quick-match buttons are off while a queue is open (one queue at a time). */
  quickButtons(enabled) {
    for (const button of this.$('quick-games').querySelectorAll('button')) button.disabled = !enabled;
  }

  /** The max-players bounds and the game's own settings, for the chosen game. */
  gameFields() {
    const game = this.games.find((g) => g.name === this.$('create-game').value);
    if (!game) return;
    this.$('create-help').textContent = this.specs.get(game.name)?.help ?? '';
    // Built again for the same game (the game modules came after the list, with the game's
    // words for its settings): what was typed stays.
    const same = this.fieldsGame === game.name;
    this.fieldsGame = game.name;
    const max = this.$('create-max');
    Object.assign(max, { min: String(game.min_players), max: String(game.max_players) });
    if (!same) max.value = String(game.max_players);
    const form = this.$('create-settings');
    const edits = same ? editsOf(form.querySelectorAll('input')) : {};
    // Each setting's input carries the type and bounds /api/games publishes (the server refuses the rest).
    form.replaceChildren(...Object.entries(game.default_settings).map(([key, value]) => {
      const props = settingInputProps(game.settings?.[key], value);
      const input = el('input', { ...props, name: key, ...(props.type === 'checkbox' ? { checked: value } : { value: String(value) }),
        dataset: { initial: String(value) } });
      return el('label', { className: 'field' }, el('span', { textContent: settingLabel(key, game.name) }), input);
    }));
    keepEdits(form.querySelectorAll('input'), edits);
  }

  async create() {
    const button = this.$('create-submit');
    button.disabled = true;
    // A click before /api/games answered waits for it: until then the form knows no game's
    // bounds (it offers 8 players for a two-player game, and no settings), which the server refuses.
    await this.gamesReady;
    setNickname(this.$('nickname').value);
    const settings = {};
    const game = this.games.find((g) => g.name === this.$('create-game').value);
    for (const input of this.$('create-settings').querySelectorAll('input')) {
      settings[input.name] = settingValue(game?.settings?.[input.name], input);
    }
    const body = {
      game: this.$('create-game').value,
      name: this.$('create-name').value.trim(),
      max_players: Math.round(Number(this.$('create-max').value)),
      private: this.$('create-private').checked,
      tick_rate: Math.round(Number(this.$('create-tick').value)),
      settings,
    };
    if (!game) delete body.max_players; // no game list (it failed): the game's own maximum
    try {
      const { code, host_token: token } = await createLobby(body);
      setHostToken(code, token);
      window.location.assign(playUrl(code));
    } catch (err) {
      notify(err.message);
      button.disabled = false;
    }
  }

  joinByCode(role) {
    setNickname(this.$('nickname').value);
    const code = this.$('join-code').value.trim().toUpperCase();
    if (!/^[A-Z0-9]{3,12}$/.test(code)) {
      notify(t('lobbies.bad_code'), { kind: 'warn' });
      return;
    }
    window.location.assign(playUrl(code, role));
  }
}

export function startLobbiesPage(doc) {
  const browser = new LobbyBrowser((id) => doc.getElementById(id));
  browser.start();
  return browser;
}
