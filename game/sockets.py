"""The common ground of the game's websockets: a lobby (game.consumers), the matchmaking queue
(game.matchmaking.consumer) and the staff dashboard (game.dashboard.consumer).

They speak the lobby protocol's framing (binary msgpack maps with ``v`` and ``k``, error
frames, close codes; docs/protocol.md), each with a table of kinds of its own, and follow one
set of rules: refusals at connect time are a close code sent right after the handshake, every
refused frame gets an ``error`` frame (at most one per code and kind a second) and counts
against the error budget, frames are rate limited, each client address has a bounded number of
sockets, and frames leave through an `Outbox` — written with the server's plain
``game.send_now`` where it is offered (game/extensions.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.sessions import InstanceSessionWrapper
from django.conf import settings

from game import protocol
from game.engine.clock import wall_ms
from game.engine.outbox import Outbox
from game.extensions import SEND_NOW, offered
from game.limits import LIMIT_OF_KIND, ErrorBudget, TokenBucket, client_address
from game.outage import OUTAGE, is_outage
from game.query import QueryRefused, SocketQuery, parse_socket_query
from game.runtime import get_runtime


@dataclass(frozen=True)
class Who:
    """Who a socket's client is: a logged-in user's account, else a guest of the session."""

    identity: str  # "u:<user id>" or "g:<guest key>": what bans and limits remember
    name: str
    user_id: int | None = None
    staff: bool = False


def frame_sender(send: Callable[[dict], Awaitable[None]]) -> Callable[[dict], Awaitable[None]]:
    """The server's ``send`` past Channels' session wrapper, for frames: the wrapper acts only
    on ``http.response.start``, yet reads two lazy session attributes on every message it
    passes on (docs/performance.md)."""
    wrapper = getattr(send, "__self__", None)
    return wrapper.real_send if isinstance(wrapper, InstanceSessionWrapper) else send


async def refuse_unavailable(receive, send) -> None:
    """Accept the handshake and close with 4015 ``unavailable`` (the browser retries it): what
    a socket gets when the cluster's Redis cannot give it a channel, instead of HTTP 500."""
    if (await receive())["type"] == "websocket.connect":
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": protocol.CLOSE["unavailable"]})


class FramedConsumer(AsyncWebsocketConsumer):
    """A websocket of binary protocol frames. Subclasses set ``client_kinds`` (a table of
    game.protocol) and answer each kind in a method ``on_<kind>(fields)``, found once per
    class (`handlers`); ``ping`` is answered here, and a kind with no method of its own goes
    to ``on_command(kind, fields)``. A handler may be a coroutine function, except on a socket
    whose frames the server hands to `on_bytes` inline (the lobby's: it never awaits)."""

    client_kinds: ClassVar[dict[str, tuple[Any, str]]] = {}
    handlers: ClassVar[dict[str, Callable[..., Awaitable[None] | None]]] = {}
    outbox: Outbox | None = None
    address_counted = False
    refused = False  # closed for too many errors: what it sent after that is not read

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {kind: getattr(cls, f"on_{kind}") for kind in cls.client_kinds if hasattr(cls, f"on_{kind}")}

    async def __call__(self, scope, receive, send) -> None:
        self.frame_send = frame_sender(send)
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:  # no channel could be made: the layer's Redis is unreachable
            if getattr(self, "channel_name", None) is not None or not is_outage(exc):
                raise
            OUTAGE.failed("a websocket's channel", exc)
            await refuse_unavailable(receive, send)

    # -- opening --------------------------------------------------------------------------
    async def open_framed(self) -> SocketQuery | None:
        """Called first by a subclass's ``connect``: accept the socket, check the protocol
        version and the address's socket count, and start writing; returns the query, or
        None after closing the socket with a refusal."""
        game = settings.GAME
        self.budget = ErrorBudget(game["ERROR_BUDGET"], game["ERROR_WINDOW_S"])
        await self.accept()  # first, so that a refusal reaches the client as a close code
        try:
            query = parse_socket_query(self.scope.get("query_string", b""))
        except QueryRefused as exc:
            await self.close(protocol.CLOSE[exc.close])
            return None
        if not get_runtime().connection_opened(self.address()):
            await self.close(protocol.CLOSE["too_many_connections"])
            return None
        self.address_counted = True
        self.outbox = Outbox(self._send_frame, self._close_from_outbox, max_events=game["OUTBOX_MAX_EVENTS"],
                             send_now=offered(self.scope, SEND_NOW))
        limits = game["RATE_LIMITS"]
        self.buckets = {"ping": TokenBucket(*limits["ping"]), "command": TokenBucket(*limits["command"])}
        return query

    def address(self) -> str | None:
        return client_address(self.scope)  # behind a trusted proxy: the address it saw

    async def who(self, query: SocketQuery) -> Who:
        """The client: a logged-in user's account, else the session's guest key (a fresh one
        without a session) and the query's ``name``."""
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            return Who(f"u:{user.pk}", user.get_username(), user.pk, user.is_staff)
        guest = None
        session = self.scope.get("session")
        if session is not None:
            guest = await database_sync_to_async(session.get)("guest")
        if not isinstance(guest, str) or not guest:
            guest = secrets.token_hex(8)
        return Who(f"g:{guest}", query.name or f"Guest-{guest[:4]}")

    async def disconnect(self, code: int) -> None:
        """Called when the socket closes, for any reason."""
        if self.address_counted:
            self.address_counted = False
            get_runtime().connection_closed(self.address())
        if self.outbox is not None:
            self.outbox.closed = True
            if self.outbox.task is not None:
                self.outbox.task.cancel()

    # -- frames in ------------------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Called by Channels with each frame from the client."""
        handling = self.on_bytes(bytes_data)  # a text frame has no bytes: refused as bad_frame
        if handling is not None:
            await handling

    def on_bytes(self, data: bytes | None) -> Awaitable[None] | None:
        """Called with each binary frame: decode, rate-limit, hand to its handler. Never
        awaits (so the server may call it inline): a coroutine handler's work is returned."""
        if self.refused or not self.reads_frames():
            return None
        try:
            kind, fields = protocol.decode_client(data, self.client_kinds)
        except protocol.ProtocolError as exc:
            self.refuse(exc.code, exc.msg, exc.ref)
            return None
        if not self.buckets[LIMIT_OF_KIND.get(kind, "command")].take():
            self.refuse("rate_limited", f"too many {kind} messages; slow down", kind)
            return None
        handler = self.handlers.get(kind)
        return handler(self, fields) if handler is not None else self.on_command(kind, fields)

    def reads_frames(self) -> bool:
        """Called with each frame: whether the socket's frames are read now (once it writes)."""
        return self.outbox is not None

    def on_ping(self, fields: dict) -> None:
        self.push(protocol.encode_pong(id=fields["id"], ct=fields["ct"], time=wall_ms()))

    def on_command(self, kind: str, fields: dict) -> Awaitable[None] | None:
        """Called for a kind of ``client_kinds`` that has no ``on_<kind>`` method."""
        raise NotImplementedError(kind)

    def refuse(self, code: str, msg: str, ref: object = None) -> None:
        """Answer with an error frame (at most one per code and kind a second); close abusers."""
        verdict = self.budget.refuse(code, ref)
        if verdict == "close":
            self.refused = True  # nothing more this socket sent is parsed
            self.outbox.close(protocol.CLOSE["too_many_errors"])
        elif verdict == "send":
            self.push(protocol.encode_error(code=code, msg=msg, ref=ref))

    # -- frames out -----------------------------------------------------------------------
    def push(self, data: bytes) -> None:
        """Send a frame (never dropped while the socket lives; a reader too slow is closed)."""
        if self.outbox is not None:
            self.outbox.push_event(data)

    def _send_frame(self, data: bytes) -> Awaitable[None]:
        """The server's ``send`` of one binary frame, as the outbox runs it (a plain function
        handing back the server's coroutine: one coroutine less per frame than an ``async def``)."""
        return self.frame_send({"type": "websocket.send", "bytes": data})

    async def _close_from_outbox(self, code: int) -> None:
        await self.close(code)
