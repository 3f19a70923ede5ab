// The browser client's entry point: picks the page from <body data-page> and starts it.
// Every module does one job; this is where they meet.
import { t } from './i18n.js';
import { startGamePage } from './pages/game.js';
import { startLobbiesPage } from './pages/lobbies.js';
import { startStaffPage } from './pages/staff.js';
import { startLanguage } from './ui/language.js';
import { notify } from './ui/toast.js';

const PAGES = {
  lobbies: () => startLobbiesPage(document),
  staff: () => startStaffPage(document),
  game: () => {
    const { code } = document.body.dataset;
    const role = new URLSearchParams(window.location.search).get('role') === 'spectator' ? 'spectator' : 'player';
    return startGamePage(document, { code, role });
  },
};

// A bug in this page should reach the person as a message, not only the console.
window.addEventListener('unhandledrejection', (event) => notify(t('page.bug', { error: event.reason?.message ?? event.reason })));

// Every page has the language switcher (templates/game/language.html); a page whose language is
// not the one remembered reloads in it first.
if (startLanguage(document)) PAGES[document.body.dataset.page]?.();
