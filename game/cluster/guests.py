"""The owner's side of members whose websocket is on another process ("guests").

A `RemoteConn` stands for one of them in the owner's loop (a loop `Connection`). The loop
hands it the member's own frames (welcome, errors, evictions), which go to that process
through the node's mail; it never gets state frames one by one: each tick the loop relays one
state frame for all of them (`LoopHooks.relay_state`). A game with per-player views relays
each view once instead, with the view each member sees; `Guests.relay_views` sends each
process one message holding only the views its members see and which member sees which
(game.cluster.remote hands each socket its own), so a view hidden from a process's members
never reaches that process.

Inputs cross in bursts: what a member's process posted while its event loop was busy or a
publish was slow leaves in one batch, and the owner hands a batch to its loop between two
ticks. The loop keeps at most a few inputs pending per player (it applies them each tick), so a
burst of inputs sent one a tick would be refused as ``overloaded``; the owner's `RemoteConn`
holds what the loop has no room for and feeds it in at the next ticks, in order. Only more than
the member's process itself lets through (its input bucket's burst) is refused.

`Guests` answers the messages members' processes send the owner (``join``, ``leave``,
``abort``, ``input``, ``cmd``, ``full``), each called by the node's receiver.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from django.conf import settings

from game import protocol
from game.cluster.mail import STATE_TYPE, Mailbox
from game.cluster.ownership import Ownership
from game.engine.errors import JoinRefused
from game.engine.lobby import JoinRequest, Member
from game.engine.loop import LobbyLoop
from game.limits import input_allowance
from game.rules.base import InvalidInput

log = logging.getLogger("game.cluster")


class RemoteConn:
    """The owner's side of a member connected to another process (a loop `Connection`)."""

    relayed = True

    def __init__(self, mail: Mailbox, channel: str, conn_id: int, code: str) -> None:
        self.mail = mail
        self.channel = channel
        self.conn_id = conn_id
        self.code = code
        self.member_id: int | None = None  # set once the join went through
        self.needs_full = True
        self.closed = False
        self.held: deque[tuple[int, Any]] = deque()  # inputs waiting for room in the loop

    def push_event(self, data: bytes) -> None:
        if not self.closed:
            self.mail.post(self.channel, ["deliver", self.conn_id, data])

    def refuse(self, code: str, ref: str, msg: str | None = None) -> None:
        """An error frame for this member (its process lets through one per code and kind a
        second, and closes the socket for too many: `game.cluster.remote.Relay.deliver`)."""
        self.push_event(protocol.encode_error(code=code, msg=msg or protocol.ERRORS[code], ref=ref))

    def take_input(self, loop: LobbyLoop, member: Member, input_seq: int, cleaned: Any) -> None:
        """An input from the member's process: to the loop, behind any held ones; held while
        the loop has no room (see the module's docstring), refused past what its process lets
        through in a burst."""
        self.held.append((input_seq, cleaned))
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
            self.mail.post(self.channel, ["close", self.conn_id, code])


class Guests:
    """The members of this process's lobbies connected through other processes."""

    def __init__(self, mail: Mailbox, ownership: Ownership) -> None:
        self.mail = mail
        self.ownership = ownership
        self.conns: dict[tuple[str, int], RemoteConn] = {}  # (their node, their conn id) -> conn
        self.aborted_joins: set[tuple[str, int]] = set()
        self.holding: dict[str, set[RemoteConn]] = {}  # lobby code -> remote members with held inputs

    # -- the messages members' processes send ------------------------------------------
    def on_join(self, code: str, reply: str, conn_id: int, fields: dict[str, Any]) -> None:
        loop = self.ownership.owned_loop(code)
        if loop is None:
            self.mail.post(reply, ["refused", conn_id, "moved"])
            return
        conn = RemoteConn(self.mail, reply, conn_id, code)
        known = set(JoinRequest.__dataclass_fields__) - {"conn"}
        future = loop.submit_join(JoinRequest(conn=conn, **{k: v for k, v in fields.items() if k in known}))
        future.add_done_callback(lambda done: self._answered(done, conn))

    def _answered(self, done: asyncio.Future, conn: RemoteConn) -> None:
        """The owner's loop seated the member (or refused it): tell the member's process."""
        key = (conn.channel, conn.conn_id)
        gave_up = key in self.aborted_joins
        self.aborted_joins.discard(key)
        if done.cancelled() or done.exception() is not None:
            refusal = "server_error" if done.cancelled() else refusal_name(done.exception())
            self.mail.post(conn.channel, ["refused", conn.conn_id, refusal])
            return
        member = done.result()
        conn.member_id = member.id
        if gave_up:  # the connection gave up meanwhile
            self.leave(conn)
            return
        self.conns[key] = conn
        self.mail.post(conn.channel, ["joined", conn.conn_id, {
            "id": member.id, "name": member.name, "role": member.role, "staff": member.staff,
            "resume": member.resume_token}])

    def on_leave(self, code: str, reply: str, conn_id: int, member_id: int) -> None:
        conn = self.conns.pop((reply, conn_id), None)
        if conn is not None:
            self.leave(conn)

    def on_abort(self, code: str, reply: str, conn_id: int) -> None:
        """A join the connection gave up on: undo it if it went through, or when it does."""
        conn = self.conns.pop((reply, conn_id), None)
        if conn is not None:
            self.leave(conn)
        elif self.ownership.owned_loop(code) is not None:
            self.aborted_joins.add((reply, conn_id))

    def on_input(self, code: str, member_id: int, input_seq: int, raw: Any) -> None:
        loop = self.ownership.owned_loop(code)
        member = loop.lobby.members.get(member_id) if loop is not None else None
        if member is None or not member.conn.relayed:
            return
        try:
            cleaned = loop.game_cls.parse_input(raw)
        except InvalidInput as exc:  # the member's process checked it: only a bug lands here
            member.conn.refuse("bad_field", "input", str(exc))
            return
        member.conn.take_input(loop, member, input_seq, cleaned)
        if member.conn.held:
            self.holding.setdefault(code, set()).add(member.conn)

    def on_cmd(self, code: str, member_id: int, kind: str, fields: dict) -> None:
        loop = self.ownership.owned_loop(code)
        member = loop.lobby.members.get(member_id) if loop is not None else None
        if member is None or not member.conn.relayed:
            return
        if protocol.required_role(kind) == "host" and not loop.lobby.is_admin(member):
            member.conn.refuse("forbidden", kind, f"only the host or staff may {kind}")
        elif not loop.submit_command(member_id, kind, fields):
            member.conn.refuse("overloaded", kind)

    def on_staff(self, code: str, kind: str, fields: dict, actor: str) -> None:
        """Staff acting from a dashboard on another process (`RemoteLobby.submit_staff_command`)."""
        loop = self.ownership.owned_loop(code)
        if loop is None:
            log.warning("staff %s: %s for lobby %s, which no longer runs here", actor, kind, code)
        elif not loop.submit_staff_command(kind, fields, actor=actor):
            log.warning("staff %s: %s for lobby %s refused (its command queue is full)", actor, kind, code)

    def on_full(self, code: str) -> None:
        loop = self.ownership.owned_loop(code)
        if loop is not None:  # the feed of a game with views or turns, else the shared one
            (loop.views or loop.broadcaster).relay_full_wanted = True

    # -- state frames of a game with per-player views ------------------------------------
    def relay_views(self, code: str, epoch: int, tick: int, views: dict[Any, tuple], seats: list[tuple[Any, Any]],
                    loop: LobbyLoop | None) -> int:
        """Called with each tick's relayed views (`LoopHooks.relay_state`; each view's
        (delta, full, base, tick): `game.engine.views.ViewFeed`): send each process with
        members of the lobby one message with the frames of the views they see (each once,
        whatever their number there) and, per member, which of them is theirs. Returns the
        messages sent. Like `Node.relay_state`, feeds the lobby's held inputs."""
        if code in self.holding:
            self.feed_held(code, loop)
        nodes: dict[str, tuple[dict[Any, int], list[list[int]]]] = {}
        for conn, key in seats:
            if conn.closed or key not in views:
                continue  # gone, or its view has nothing new
            index, members = nodes.setdefault(conn.channel, ({}, []))
            members.append([conn.conn_id, index.setdefault(key, len(index))])
        for channel, (index, members) in nodes.items():
            self.mail.send_state(channel, {"type": STATE_TYPE, "code": code, "epoch": epoch, "tick": tick,
                                           "views": [list(views[key]) for key in index], "seats": members})
        return len(nodes)

    # -- kept by the node ----------------------------------------------------------------
    def leave(self, conn: RemoteConn) -> None:
        """The member's connection is gone: the owner's loop keeps the seat for the grace."""
        conn.closed = True
        conn.held.clear()
        loop = self.ownership.owned_loop(conn.code)
        if loop is not None and conn.member_id is not None:
            loop.submit_leave(conn.member_id, conn)

    def feed_held(self, code: str, loop: LobbyLoop | None) -> None:
        """Called with each tick's relayed state: feed the lobby's held inputs to its loop."""
        for conn in self.holding.pop(code, ()):
            member = loop.lobby.members.get(conn.member_id) if loop is not None else None
            if member is None or member.conn is not conn:
                conn.held.clear()  # left, or resumed on another connection
                continue
            conn.feed(loop, member)
            if conn.held:
                self.holding.setdefault(code, set()).add(conn)

    def lobby_closed(self, code: str) -> None:
        """The lobby closed: its held inputs have nowhere to go (its guests' leaves still come)."""
        self.holding.pop(code, None)

    def forget_lobby(self, code: str) -> None:
        """The lobby has left this process: its guests are no longer ours to answer."""
        self.holding.pop(code, None)
        for key, conn in list(self.conns.items()):
            if conn.code == code:
                del self.conns[key]

    def nodes(self) -> list[str]:
        """The processes our guests are connected through."""
        return sorted({channel for channel, _ in self.conns})

    def node_gone(self, node: str) -> None:
        """A process through which guests were connected died: their seats wait for them."""
        for key in [k for k in self.conns if k[0] == node]:
            self.leave(self.conns.pop(key))


def refusal_name(exc: BaseException) -> str:
    return exc.close if isinstance(exc, JoinRefused) else "server_error"
