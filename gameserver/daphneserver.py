"""daphne with the game's short path for its two hot messages (what `make run` starts).

    python -m gameserver.rundaphne -b 127.0.0.1 -p 8000 gameserver.asgi:application

It is daphne — its command line, its `Server`, Twisted and autobahn — with one protocol
subclass, `GameDaphneProtocol` (gameserver/daphneprotocol.py: the short path in and out,
backpressure, closing), the counterpart of gameserver/wsprotocol.py under uvicorn, and one
HTTP channel, `GameHTTPChannel` (gameserver/daphnehttp.py: a deadline and a cap per address
on unfinished requests). `GameDaphneServer` builds both, gives each websocket application
the two scope extensions and a lean receive queue (gameserver/connqueue.py), and makes a
send wait while Twisted holds too much for the socket. `rundaphne` runs Twisted's asyncio
reactor on uvloop (``GAME_DAPHNE_UVLOOP=0``: not).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from types import FunctionType
from typing import Any

from daphne.cli import CommandLineInterface
from daphne.server import Server

from game.extensions import RECEIVE_NOW, SEND_NOW
from gameserver.connqueue import ReceiveQueue
from gameserver.daphnehttp import adapt_http_factory
from gameserver.daphneprotocol import GameDaphneProtocol
from gameserver.wsframes import CLOSE_TIMEOUT_S

__all__ = ["MAX_MESSAGE_SIZE", "GameCommandLine", "GameDaphneProtocol", "GameDaphneServer"]

MAX_MESSAGE_SIZE = 65536  # what `make run` passes; the launcher's default for both size options


def _adapt_ws_factory(factory: Any) -> None:
    factory.protocol = partial(_build_protocol, factory)
    factory.setProtocolOptions(closeHandshakeTimeout=CLOSE_TIMEOUT_S)


def _build_protocol(factory: Any) -> GameDaphneProtocol:
    """A `GameDaphneProtocol` whose class carries the factory's options. autobahn copies each
    of its 29 options from the factory onto every connection that lacks it (`_connectionMade`):
    given them by its class, a connection's attribute dict stays at about 70 entries instead of
    100 (1.5 kB instead of 3.3 kB). The class is made again if the options change."""
    names = GameDaphneProtocol.CONFIG_ATTRS
    values = [getattr(factory, name) for name in names]
    made = getattr(factory, "_game_protocol", None)
    if made is None or made[0] != values:
        attributes = {name: staticmethod(value) if isinstance(value, FunctionType) else value
                      for name, value in zip(names, values, strict=True)}
        made = factory._game_protocol = (values, type("GameDaphneProtocol", (GameDaphneProtocol,), attributes))
    return made[1]()


def _adapted(name: str, adapt: Callable[[Any], None]) -> property:
    """An attribute of `GameDaphneServer` that has ``adapt`` change a factory set to it."""
    def setter(server: Any, factory: Any) -> None:
        if factory is not None:
            adapt(factory)
        setattr(server, name, factory)
    return property(lambda server: getattr(server, name, None), setter)


class GameDaphneServer(Server):
    """daphne's `Server`, building `GameDaphneProtocol` connections on `GameHTTPChannel`s,
    giving their applications the two scope extensions, and making a send wait while Twisted
    holds too much for the socket."""

    # `Server.run` makes daphne's two factories and sets them here: they are adapted first.
    ws_factory = _adapted("_ws_factory", _adapt_ws_factory)
    http_factory = _adapted("_http_factory", adapt_http_factory)

    def create_application(self, protocol: Any, scope: dict) -> Any:
        """daphne's, with the extensions and a queue that resumes paused reads."""
        if not isinstance(protocol, GameDaphneProtocol):
            return super().create_application(protocol, scope)
        scope["extensions"] = {**(scope.get("extensions") or {}), RECEIVE_NOW: protocol.set_receive_now,
                               SEND_NOW: protocol.send_now}
        assert "application_instance" not in self.connections[protocol]
        queue = ReceiveQueue(protocol)
        scope.setdefault("asgi", {"version": "3.0"})
        instance = self.application(scope=scope, receive=queue.get, send=partial(self.handle_reply, protocol))
        if protocol not in self.connections:
            return None
        self.connections[protocol]["application_instance"] = asyncio.ensure_future(
            instance, loop=asyncio.get_event_loop())
        return queue

    async def handle_reply(self, protocol: Any, message: dict) -> None:
        """daphne's send; a ``websocket.send`` waits while the socket is backed up."""
        while getattr(protocol, "_write_paused", False) and message["type"] == "websocket.send":
            await protocol.writable()
        await super().handle_reply(protocol, message)


class GameCommandLine(CommandLineInterface):
    """daphne's command line, running `GameDaphneServer`; websocket messages and frames are
    limited to `MAX_MESSAGE_SIZE` unless its options say otherwise (daphne's own default is 1 MiB)."""

    server_class = GameDaphneServer

    def __init__(self) -> None:
        super().__init__()
        self.parser.set_defaults(websocket_max_message_size=MAX_MESSAGE_SIZE, websocket_max_frame_size=MAX_MESSAGE_SIZE)
