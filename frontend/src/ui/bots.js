// Bots as the lobby panel shows them: how many the host may ask for, how many a start
// would seat, and the settings change the bot controls make. Pure: the server judges
// every change (docs/protocol.md, "bots" and "bot_difficulty").

export const BOT_DIFFICULTIES = ['easy', 'normal', 'hard'];
export const BOT_SETTINGS = ['bots', 'bot_difficulty'];
const DEFAULT_DIFFICULTY = 'normal';

/** The most bots the host may ask for: the seats people leave free (of `maxPlayers` seats). */
export function botLimit(lobby, maxPlayers = lobby.max_players) {
  return Math.max(0, maxPlayers - lobby.players);
}

/** The bot settings as they stand: {count, difficulty, limit}. */
export function botSettings(lobby) {
  return {
    count: lobby.settings?.bots ?? 0,
    difficulty: lobby.settings?.bot_difficulty ?? DEFAULT_DIFFICULTY,
    limit: botLimit(lobby),
  };
}

/** How many would play if the host started now: the people seated and the bots in the seats left. */
export function seatsAtStart(lobby) {
  const { count, limit } = botSettings(lobby);
  return lobby.players + Math.min(count, limit);
}

/**
 * The settings change of the bot controls: only what differs from the lobby's settings,
 * the count a whole number within [0, limit] (a blank or unreadable count changes nothing).
 * `maxPlayers`: the seat count the same change sets, if it sets one.
 */
export function botChanges(lobby, { count, difficulty, maxPlayers }) {
  const now = { ...botSettings(lobby), limit: botLimit(lobby, maxPlayers ?? lobby.max_players) };
  const changes = {};
  const wanted = Number.parseInt(String(count), 10);
  if (Number.isFinite(wanted) && wanted !== now.count) {
    const clamped = Math.min(Math.max(wanted, 0), now.limit);
    if (clamped !== now.count) changes.bots = clamped;
  }
  if (BOT_DIFFICULTIES.includes(difficulty) && difficulty !== now.difficulty) changes.bot_difficulty = difficulty;
  return changes;
}
