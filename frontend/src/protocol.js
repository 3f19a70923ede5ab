// The wire protocol, browser side: a mirror of game/protocol.py (tests/game/test_protocol_tables.py
// checks that the tables agree) plus the words a person reads when something is refused.
// docs/protocol.md is the human copy of the tables.
import { decode, encode } from '@msgpack/msgpack';
import { t, withDetail } from './i18n.js';

export const PROTOCOL_VERSION = 2;
export const MAX_FRAME_BYTES = 4096;
export const MAX_CHAT_CHARS = 200;
export const MAX_NAME_CHARS = 24;

export const ROLES = ['player', 'spectator'];
export const PHASES = ['waiting', 'countdown', 'playing', 'finished', 'closed'];

// Error codes carried by "error" frames: code -> meaning (as the server words it).
export const ERRORS = {
  bad_frame: 'the frame is not a binary msgpack map',
  bad_version: "the frame's protocol version is not supported",
  unknown_kind: "the frame's kind is not a client message kind",
  bad_field: 'a field is missing, of the wrong type or out of range',
  frame_too_large: 'the frame is larger than MAX_FRAME_BYTES',
  forbidden: "the sender's role may not do this",
  invalid_state: "not possible in the lobby's current phase",
  not_found: 'the target member does not exist',
  rate_limited: 'too many frames; slow down',
  overloaded: "the lobby's queue is full; the frame was dropped",
  not_in_match: 'the sender holds a seat but is not in the running match',
  queue_full: 'the matchmaking queue is full; try again later',
  server_error: 'the server failed to carry out the frame; the lobby goes on',
  draining: 'this server process is restarting and starts no match; start again in a moment',
  move_refused: "the game's rules refused the move; msg names why (one of the game's refusals)",
};

// Websocket close codes the server uses: code -> [name, meaning].
export const CLOSE_CODES = {
  4000: ['bad_version', 'the requested protocol version is not supported'],
  4001: ['bad_request', "the connection's query parameters are invalid"],
  4003: ['staff_only', 'only staff users may open the staff dashboard'],
  4004: ['lobby_not_found', 'no open lobby has that code'],
  4005: ['kicked', 'the host or staff removed you from the lobby'],
  4006: ['banned', 'you are banned from this lobby'],
  4008: ['too_slow', 'your connection fell too far behind the lobby'],
  4009: ['lobby_full', 'every player seat is taken'],
  4010: ['lobby_locked', 'the host locked the lobby'],
  4011: ['lobby_closed', 'the lobby was closed'],
  4012: ['replaced', 'the same seat was resumed on another connection'],
  4013: ['moved', 'the lobby is moving to another server process; reconnect and resume the seat'],
  4014: ['unknown_game', 'no game has that name (matchmaking)'],
  4015: ['unavailable', "the servers' shared store is briefly unreachable or being rebuilt; reconnect shortly"],
  4029: ['too_many_errors', 'too many bad or refused frames in a short time'],
  4030: ['too_many_connections', 'too many connections from your network address'],
  4500: ['server_error', 'the server failed; try again'],
};
export const CLOSE = Object.fromEntries(
  Object.entries(CLOSE_CODES).map(([code, [name]]) => [name, Number(code)]));

// Server -> client kinds and their fields (besides "v" and "k").
export const SERVER_KINDS = {
  welcome: ['you', 'role', 'host', 'staff', 'lobby', 'tick_rate', 'broadcast_rate', 'time', 'resume', 'resumed'],
  lobby: ['lobby', 'time'],
  full: ['tick', 'time', 's', 'last_processed_input', 'ev'],
  delta: ['tick', 'time', 'base', 's', 'last_processed_input', 'ev'],
  event: ['tick', 'time', 'e'],
  error: ['code', 'msg', 'ref'],
  pong: ['id', 'ct', 'time'],
};

// Client -> server kinds: who may send them ("player", "any", "host") and their fields.
export const CLIENT_KINDS = {
  input: { role: 'player', fields: ['input_seq', 'd'] },
  ping: { role: 'any', fields: ['id', 'ct'] },
  chat: { role: 'any', fields: ['text'] },
  ready: { role: 'player', fields: ['ready'] },
  start: { role: 'host', fields: [] },
  rematch: { role: 'host', fields: [] },
  kick: { role: 'host', fields: ['target'] },
  ban: { role: 'host', fields: ['target'] },
  lock: { role: 'host', fields: [] },
  unlock: { role: 'host', fields: [] },
  transfer: { role: 'host', fields: ['target'] },
  settings: { role: 'host', fields: ['settings'] },
  close: { role: 'host', fields: [] },
};

// Matchmaking (/ws/queue/<game>/) and the staff dashboard (/ws/staff/): the same framing,
// kinds of their own.
export const QUEUE_SERVER_KINDS = {
  queue: ['game', 'queued', 'position', 'waiting', 'wait_s', 'window', 'rating', 'time'],
  matched: ['game', 'code', 'token', 'players', 'time'],
  error: SERVER_KINDS.error,
  pong: SERVER_KINDS.pong,
};
export const QUEUE_CLIENT_KINDS = {
  join: { role: 'any', fields: [] },
  leave: { role: 'any', fields: [] },
  ping: CLIENT_KINDS.ping,
};
export const STAFF_SERVER_KINDS = {
  dashboard: ['time', 'process', 'lobbies', 'queues'],
  done: ['ref', 'code', 'target'],
  error: SERVER_KINDS.error,
  pong: SERVER_KINDS.pong,
};
export const STAFF_CLIENT_KINDS = {
  close_lobby: { role: 'staff', fields: ['code'] },
  kick: { role: 'staff', fields: ['code', 'target'] },
  ping: CLIENT_KINDS.ping,
};

// What a person reads for each error code and each close: catalog keys (locale/*.js), the
// server's own `msg` is protocol text in English (shown beside it on English pages only).
export const ERROR_MESSAGES = Object.freeze(Object.fromEntries(Object.keys(ERRORS).map((code) => [code, `error.${code}`])));
export const CLOSE_MESSAGES = Object.freeze(Object.fromEntries(
  Object.values(CLOSE_CODES).map(([name]) => [name, `close.${name}`])));

// Closes after which reconnecting cannot help (or would take the seat back from another tab):
// the person must do something else.
export const FINAL_CLOSES = new Set(['bad_version', 'bad_request', 'lobby_not_found', 'kicked',
  'banned', 'lobby_full', 'lobby_locked', 'lobby_closed', 'replaced', 'too_many_connections',
  'staff_only', 'unknown_game']);

export class ProtocolError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** A readable message for an error frame `{code, msg}`. */
export function describeError(code, msg) {
  return withDetail(t(ERROR_MESSAGES[code] ?? 'error.unknown'), msg);
}

/** `{name, message, final}` for a websocket close code (server codes and standard ones). */
export function describeClose(code) {
  const entry = CLOSE_CODES[code];
  if (entry) {
    const [name] = entry;
    return { name, message: t(CLOSE_MESSAGES[name]), final: FINAL_CLOSES.has(name) };
  }
  const name = { 1000: 'normal', 1001: 'going_away' }[code] ?? 'connection_lost';
  return { name, message: t(`close.${name}`), final: false };
}

/** Encode one client frame; throws ProtocolError for an unknown kind, a missing field or a frame too large.
 * `kinds`: the socket's table of client kinds (the lobby's unless told). */
export function encodeClient(kind, fields = {}, kinds = CLIENT_KINDS) {
  const spec = kinds[kind];
  if (!spec) throw new ProtocolError(`unknown client kind ${kind}`);
  for (const name of spec.fields) {
    if (!(name in fields)) throw new ProtocolError(`${kind} needs the field ${name}`);
  }
  const bytes = encode({ v: PROTOCOL_VERSION, k: kind, ...fields });
  if (bytes.byteLength > MAX_FRAME_BYTES) throw new ProtocolError(`${kind} frame is larger than ${MAX_FRAME_BYTES} bytes`);
  return bytes;
}

/** Decode one server frame (ArrayBuffer or Uint8Array) into a map with a `k` known to `kinds`
 * (the socket's table of server kinds; the lobby's unless told). */
export function decodeServer(data, kinds = SERVER_KINDS) {
  if (typeof data === 'string') throw new ProtocolError('the server sent a text frame');
  let msg;
  try {
    msg = decode(data);
  } catch (err) {
    throw new ProtocolError(`the server sent invalid msgpack: ${err.message}`);
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) throw new ProtocolError('a frame must be a map');
  if (msg.v !== PROTOCOL_VERSION) throw new ProtocolError(`unsupported protocol version ${msg.v}`);
  if (!Object.hasOwn(kinds, msg.k)) throw new ProtocolError(`unknown server kind ${msg.k}`);
  return msg;
}

/** The websocket URL of a lobby for this page's origin (`resume`: the token of an earlier welcome). */
export function lobbyUrl(location, { code, role, name, token, resume }) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = new URLSearchParams({ role, v: String(PROTOCOL_VERSION) });
  if (name) query.set('name', name.slice(0, MAX_NAME_CHARS));
  if (token) query.set('token', token);
  if (resume) query.set('resume', resume);
  return `${scheme}//${location.host}/ws/lobby/${encodeURIComponent(code)}/?${query}`;
}

/** The websocket URL of a game's matchmaking queue for this page's origin. */
export function queueUrl(location, { game, name }) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = new URLSearchParams({ v: String(PROTOCOL_VERSION) });
  if (name) query.set('name', name.slice(0, MAX_NAME_CHARS));
  return `${scheme}//${location.host}/ws/queue/${encodeURIComponent(game)}/?${query}`;
}

/** The websocket URL of the staff dashboard for this page's origin. */
export function staffUrl(location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws/staff/?v=${PROTOCOL_VERSION}`;
}
