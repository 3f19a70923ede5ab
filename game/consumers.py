"""The websocket consumer: authenticate, decode, hand over to the lobby loop, send bytes.

One `LobbyConsumer` per connection, at ``/ws/lobby/<code>/?role=player|spectator&name=..``.
It owns an `Outbox`, the only sender of frames to the socket.

Departures from stock Channels, all for the hot path (docs/performance.md, "Channels under a tick loop"):
`__call__` pumps the client's frames and the channel layer's events in two long-lived
tasks instead of `await_many_dispatch` (which starts a task and an `asyncio.wait` per
message); `dispatch` skips `aclose_old_connections` — a thread hop per message — for
messages whose handlers never touch the database; and under the game's websocket protocol
classes (uvicorn's gameserver/wsprotocol.py, daphne's gameserver/daphneserver.py), frames are
handed to `on_bytes` inside the server's read callback rather than through the receive queue
(``game.receive_now``, gameserver/wsframes.py), and the outbox writes frames with the server's
plain ``game.send_now`` where it is offered.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable

from channels.db import aclose_old_connections, database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.sessions import InstanceSessionWrapper
from django.conf import settings

from game import protocol
from game.engine.clock import wall_ms
from game.engine.errors import JoinRefused
from game.engine.handle import LobbyHandle
from game.engine.lobby import JoinRequest, Member
from game.engine.outbox import Outbox
from game.limits import LIMIT_OF_KIND, ErrorBudget, buckets_for, client_address
from game.query import QueryRefused, SocketQuery, parse_socket_query
from game.rules.base import InvalidInput
from game.runtime import get_runtime, lobby_group
from gameserver.wsframes import RECEIVE_NOW, SEND_NOW

log = logging.getLogger("game.consumers")

# Messages that skip Channels' per-message `aclose_old_connections` thread hop: their
# handlers never touch the database (docs/performance.md, "a thread hop per message").
HOT_MESSAGES = frozenset({"websocket.receive", "lobby.event"})


class LobbyConsumer(AsyncWebsocketConsumer):
    """A player's or spectator's connection to one lobby."""

    member: Member | None = None
    lobby_loop: LobbyHandle | None = None  # the lobby, run here or by another process
    outbox: Outbox | None = None
    refused = False  # closed for too many errors: what it sent after that is not read

    async def __call__(self, scope, receive, send) -> None:
        """Run the consumer: one task reads the client, one reads the channel layer."""
        self.scope = scope
        self.base_send = send
        # Frames skip Channels' session wrapper: it acts only on `http.response.start`, yet
        # reads two lazy session attributes on every message it passes on (docs/performance.md).
        wrapper = getattr(send, "__self__", None)
        self.frame_send = wrapper.real_send if isinstance(wrapper, InstanceSessionWrapper) else send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        layer_pump = asyncio.get_running_loop().create_task(
            self._pump(lambda: self.channel_layer.receive(self.channel_name)))
        try:
            await self._pump_client(receive)
        except StopConsumer:
            pass
        finally:
            layer_pump.cancel()
            await asyncio.gather(layer_pump, return_exceptions=True)

    async def _pump(self, source) -> None:
        while True:
            await self.dispatch(await source())

    async def _pump_client(self, receive) -> None:
        """Like `_pump`, with a short way for the most frequent message: a client frame.
        Once joined, a server offering ``game.receive_now`` (gameserver/wsprotocol.py) hands
        frames straight to `on_bytes` instead of waking this task for each."""
        receive_now = self.scope.get("extensions", {}).get(RECEIVE_NOW)
        while True:
            message = await receive()
            if message["type"] == "websocket.receive" and self.member is not None:
                self.on_bytes(message.get("bytes"))  # a text frame has none: refused as bad_frame
            else:
                await self.dispatch(message)
                if receive_now is not None and self.member is not None:
                    receive_now(self.on_bytes)
                    receive_now = None

    async def dispatch(self, message: dict) -> None:
        """Route a message to its handler; hot paths skip the database thread hop."""
        if message["type"] in HOT_MESSAGES:
            handler = getattr(self, message["type"].replace(".", "_"))
            await handler(message)
        else:
            await super().dispatch(message)

    # -- lifecycle ----------------------------------------------------------------------
    async def connect(self) -> None:
        """Called when the socket opens: check the query, join the lobby, start writing."""
        self.groups = []
        self.budget = ErrorBudget(settings.GAME["ERROR_BUDGET"], settings.GAME["ERROR_WINDOW_S"])
        await self.accept()  # first, so that a refusal reaches the client as a close code
        try:
            query = parse_socket_query(self.scope.get("query_string", b""))
        except QueryRefused as exc:
            await self.close(protocol.CLOSE[exc.close])
            return
        if not get_runtime().connection_opened(self._address()):
            self.address_counted = False
            await self.close(protocol.CLOSE["too_many_connections"])
            return
        self.address_counted = True
        code = str(self.scope["url_route"]["kwargs"]["code"]).upper()
        runtime = get_runtime()
        if runtime.draining:  # this process is shutting down: try another one
            await self.close(protocol.CLOSE["moved"])
            return
        self.lobby_loop = await runtime.locate(code)
        if self.lobby_loop is None:
            await self.close(protocol.CLOSE["lobby_not_found"])
            return
        request = await self._join_request(query)
        if request is None:
            await self.close(protocol.CLOSE["bad_request"])
            return
        self.buckets = buckets_for(self.lobby_loop.tick_rate_hz, settings.GAME["RATE_LIMITS"])
        group = lobby_group(code)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)
        try:
            self.member = await asyncio.wait_for(self.lobby_loop.submit_join(request), timeout=10)
        except JoinRefused as exc:
            await self.close(protocol.CLOSE[exc.close])
        except TimeoutError:
            await self.close(protocol.CLOSE["server_error"])

    async def _join_request(self, query: SocketQuery) -> JoinRequest | None:
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            identity, name, user_id, staff = f"u:{user.pk}", user.get_username(), user.pk, user.is_staff
        else:
            name = query.name
            guest = await self._guest_key()
            identity, user_id, staff = f"g:{guest}", None, False
            name = name or f"Guest-{guest[:4]}"
        if not name:
            return None
        self.outbox = Outbox(self._send_frame, self._close_from_outbox,
                             max_events=settings.GAME["OUTBOX_MAX_EVENTS"],
                             send_now=self.scope.get("extensions", {}).get(SEND_NOW))
        return JoinRequest(name=name, role=query.role, identity=identity,
                           conn=self.outbox, address=self._address(), user_id=user_id, staff=staff,
                           host_token=query.token, resume=query.resume)

    def _address(self) -> str | None:
        return client_address(self.scope)  # behind a trusted proxy: the address it saw

    async def _guest_key(self) -> str:
        """The browser session's guest key, or a fresh one for a session-less client."""
        session = self.scope.get("session")
        if session is not None:
            key = await database_sync_to_async(session.get)("guest")
            if isinstance(key, str) and key:
                return key
        return secrets.token_hex(8)

    async def disconnect(self, code: int) -> None:
        """Called when the socket closes, for any reason: leave the lobby."""
        if getattr(self, "address_counted", False):
            get_runtime().connection_closed(self._address())
        if self.member is not None and self.lobby_loop is not None:
            self.lobby_loop.submit_leave(self.member.id, self.outbox)
        receive_now = self.scope.get("extensions", {}).get(RECEIVE_NOW)
        if receive_now is not None:
            receive_now(None)
        if self.outbox is not None:
            self.outbox.closed = True
            if self.outbox.task is not None:
                self.outbox.task.cancel()
        await aclose_old_connections()

    # -- frames in ----------------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Called with each frame from the client (by Channels, before the member joined)."""
        self.on_bytes(bytes_data)  # a text frame has no bytes: refused as bad_frame

    def on_bytes(self, data: bytes | None) -> None:
        """Handle one binary frame; never awaits, so the server may call it inline."""
        member = self.member
        if member is None or self.refused or member.conn is not self.outbox:
            return  # not joined (yet), being closed, or its seat resumed on another connection
        try:
            kind, fields = protocol.decode_client(data)
        except protocol.ProtocolError as exc:
            self._refuse(exc.code, exc.msg, exc.ref)
            return
        if not self.buckets[LIMIT_OF_KIND.get(kind, "command")].take():
            self._refuse("rate_limited", f"too many {kind} messages; slow down", kind)
        elif kind == "input":
            self._on_input(fields)
        elif kind == "ping":
            self.outbox.push_event(protocol.encode_pong(id=fields["id"], ct=fields["ct"],
                                                        time=wall_ms()))
        else:
            self._on_command(kind, fields)

    def _on_input(self, fields: dict) -> None:
        member, loop = self.member, self.lobby_loop
        if member.role != "player":
            self._refuse("forbidden", "spectators cannot send inputs", "input")
            return
        try:
            cleaned = loop.game_cls.parse_input(fields["d"])
        except InvalidInput as exc:
            self._refuse("bad_field", str(exc), "input")
            return
        error = loop.submit_input(member, fields["seq"], cleaned, fields["d"])
        if error:
            self._refuse(error, protocol.ERRORS[error], "input")

    def _on_command(self, kind: str, fields: dict) -> None:
        member = self.member
        role = protocol.required_role(kind)
        if role == "player" and member.role != "player":
            self._refuse("forbidden", f"spectators cannot {kind}", kind)
        elif role == "host" and not self.lobby_loop.is_admin(member):
            self._refuse("forbidden", f"only the host or staff may {kind}", kind)
        elif not self.lobby_loop.submit_command(member.id, kind, fields):
            self._refuse("overloaded", protocol.ERRORS["overloaded"], kind)

    def _refuse(self, code: str, msg: str, ref: object = None) -> None:
        """Answer with an error frame (at most one per code and kind a second); close abusers."""
        verdict = self.budget.refuse(code, ref)
        if verdict == "close":
            self.refused = True  # nothing more this socket sent is parsed
            self.outbox.close(protocol.CLOSE["too_many_errors"])
        elif verdict == "send":
            self.outbox.push_event(protocol.encode_error(code=code, msg=msg, ref=ref))

    # -- frames out ---------------------------------------------------------------------
    async def lobby_event(self, event: dict) -> None:
        """Called for each event frame the lobby publishes to its group."""
        if self.outbox is not None and self.member is not None:
            self.outbox.push_event(event["data"])

    def _send_frame(self, data: bytes) -> Awaitable[None]:
        """The server's ``send`` of one binary frame, as the outbox runs it (a plain function
        handing back the server's coroutine: one coroutine less per frame than an ``async def``)."""
        return self.frame_send({"type": "websocket.send", "bytes": data})

    async def _close_from_outbox(self, code: int) -> None:
        await self.close(code)
