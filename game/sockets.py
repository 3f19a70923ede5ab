"""The common ground of the websockets that are not a lobby: the matchmaking queue
(game.matchmaking.consumer) and the staff dashboard (game.dashboard.consumer).

They speak the lobby protocol's framing (binary msgpack maps with ``v`` and ``k``, error
frames, close codes; docs/protocol.md) with a table of kinds of their own, and follow the
lobby socket's rules: refusals at connect time are a close code sent right after the
handshake, every refused frame gets an ``error`` frame (at most one per code and kind a
second) and counts against the error budget, frames are rate limited, each client address
has a bounded number of sockets, and frames leave through an `Outbox`.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from game import protocol
from game.engine.clock import wall_ms
from game.engine.outbox import Outbox
from game.limits import ErrorBudget, TokenBucket, client_address
from game.query import QueryRefused, SocketQuery, parse_socket_query
from game.runtime import get_runtime


class FramedConsumer(AsyncWebsocketConsumer):
    """A websocket of binary protocol frames; subclasses set ``client_kinds`` (a table of
    game.protocol) and answer each kind but ``ping`` in a method ``on_<kind>(fields)``."""

    client_kinds: ClassVar[dict[str, tuple[Any, str]]] = {}
    outbox: Outbox | None = None
    address_counted = False
    refused = False  # closed for too many errors: what it sent after that is not read

    async def open_framed(self) -> SocketQuery | None:
        """Accept the socket, check the protocol version and the address's socket count, and
        start writing; returns the query, or None after closing the socket with a refusal."""
        self.budget = ErrorBudget(settings.GAME["ERROR_BUDGET"], settings.GAME["ERROR_WINDOW_S"])
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
        self.outbox = Outbox(self._send_frame, self.close, max_events=settings.GAME["OUTBOX_MAX_EVENTS"])
        limits = settings.GAME["RATE_LIMITS"]
        self.buckets = {"ping": TokenBucket(*limits["ping"]), "command": TokenBucket(*limits["command"])}
        return query

    def address(self) -> str | None:
        return client_address(self.scope)  # behind a trusted proxy: the address it saw

    async def who(self, query: SocketQuery) -> tuple[str, str, int | None]:
        """``(identity, name, user id)`` as the lobby socket finds them: a logged-in user's
        account, else the session's guest key (a fresh one without a session) and ``name``."""
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            return f"u:{user.pk}", user.get_username(), user.pk
        guest = None
        session = self.scope.get("session")
        if session is not None:
            guest = await database_sync_to_async(session.get)("guest")
        if not isinstance(guest, str) or not guest:
            guest = secrets.token_hex(8)
        return f"g:{guest}", query.name or f"Guest-{guest[:4]}", None

    def push(self, data: bytes) -> None:
        """Send a frame (never dropped while the socket lives; a reader too slow is closed)."""
        if self.outbox is not None:
            self.outbox.push_event(data)

    async def disconnect(self, code: int) -> None:
        """Called when the socket closes, for any reason."""
        if self.address_counted:
            self.address_counted = False
            get_runtime().connection_closed(self.address())
        if self.outbox is not None:
            self.outbox.closed = True
            if self.outbox.task is not None:
                self.outbox.task.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Called with each frame from the client: decode, rate-limit, hand to ``on_<kind>``."""
        if self.outbox is None or self.refused:
            return
        try:
            kind, fields = protocol.decode_client(bytes_data, self.client_kinds)
        except protocol.ProtocolError as exc:
            self.refuse(exc.code, exc.msg, exc.ref)
            return
        if not self.buckets["ping" if kind == "ping" else "command"].take():
            self.refuse("rate_limited", f"too many {kind} messages; slow down", kind)
            return
        if kind == "ping":
            self.push(protocol.encode_pong(id=fields["id"], ct=fields["ct"], time=wall_ms()))
        else:
            await getattr(self, f"on_{kind}")(fields)

    def refuse(self, code: str, msg: str, ref: object = None) -> None:
        """Answer with an error frame (at most one per code and kind a second); close abusers."""
        verdict = self.budget.refuse(code, ref)
        if verdict == "close":
            self.refused = True  # nothing more this socket sent is parsed
            self.outbox.close(protocol.CLOSE["too_many_errors"])
        elif verdict == "send":
            self.push(protocol.encode_error(code=code, msg=msg, ref=ref))

    async def _send_frame(self, data: bytes) -> None:
        await self.send(bytes_data=data)
