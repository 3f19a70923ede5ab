// The HTTP API: lobbies, games and saved matches, as JSON. Errors carry a readable message.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
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
    throw new ApiError('The server cannot be reached. Check your connection.', 0);
  }
  let body = null;
  try {
    body = await reply.json();
  } catch {
    body = null;
  }
  if (!reply.ok) {
    const detail = body?.msg ?? (reply.status === 404 ? 'not found' : `HTTP ${reply.status}`);
    throw new ApiError(`The server refused: ${detail}.`, reply.status);
  }
  return body;
}

export const listLobbies = () => request('/api/lobbies');
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
