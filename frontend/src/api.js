// The HTTP API: lobbies, games and saved matches, as JSON. Errors carry a readable message:
// the catalog's sentence for the refusal's code (locale/*.js: api.<code>).
import { has, t, withDetail } from './i18n.js';

export class ApiError extends Error {
  constructor(message, status, code = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** What a person reads for a refusal: HTTP `status`, the JSON `body` ({error, msg}) or null. */
export function refusalText(status, body) {
  const key = `api.${body?.error}`;
  const text = body?.error && has(key) ? t(key) : t('api.refused', { status });
  return withDetail(text, body?.msg);
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : '';
}

async function request(path, options = {}) {
  let reply;
  try {
    reply = await fetch(path, { credentials: 'same-origin', ...options });
  } catch {
    throw new ApiError(t('api.unreachable'), 0);
  }
  let body = null;
  try {
    body = await reply.json();
  } catch {
    body = null;
  }
  if (!reply.ok) throw new ApiError(refusalText(reply.status, body), reply.status, body?.error ?? null);
  return body;
}

/** A page of the public lobbies: `params` {game, open, limit, cursor} as docs/api.md lists them;
 * answers `{lobbies, total, next, age_ms}`. */
export const listLobbies = (params = {}) => request(`/api/lobbies?${new URLSearchParams(params)}`);
export const listGames = () => request('/api/games');
export const getLobby = (code) => request(`/api/lobbies/${encodeURIComponent(code)}`);
export const listMatches = (code) => request(`/api/lobbies/${encodeURIComponent(code)}/matches`);

/** Create a lobby; answers `{code, host_token, lobby}`. */
export function createLobby(body) {
  return request('/api/lobbies', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
    body: JSON.stringify(body),
  });
}
