// Routing a lobby's socket to the process that runs it (docs/scale.md, "Routing"): the owner's
// route, as GET /api/lobbies/<code> answers it, goes in the socket URL for the proxy; a socket
// that reached another process (a takeover happened meanwhile) reconnects once the owner is
// known, so members are relayed only for the seconds after a takeover. Pure: no DOM, no fetch.

/** How long after a welcome to ask again which process owns the lobby. */
export const REROUTE_CHECK_MS = 2000;
/** At most one reconnection for a route this often (a directory not yet rewritten cannot loop). */
export const REROUTE_MIN_MS = 15000;

/** A lobby socket's URL with its owner's route; unchanged without one (no routing proxy). */
export const routed = (url, route) => (route ? `${url}&route=${encodeURIComponent(route)}` : url);

/** Whether to reconnect: the owner's route is known, differs from the one this socket used, the
 * socket is open, and the last such reconnection is long enough ago. */
export function shouldReroute({ used, owner, open, now, last = -Infinity, minMs = REROUTE_MIN_MS }) {
  return Boolean(owner) && owner !== used && open && now - last >= minMs;
}
