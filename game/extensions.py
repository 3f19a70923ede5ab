"""The ASGI scope extensions through which a server gives the game's sockets a shorter way for
their two hot messages, a client's frame in and a frame out (docs/performance.md).

The game's websocket protocol classes (gameserver/wsprotocol.py for uvicorn,
gameserver/daphneserver.py for daphne) offer both; under any other server the consumers use
the plain receive queue and ``send``. The names are the game's, defined here: the servers
import them from the game, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The hand-over: ``extensions[RECEIVE_NOW](f)`` has the server call ``f(payload)`` for each
#: binary message that finds the receive queue empty (``f(None)`` ends it).
RECEIVE_NOW = "game.receive_now"
#: The direct write: ``extensions[SEND_NOW](payload) -> bool`` writes one binary frame now, or
#: returns False, having written nothing, when it would have to wait.
SEND_NOW = "game.send_now"


def offered(scope: dict[str, Any], name: str) -> Callable[..., Any] | None:
    """The server's callable for the extension ``name``, or None where it is not offered."""
    return (scope.get("extensions") or {}).get(name)
