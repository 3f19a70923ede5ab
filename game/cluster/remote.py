"""Members and lobbies across processes.

On the owner: a `RemoteConn` stands for a member whose websocket is on another process. The
loop hands it the member's own frames (welcome, errors, evictions), which go to that process
through the channel layer; it never gets state frames one by one: each tick the loop relays
one state frame for all of them (`LoopHooks.relay_state`).

On the other processes: a `RemoteLobby` is the consumer's handle on a lobby owned elsewhere
(the same calls as a local `LobbyLoop`), and a `Relay` hands each relayed state frame to the
outboxes of the lobby's members connected here, and each member's own frames to its outbox —
error frames through the socket's `ErrorBudget`, as a local lobby's refusals go.

Inputs cross in bursts: what a member's process posted while its event loop was busy or a
publish was slow leaves in one batch, and the owner hands a batch to its loop between two
ticks. The loop keeps at most a few inputs pending per player (it applies them each tick), so a
burst of inputs sent one a tick would be refused as ``overloaded``; the owner's `RemoteConn`
holds what the loop has no room for and feeds it in at the next ticks, in order. Only more than
the member's process itself lets through (its input bucket's burst) is refused.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

import msgpack
from django.conf import settings

from game import protocol
from game.engine.errors import JoinRefused
from game.engine.lobby import JoinRequest, Member
from game.limits import ErrorBudget, input_allowance

if TYPE_CHECKING:
    from game.cluster.node import Node
    from game.engine.loop import LobbyLoop

log = logging.getLogger("game.cluster")

_conn_ids = itertools.count(1)


def relay_group(code: str) -> str:
    """The group of the nodes that relay lobby ``code``'s state frames to local members."""
    return f"relay.{code}"


class RemoteConn:
    """The owner's side of a member connected to another process (a loop `Connection`)."""

    relayed = True

    def __init__(self, node: Node, channel: str, conn_id: int, code: str) -> None:
        self.node = node
        self.channel = channel
        self.conn_id = conn_id
        self.code = code
        self.member_id: int | None = None  # set once the join went through
        self.needs_full = True
        self.closed = False
        self.held: deque[tuple[int, Any]] = deque()  # inputs waiting for room in the loop

    def leave(self) -> None:
        """The member's connection is gone: the owner's loop keeps the seat for the grace."""
        self.closed = True
        self.held.clear()
        loop = self.node._owned_loop(self.code)
        if loop is not None and self.member_id is not None:
            loop.submit_leave(self.member_id, self)

    def push_event(self, data: bytes) -> None:
        if not self.closed:
            self.node.post(self.channel, ["deliver", self.conn_id, data])

    def refuse(self, code: str, ref: str, msg: str | None = None) -> None:
        """An error frame for this member (its process lets through one per code and kind a
        second, and closes the socket for too many: `Relay.deliver`)."""
        self.push_event(protocol.encode_error(code=code, msg=msg or protocol.ERRORS[code], ref=ref))

    def take_input(self, loop: LobbyLoop, member: Member, seq: int, cleaned: Any) -> None:
        """An input from the member's process: to the loop, behind any held ones; held while
        the loop has no room (see the module's docstring), refused past what its process lets
        through in a burst."""
        self.held.append((seq, cleaned))
        self.feed(loop, member)
        if self.held and len(self.held) > input_allowance(loop.tick_rate_hz, settings.GAME["RATE_LIMITS"])[1]:
            self.held.pop()
            self.refuse("overloaded", "input")

    def feed(self, loop: LobbyLoop, member: Member) -> None:
        """Hand held inputs to the loop, oldest first, while it has room."""
        while self.held:
            error = loop.submit_input(member, *self.held[0])
            if error == "overloaded":
                return
            self.held.popleft()
            if error:
                self.refuse(error, "input")

    def push_state(self, data: bytes, *, full: bool) -> None:
        """Unused: state reaches remote members through the lobby's relay, once per process."""

    def close(self, code: int) -> None:
        if not self.closed:
            self.closed = True
            self.node.post(self.channel, ["close", self.conn_id, code])


class Relay:
    """The members of one remotely owned lobby connected to this process."""

    def __init__(self, node: Node, code: str, owner: str, epoch: int) -> None:
        self.node = node
        self.code = code
        self.owner = owner
        self.epoch = epoch
        self.outboxes: dict[int, Any] = {}
        self.budgets: dict[int, ErrorBudget] = {}  # each socket's, for the error frames the owner sends it
        self.delayed: set[int] = set()  # connections of spectators (who see a delayed feed if the lobby has one)
        self.full_asked_tick = -1

    def state(self, message: dict[str, Any]) -> None:
        """A relayed state frame: hand it to each local outbox (newest epoch only). Spectators
        of a lobby that delays them get the delayed frames instead (`game.engine.delayed`)."""
        if message["epoch"] < self.epoch:
            return  # from an owner that has been replaced
        live = (message["delta"], message["full"])
        late = (message.get("ddelta"), message.get("dfull")) if message.get("delayed") else None
        want_full = False
        for conn_id, outbox in self.outboxes.items():
            delta, full = late if late is not None and conn_id in self.delayed else live
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
            self.node.post(self.owner, ["full", self.code])

    def add(self, conn_id: int, outbox: Any, budget: ErrorBudget) -> None:
        self.outboxes[conn_id] = outbox
        self.budgets[conn_id] = budget
        self.node.conn_relay[conn_id] = self

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
        if self.node.conn_relay.get(conn_id) is self:
            del self.node.conn_relay[conn_id]

    def move_all(self, close_code: int) -> None:
        """The owner is gone or changed: close every local member's socket so that its
        client reconnects (and resumes its seat with whichever process owns the lobby)."""
        for conn_id, outbox in list(self.outboxes.items()):
            outbox.close(close_code)
            self.discard(conn_id)


class RemoteLobby:
    """A consumer's handle on a lobby owned by another process (one per connection)."""

    def __init__(self, node: Node, code: str, owner: str, epoch: int, game_cls, tick_rate_hz: int) -> None:
        self.node = node
        self.code = code
        self.owner = owner
        self.epoch = epoch
        self.game_cls = game_cls
        self.tick_rate_hz = tick_rate_hz
        self.conn_id = next(_conn_ids)

    async def submit_join(self, req: JoinRequest) -> Member:
        relay = await self.node.relay_for(self.code, self.owner, self.epoch)
        relay.add(self.conn_id, req.conn, ErrorBudget(settings.GAME["ERROR_BUDGET"], settings.GAME["ERROR_WINDOW_S"]))
        future = asyncio.get_running_loop().create_future()
        self.node.pending_joins[self.conn_id] = future
        fields = {name: getattr(req, name) for name in JoinRequest.__dataclass_fields__ if name != "conn"}
        self.node.post(self.owner, ["join", self.code, self.node.channel, self.conn_id, fields])
        try:
            seat = await future
        except BaseException:  # refused, or given up on (the socket closed, a timeout)
            self.node.pending_joins.pop(self.conn_id, None)
            self.node.post(self.owner, ["abort", self.code, self.node.channel, self.conn_id])
            await self.node.relay_drop(self.code, self.conn_id)
            raise
        if seat["role"] == "spectator" and not seat["staff"]:
            relay.delayed.add(self.conn_id)
        return Member(id=seat["id"], name=seat["name"], role=seat["role"], identity=req.identity,
                      conn=req.conn, address=req.address, user_id=req.user_id, staff=seat["staff"],
                      resume_token=seat["resume"])

    def submit_leave(self, member_id: int, conn: object = None) -> None:
        self.node.post(self.owner, ["leave", self.code, self.node.channel, self.conn_id, member_id])
        self.node.loop.create_task(self.node.relay_drop(self.code, self.conn_id))

    def submit_input(self, member: Member, seq: int, cleaned: Any, raw: Any = None) -> str | None:
        """Forward an input as the client sent it (checked here already; the owner parses it
        again, as a cleaned input need not survive msgpack); a refusal comes back from the
        owner as an error frame."""
        self.node.post(self.owner, ["input", self.code, member.id, seq, raw])
        return None

    def submit_command(self, member_id: int, kind: str, fields: dict) -> bool:
        self.node.post(self.owner, ["cmd", self.code, member_id, kind, fields])
        return True

    def is_admin(self, member: Member) -> bool:
        """Unknown here: the owner's lobby checks host commands and refuses with `forbidden`."""
        return True


def join_request_from(fields: dict[str, Any], conn: RemoteConn) -> JoinRequest:
    known = set(JoinRequest.__dataclass_fields__) - {"conn"}
    return JoinRequest(conn=conn, **{k: v for k, v in fields.items() if k in known})


def refusal_name(exc: BaseException) -> str:
    return exc.close if isinstance(exc, JoinRefused) else "server_error"


def _refusal(data: bytes) -> tuple[str, Any] | None:
    """``(code, ref)`` of an error frame, None for any other frame."""
    try:
        frame = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:
        return None
    if not isinstance(frame, dict) or frame.get("k") != "error":
        return None
    return str(frame.get("code")), frame.get("ref")
