// The browser client's entry point: picks the page from <body data-page> and starts it.
// Every module does one job; this is where they meet.
import { startGamePage } from './pages/game.js';
import { startLobbiesPage } from './pages/lobbies.js';
import { startStaffPage } from './pages/staff.js';
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
window.addEventListener('unhandledrejection', (event) => notify(`Something went wrong: ${event.reason?.message ?? event.reason}`));

PAGES[document.body.dataset.page]?.();
