"""The lobby's websocket: authenticate, decode, hand over to the lobby, send bytes.

One `LobbyConsumer` per connection, at ``/ws/lobby/<code>/?role=player|spectator&name=..``.
It is a `game.sockets.FramedConsumer` (its query, counting, refusals, error budget, outbox and
``on_<kind>`` dispatch), whose lobby — run here or by another process — is a
`game.engine.handle.LobbyHandle`. Its outbox is the only sender of frames to the socket.

Departures from stock Channels, all for the hot path (docs/performance.md, "Channels under a tick loop"):
`__call__` pumps the client's frames and the channel layer's events in two long-lived
tasks instead of `await_many_dispatch` (which starts a task and an `asyncio.wait` per
message); `dispatch` skips `aclose_old_connections` — a thread hop per message — for
messages whose handlers never touch the database; and under the game's websocket protocol
classes (uvicorn's gameserver/wsprotocol.py, daphne's gameserver/daphneserver.py), frames are
handed to `on_bytes` inside the server's read callback rather than through the receive queue
(``game.receive_now``, game/extensions.py). So `on_bytes` and its handlers never await.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import aclose_old_connections
from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from msgpack import unpackb

from game import metrics, protocol
from game.engine.errors import JoinRefused
from game.engine.handle import LobbyHandle
from game.engine.lobby import JoinRequest, Member
from game.extensions import RECEIVE_NOW, offered
from game.limits import buckets_for
from game.outage import OUTAGE, Unavailable, is_outage
from game.protocol import MAX_FRAME_BYTES, PROTOCOL_VERSION
from game.query import SocketQuery
from game.rules.base import InvalidInput
from game.runtime import get_runtime, lobby_group
from game.sockets import FramedConsumer, frame_sender, refuse_unavailable

log = logging.getLogger("game.consumers")

# Messages that skip Channels' per-message `aclose_old_connections` thread hop: their
# handlers never touch the database (docs/performance.md, "a thread hop per message").
HOT_MESSAGES = frozenset({"websocket.receive", "lobby.event"})
MAX_INPUT_SEQ = 2**31 - 1


class LobbyConsumer(FramedConsumer):
    """A player's or spectator's connection to one lobby."""

    client_kinds = protocol.CLIENT_KINDS
    member: Member | None = None
    lobby_loop: LobbyHandle | None = None  # the lobby, run here or by another process

    async def __call__(self, scope, receive, send) -> None:
        """Run the consumer: one task reads the client, one reads the channel layer."""
        self.scope = scope
        self.base_send = send
        self.frame_send = frame_sender(send)
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        try:
            self.channel_name = await self.channel_layer.new_channel()
        except Exception as exc:  # the layer's Redis is unreachable: a retryable close, not HTTP 500
            if not is_outage(exc):
                raise
            OUTAGE.failed("a websocket's channel", exc)
            await refuse_unavailable(receive, send)
            return
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
        receive_now = offered(self.scope, RECEIVE_NOW)
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
        query = await self.open_framed()
        if query is None:
            return
        code = str(self.scope["url_route"]["kwargs"]["code"]).upper()
        runtime = get_runtime()
        if runtime.draining:  # this process is shutting down: try another one
            await self.close(protocol.CLOSE["moved"])
            return
        try:
            self.lobby_loop = await runtime.locate(code)
        except Unavailable:  # the cluster's Redis is down or being rebuilt: retry shortly
            await self.close(protocol.CLOSE["unavailable"])
            return
        if self.lobby_loop is None:
            await self.close(protocol.CLOSE["lobby_not_found"])
            return
        metrics.watch(runtime)  # (this process's figures reach a cluster-wide scrape)
        request = await self._join_request(query)
        if request is None:
            await self.close(protocol.CLOSE["bad_request"])
            return
        self.buckets = buckets_for(self.lobby_loop.tick_rate_hz, settings.GAME["RATE_LIMITS"])
        group = lobby_group(code)
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception as exc:
            if not is_outage(exc):
                raise
            OUTAGE.failed("a lobby group", exc)
            await self.close(protocol.CLOSE["unavailable"])
            return
        self.groups.append(group)
        try:
            self.member = await asyncio.wait_for(self.lobby_loop.submit_join(request), timeout=10)
        except JoinRefused as exc:
            await self.close(protocol.CLOSE[exc.close])
        except TimeoutError:
            await self.close(protocol.CLOSE["server_error"])

    async def _join_request(self, query: SocketQuery) -> JoinRequest | None:
        who = await self.who(query)
        if not who.name:
            return None
        return JoinRequest(name=who.name, role=query.role, identity=who.identity, conn=self.outbox,
                           address=self.address(), user_id=who.user_id, staff=who.staff,
                           host_token=query.token, resume=query.resume)

    async def websocket_disconnect(self, message: dict) -> None:
        """Leave the lobby's group, then `disconnect`. With Redis unreachable the group cannot
        be left (counted as an outage, not raised): the seat is left all the same."""
        try:
            for group in self.groups:
                await self.channel_layer.group_discard(group, self.channel_name)
        except Exception as exc:
            if not is_outage(exc):
                raise
            OUTAGE.failed("leaving a lobby group", exc)
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def disconnect(self, code: int) -> None:
        """Called when the socket closes, for any reason: leave the lobby."""
        if self.member is not None and self.lobby_loop is not None:
            self.lobby_loop.submit_leave(self.member.id, self.outbox)
        receive_now = offered(self.scope, RECEIVE_NOW)
        if receive_now is not None:
            receive_now(None)
        await super().disconnect(code)
        await aclose_old_connections()

    # -- frames in (`FramedConsumer.on_bytes`; never awaiting) -----------------------------
    def reads_frames(self) -> bool:
        """Once joined, while the seat is this connection's (not resumed on another)."""
        member = self.member
        return member is not None and member.conn is self.outbox

    def on_bytes(self, data: bytes | None) -> None:
        """Called with each binary frame (`FramedConsumer.on_bytes`). The usual one, a seated
        player's input, is decoded, limited, parsed and queued here in one call; any other
        frame, or an input off that path, goes the general way (and is decoded again there),
        to the same outcome."""
        member = self.member
        if (member is not None and type(data) is bytes and len(data) <= MAX_FRAME_BYTES and not self.refused
                and member.conn is self.outbox and member.role == "player"):
            try:
                msg = unpackb(data, raw=False, strict_map_key=True, use_list=True)
            except Exception:
                msg = None
            if type(msg) is dict and msg.get("k") == "input" and msg.get("v") == PROTOCOL_VERSION:
                input_seq = msg.get("input_seq")
                if type(input_seq) is int and 0 <= input_seq <= MAX_INPUT_SEQ:  # (a bool's type is bool)
                    if not self.buckets["input"].take():
                        self.refuse("rate_limited", "too many input messages; slow down", "input")
                        return None
                    loop, payload = self.lobby_loop, msg.get("d")
                    try:
                        cleaned = loop.game_cls.parse_input(payload)
                    except InvalidInput as exc:
                        self.refuse("bad_field", str(exc), "input")
                        return None
                    error = loop.submit_input(member, input_seq, cleaned, payload)
                    if error:
                        self.refuse(error, protocol.ERRORS[error], "input")
                    return None
        return super().on_bytes(data)

    def on_input(self, fields: dict) -> None:
        member, loop = self.member, self.lobby_loop
        if member.role != "player":
            self.refuse("forbidden", "spectators cannot send inputs", "input")
            return
        try:
            cleaned = loop.game_cls.parse_input(fields["d"])
        except InvalidInput as exc:
            self.refuse("bad_field", str(exc), "input")
            return
        error = loop.submit_input(member, fields["input_seq"], cleaned, fields["d"])
        if error:
            self.refuse(error, protocol.ERRORS[error], "input")

    def on_command(self, kind: str, fields: dict) -> None:
        """Every other kind is a lobby command (game.engine.commands), checked for role here."""
        member = self.member
        role = protocol.required_role(kind)
        if role == "player" and member.role != "player":
            self.refuse("forbidden", f"spectators cannot {kind}", kind)
        elif role == "host" and not self.lobby_loop.is_admin(member):
            self.refuse("forbidden", f"only the host or staff may {kind}", kind)
        elif not self.lobby_loop.submit_command(member.id, kind, fields):
            self.refuse("overloaded", protocol.ERRORS["overloaded"], kind)

    # -- frames out ---------------------------------------------------------------------
    async def lobby_event(self, event: dict) -> None:
        """Called for each event frame the lobby publishes to its group."""
        if self.outbox is not None and self.member is not None:
            self.outbox.push_event(event["data"])
