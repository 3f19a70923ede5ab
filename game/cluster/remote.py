"""Lobbies owned by another process, seen from this one.

A `RemoteLobby` is a consumer's handle on such a lobby (a `game.engine.handle.LobbyHandle`,
as a local `LobbyLoop` is): its calls go to the owner through the node's mail. A `Relay`
hands each state frame the owner relays to the outboxes of the lobby's members connected
here (of a game with per-player views, each member the frame of the view the owner names for
it, and nothing to a member it names none for: game.cluster.guests), and each member's own
frames to its outbox — error frames through the socket's `ErrorBudget`, as a local lobby's
refusals go. `Relays` keeps one relay per such lobby and answers what owners send back
(``deliver``, ``close``, ``joined``, ``refused``, state frames), each called by the node's
receiver.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

import msgpack
from django.conf import settings

from game import protocol
from game.cluster.mail import Mailbox, relay_group
from game.engine.errors import JoinRefused
from game.engine.lobby import JoinRequest, Member
from game.limits import ErrorBudget

log = logging.getLogger("game.cluster")

_conn_ids = itertools.count(1)


class Relays:
    """This process's members of lobbies owned elsewhere, one `Relay` per lobby."""

    def __init__(self, mail: Mailbox) -> None:
        self.mail = mail
        self.relays: dict[str, Relay] = {}  # lobby code -> its relay
        self.conn_relay: dict[int, Relay] = {}  # local connection id -> its lobby's relay
        self.pending_joins: dict[int, asyncio.Future] = {}
        self.received = 0  # state frames relayed here

    def post(self, channel: str, item: list) -> None:
        self.mail.post(channel, item)

    # -- what owners send ----------------------------------------------------------------
    def on_state(self, message: dict[str, Any]) -> None:
        relay = self.relays.get(message["code"])
        if relay is not None:
            self.received += 1
            relay.state(message)

    def on_deliver(self, conn_id: int, data: bytes) -> None:
        relay = self.conn_relay.get(conn_id)
        if relay is not None:
            relay.deliver(conn_id, data)

    def on_close(self, conn_id: int, code: int) -> None:
        relay = self.conn_relay.get(conn_id)
        if relay is not None:
            relay.outboxes[conn_id].close(code)

    def on_joined(self, conn_id: int, seat: dict) -> None:
        future = self.pending_joins.pop(conn_id, None)
        if future is not None and not future.done():
            future.set_result(seat)

    def on_refused(self, conn_id: int, close: str) -> None:
        future = self.pending_joins.pop(conn_id, None)
        if future is not None and not future.done():
            future.set_exception(JoinRefused(close))

    # -- relays come and go --------------------------------------------------------------
    async def relay_for(self, code: str, owner: str, epoch: int) -> Relay:
        relay = self.relays.get(code)
        if relay is not None and relay.epoch < epoch:
            # A newer owner than the one this process relays for (the watchdog has not seen it
            # yet): the members here joined the old one; they move and resume with the new one.
            relay.move_all(protocol.CLOSE["moved"])
            relay = self.relays[code] = Relay(self, code, owner, epoch)
        elif relay is None:
            relay = self.relays[code] = Relay(self, code, owner, epoch)
            await self.mail.layer.group_add(relay_group(code), self.mail.channel)
        return relay

    async def drop(self, code: str, conn_id: int) -> None:
        """A connection here left lobby ``code``; the last one takes the relay with it."""
        relay = self.relays.get(code)
        if relay is None:
            return
        relay.discard(conn_id)
        if not relay.outboxes and self.relays.get(code) is relay:
            del self.relays[code]
            await self.mail.layer.group_discard(relay_group(code), self.mail.channel)

    async def check_owners(self, holders: dict[str, Any]) -> None:
        """Called by the node's watchdog with each relayed lobby's lease holder: members
        here of a lobby whose owner is gone or replaced move (4013) and resume."""
        for code, holder in holders.items():
            relay = self.relays.get(code)
            if relay is None:
                continue
            if holder is None or (holder.node, holder.epoch) != (relay.owner, relay.epoch):
                log.warning("lobby %s: its owner is gone or replaced; moving %d members",
                            code, len(relay.outboxes))
                del self.relays[code]
                relay.move_all(protocol.CLOSE["moved"])
                await self.mail.layer.group_discard(relay_group(code), self.mail.channel)

    def move_all(self) -> None:
        """Shutting down: every member here of a lobby owned elsewhere reconnects to another process."""
        for relay in list(self.relays.values()):
            relay.move_all(protocol.CLOSE["moved"])
        self.relays.clear()


class Relay:
    """The members of one remotely owned lobby connected to this process."""

    def __init__(self, relays: Relays, code: str, owner: str, epoch: int) -> None:
        self.relays = relays
        self.code = code
        self.owner = owner
        self.epoch = epoch
        self.outboxes: dict[int, Any] = {}
        self.budgets: dict[int, ErrorBudget] = {}  # each socket's, for the error frames the owner sends it
        self.delayed: set[int] = set()  # connections of spectators (who see a delayed feed if the lobby has one)
        self.full_asked_tick = -1
        self.sent: dict[int, int] = {}  # connection id -> the tick of the last view frame it was handed

    def state(self, message: dict[str, Any]) -> None:
        """A relayed state frame: hand it to each local outbox (newest epoch only). Spectators
        of a lobby that delays them get the delayed frames instead (`game.engine.delayed`)."""
        if message["epoch"] < self.epoch:
            return  # from an owner that has been replaced
        if "seats" in message:  # a game with per-player views: each member's own view
            views = message["views"]
            frames = ((conn_id, views[index]) for conn_id, index in message["seats"])
        else:
            live = (message["delta"], message["full"])
            late = (message.get("ddelta"), message.get("dfull")) if message.get("delayed") else None
            frames = ((conn_id, late if late is not None and conn_id in self.delayed else live)
                      for conn_id in self.outboxes)
        want_full = False
        for conn_id, frame in frames:
            outbox = self.outboxes.get(conn_id)
            if outbox is None:
                continue  # left since (its seat's frames go nowhere else)
            delta, full = frame[0], frame[1]
            if len(frame) > 2:  # a view's (delta, full, base, tick): a delta follows the last frame sent
                if delta is not None and self.sent.get(conn_id) != frame[2]:
                    outbox.needs_full = True  # it missed one (a lost relay, another view before)
                self.sent[conn_id] = frame[3]
            if outbox.needs_full:
                if full is not None:
                    outbox.push_state(full, full=True)
                else:
                    want_full = want_full or delta is not None  # (a delayed feed still filling up sends neither)
            elif delta is not None:
                outbox.push_state(delta, full=False)
            elif full is not None:
                outbox.push_state(full, full=True)
        if want_full and self.full_asked_tick != message["tick"]:
            self.full_asked_tick = message["tick"]
            self.relays.post(self.owner, ["full", self.code])

    def add(self, conn_id: int, outbox: Any, budget: ErrorBudget) -> None:
        self.outboxes[conn_id] = outbox
        self.budgets[conn_id] = budget
        self.relays.conn_relay[conn_id] = self

    def deliver(self, conn_id: int, data: bytes) -> None:
        """A frame for one member (welcome, error, eviction): to its outbox. An error frame
        goes through the socket's budget, as a local refusal does: at most one per code and
        kind a second, and the socket is closed (4029) for too many."""
        outbox, budget = self.outboxes.get(conn_id), self.budgets.get(conn_id)
        if outbox is None:
            return
        refused = _refusal(data)
        if refused is not None and budget is not None:
            verdict = budget.refuse(*refused)
            if verdict == "close":
                outbox.close(protocol.CLOSE["too_many_errors"])
            if verdict != "send":
                return
        outbox.push_event(data)

    def discard(self, conn_id: int) -> None:
        self.outboxes.pop(conn_id, None)
        self.budgets.pop(conn_id, None)
        self.delayed.discard(conn_id)
        self.sent.pop(conn_id, None)
        if self.relays.conn_relay.get(conn_id) is self:
            del self.relays.conn_relay[conn_id]

    def move_all(self, close_code: int) -> None:
        """The owner is gone or changed: close every local member's socket so that its
        client reconnects (and resumes its seat with whichever process owns the lobby)."""
        for conn_id, outbox in list(self.outboxes.items()):
            outbox.close(close_code)
            self.discard(conn_id)


class RemoteLobby:
    """A consumer's handle on a lobby owned by another process (one per connection)."""

    def __init__(self, relays: Relays, code: str, owner: str, epoch: int, game_cls, tick_rate_hz: int) -> None:
        self.relays = relays
        self.mail = relays.mail
        self.code = code
        self.owner = owner
        self.epoch = epoch
        self.game_cls = game_cls
        self.tick_rate_hz = tick_rate_hz
        self.conn_id = next(_conn_ids)

    async def submit_join(self, req: JoinRequest) -> Member:
        relay = await self.relays.relay_for(self.code, self.owner, self.epoch)
        relay.add(self.conn_id, req.conn, ErrorBudget(settings.GAME["ERROR_BUDGET"], settings.GAME["ERROR_WINDOW_S"]))
        future = asyncio.get_running_loop().create_future()
        self.relays.pending_joins[self.conn_id] = future
        fields = {name: getattr(req, name) for name in JoinRequest.__dataclass_fields__ if name != "conn"}
        self.mail.post(self.owner, ["join", self.code, self.mail.channel, self.conn_id, fields])
        try:
            seat = await future
        except BaseException:  # refused, or given up on (the socket closed, a timeout)
            self.relays.pending_joins.pop(self.conn_id, None)
            self.mail.post(self.owner, ["abort", self.code, self.mail.channel, self.conn_id])
            await self.relays.drop(self.code, self.conn_id)
            raise
        if seat["role"] == "spectator" and not seat["staff"]:
            relay.delayed.add(self.conn_id)
        return Member(id=seat["id"], name=seat["name"], role=seat["role"], identity=req.identity,
                      conn=req.conn, address=req.address, user_id=req.user_id, staff=seat["staff"],
                      resume_token=seat["resume"])

    def submit_leave(self, member_id: int, conn: object = None) -> None:
        self.mail.post(self.owner, ["leave", self.code, self.mail.channel, self.conn_id, member_id])
        asyncio.get_running_loop().create_task(self.relays.drop(self.code, self.conn_id))

    def submit_input(self, member: Member, input_seq: int, cleaned: Any, raw: Any = None) -> str | None:
        """Forward an input as the client sent it (checked here already; the owner parses it
        again, as a cleaned input need not survive msgpack); a refusal comes back from the
        owner as an error frame."""
        self.mail.post(self.owner, ["input", self.code, member.id, input_seq, raw])
        return None

    def submit_command(self, member_id: int, kind: str, fields: dict) -> bool:
        self.mail.post(self.owner, ["cmd", self.code, member_id, kind, fields])
        return True

    def submit_staff_command(self, kind: str, fields: dict, *, actor: str) -> bool:
        """A staff command (the dashboard's kick or close) for the owner's loop (Guests.on_staff)."""
        self.mail.post(self.owner, ["staff", self.code, kind, fields, actor])
        return True

    def is_admin(self, member: Member) -> bool:
        """Unknown here: the owner's lobby checks host commands and refuses with `forbidden`."""
        return True


def _refusal(data: bytes) -> tuple[str, Any] | None:
    """``(code, ref)`` of an error frame, None for any other frame."""
    try:
        frame = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:
        return None
    if not isinstance(frame, dict) or frame.get("k") != "error":
        return None
    return str(frame.get("code")), frame.get("ref")
