"""The fixed-timestep tick loop: one asyncio task per lobby.

Each tick, in order: apply queued joins, leaves and commands; advance the phase
(countdown, playing); apply queued inputs and step the game by exactly ``1/tick_rate``
seconds; then hand the tick's frames out without awaiting anyone: state frames go
straight into the outboxes of the lobby's connections (encoded once for all), lobby
and event frames go to `LoopHooks.publish` (the channel-layer group), finished matches
to `LoopHooks.save_match`.

Deadlines are ``start + n * period`` on a monotonic clock, so sleeping never adds up to
drift. A tick that ends after the next deadline is an overrun: counted and logged;
when the loop falls more than ``max_catchup_ticks`` behind it skips ahead and counts
the skipped ticks instead of running a burst.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Protocol

from game import protocol
from game.engine.commands import handle as handle_command
from game.engine.errors import CommandError, JoinRefused
from game.engine.lobby import JoinRequest, Lobby, Member, NullConnection
from game.engine.broadcast import StateBroadcast
from game.engine.delayed import DelayedFeed
from game.engine.match import MatchPhases
from game.engine.outside import OUTSIDE_ID
from game.engine.stats import LoopStats
from game.rules.base import Game

log = logging.getLogger("game.loop")


# Where the frames of a player who dropped go while their seat waits: nowhere.
DETACHED = NullConnection()


class Clock(Protocol):
    def now(self) -> float: ...
    def wall_ms(self) -> int: ...
    async def sleep_until(self, deadline: float) -> None: ...


class LoopHooks(Protocol):
    """What the loop needs from the outside world; none of it may block."""

    def publish(self, code: str, data: bytes) -> None:
        """Deliver an event/lobby frame to every member of lobby ``code``."""

    def save_match(self, record: dict[str, Any]) -> None:
        """Persist a finished or aborted match (idempotent by ``record["match_id"]``)."""

    def lobby_closed(self, code: str) -> None:
        """The loop of lobby ``code`` has ended."""

    def lobby_changed(self, loop: LobbyLoop) -> None:
        """The lobby's membership, settings or phase changed (a cluster saves its state)."""

    def relay_state(self, code: str, epoch: int, tick: int, delta: bytes | None, full: bytes | None, *,
                    delayed: bool = False, ddelta: bytes | None = None, dfull: bytes | None = None) -> None:
        """Deliver this tick's state to members connected to other processes (cluster only);
        ``delayed``: the lobby delays its spectators, who get ``ddelta``/``dfull`` instead."""

    def lobby_abandoned(self, loop: LobbyLoop) -> None:
        """The loop stopped without closing its lobby: its lease was lost or handed over."""


class LobbyLoop(MatchPhases, StateBroadcast):
    """Owns one lobby and its match; every change to them happens in `step_tick`."""

    def __init__(self, lobby: Lobby, *, clock: Clock, hooks: LoopHooks, countdown_s: float = 3.0,
                 keyframe_interval_s: float = 1.0, empty_ttl_s: float = 60.0,
                 max_commands: int = 256, max_pending_inputs: int = 8, max_catchup_ticks: int = 5,
                 grace_s: float = 20.0):
        self.lobby = lobby
        self.clock = clock
        self.hooks = hooks
        self.countdown_s = countdown_s
        self.keyframe_interval_s = keyframe_interval_s
        self.empty_ttl_s = empty_ttl_s
        self.max_commands = max_commands
        self.max_pending_inputs = max_pending_inputs
        self.max_catchup_ticks = max_catchup_ticks
        self.grace_s = grace_s
        self.control: deque[tuple[str, Any]] = deque()  # joins and leaves, bounded by connections
        self.commands: deque[tuple[int, str, dict]] = deque()
        self.inputs: deque[tuple[int, int, Any]] = deque()
        self.tick = 0
        self.stats = LoopStats()
        self.game: Game | None = None
        self.match_id: str | None = None
        self.match_saved = True
        self.roster: dict[int, Member] = {}
        self.countdown_left = 0.0
        self.prev_snapshot: dict | None = None
        self.game_events: list[dict] = []
        self.last_full_tick = 0
        self.empty_for = 0.0
        self.match_started_ms = 0.0
        self.match_ticks = 0
        self.task: asyncio.Task | None = None
        # Cluster ownership (game.cluster): the lease's epoch, stamped on relayed frames and
        # saved records; the time the lease runs out unless renewed; why the loop gave up.
        self.epoch = 0
        self.lease_deadline: float | None = None
        self.abandoned: str | None = None
        self.relay_full_wanted = False
        self.delayed = DelayedFeed()  # spectators' late view, when the lobby sets spectator_delay
        self.delayed_match: str | None = None
        lobby.on_start = self._begin_match

    # -- what a consumer asks of its lobby (game.cluster.remote.RemoteLobby answers the same) --
    @property
    def game_cls(self) -> type[Game]:
        return self.lobby.game_cls

    @property
    def tick_rate_hz(self) -> int:
        return self.lobby.tick_rate_hz

    def is_admin(self, member: Member) -> bool:
        return self.lobby.is_admin(member)

    # -- called by consumers (never blocks, never awaits) ---------------------------------
    def submit_join(self, req: JoinRequest) -> asyncio.Future:
        """Queue a join; the future resolves to the Member or fails with JoinRefused."""
        future = asyncio.get_running_loop().create_future()
        if self.lobby.phase == "closed":
            future.set_exception(JoinRefused("lobby_closed"))
        else:
            self.control.append(("join", (req, future)))
        return future

    def submit_leave(self, member_id: int, conn: object = None) -> None:
        """Queue the end of a connection (``conn``: which one, as a seat may have moved on)."""
        self.control.append(("leave", (member_id, conn)))

    def submit_command(self, member_id: int, kind: str, fields: dict) -> bool:
        """Queue a lobby command; False when the lobby's command queue is full."""
        if len(self.commands) >= self.max_commands:
            return False
        self.commands.append((member_id, kind, fields))
        return True

    def submit_staff_command(self, kind: str, fields: dict, *, actor: str) -> bool:
        """Queue a command from outside the lobby's members, with staff rights: ``kick`` and
        ``close`` from the staff dashboard, ``start_reserved`` from the matchmaker
        (game.engine.outside); ``actor`` names who acted, for the log. False when the lobby's
        command queue is full."""
        if len(self.commands) >= self.max_commands:
            return False
        self.commands.append((OUTSIDE_ID, kind, {**fields, "actor": actor}))
        return True

    def submit_input(self, member: Member, seq: int, cleaned: Any, raw: Any = None) -> str | None:
        """Queue a cleaned input for the next tick; returns an error code when refused.
        (``raw``, the input as the client sent it, is for `RemoteLobby`, which forwards it.)"""
        if not member.in_match or self.lobby.phase not in ("countdown", "playing"):
            return "not_in_match"
        if member.pending_inputs >= self.max_pending_inputs:
            return "overloaded"
        member.pending_inputs += 1
        self.inputs.append((member.id, seq, cleaned))
        return None

    def abandon(self, reason: str) -> None:
        """Stop ticking at once, leaving the lobby open for another owner (cluster only)."""
        if self.abandoned is None:
            self.abandoned = reason

    def match_info(self) -> dict[str, Any] | None:
        """The match being counted down or played, as the cluster's lobby state keeps it."""
        if self.game is None or self.match_saved or self.lobby.phase not in ("countdown", "playing"):
            return None
        return {"id": self.match_id, "seed": self.game.seed, "started_ms": self.match_started_ms,
                "settings": dict(self.lobby.settings), "tick_rate": self.lobby.tick_rate_hz,
                "roster": [{"id": m.id, "name": m.name, "identity": m.identity, "user_id": m.user_id}
                           for m in self.roster.values()]}

    # -- the task ----------------------------------------------------------------------
    def start(self) -> asyncio.Task:
        self.task = asyncio.get_running_loop().create_task(self.run(), name=f"lobby-{self.lobby.code}")
        return self.task

    async def run(self) -> None:
        """Tick until the lobby closes (or the task is cancelled)."""
        try:
            rate = self.lobby.tick_rate_hz
            start, n = self.clock.now(), 0
            while self.lobby.phase != "closed" and self.abandoned is None:
                if rate != self.lobby.tick_rate_hz:  # changed in settings: new timeline
                    rate, start, n = self.lobby.tick_rate_hz, self.clock.now(), 0
                period = 1.0 / rate
                n += 1
                deadline = start + n * period
                await self.clock.sleep_until(deadline)
                began = self.clock.now()
                if self.lease_deadline is not None and began > self.lease_deadline:
                    self.abandon("lease_expired")  # not renewed in time: another process may own it
                    break
                self.step_tick(period)
                ended = self.clock.now()
                self.stats.record(ended - began, ended - deadline - period)
                if ended > deadline + period:
                    n += self._overrun(ended, deadline, period)
        except asyncio.CancelledError:
            self.lobby.close("shutdown")
            raise
        except Exception:
            log.exception("lobby %s loop crashed", self.lobby.code)
            self.lobby.close("server_error")
        finally:
            self._finish_loop()

    def _overrun(self, ended: float, deadline: float, period: float) -> int:
        """Count an overrun; returns the ticks to skip when hopelessly behind."""
        self.stats.overruns += 1
        behind = int((ended - deadline) / period)
        if self.stats.overruns in (1, 10, 100) or self.stats.overruns % 1000 == 0:
            log.warning("lobby %s: tick %d overran by %.1f ms (%d overruns)", self.lobby.code,
                        self.tick, (ended - deadline - period) * 1000, self.stats.overruns)
        if behind > self.max_catchup_ticks:
            self.stats.skipped_ticks += behind
            return behind
        return 0

    def _finish_loop(self) -> None:
        if self.abandoned is not None:
            self._finish_abandoned()
            return
        closing = self._closing_events()  # match_over of a match cut short, then lobby_closed
        self._flush()
        for member in list(self.lobby.members.values()):
            member.conn.push_event(self._events_frame(closing))
            member.conn.close(protocol.CLOSE["lobby_closed"])
        while self.control:
            op, arg = self.control.popleft()
            if op == "join":
                arg[1].cancelled() or arg[1].done() or arg[1].set_exception(JoinRefused("lobby_closed"))
        self.hooks.lobby_closed(self.lobby.code)

    def _finish_abandoned(self) -> None:
        """The lobby lives on elsewhere: keep its members' connections for the cluster to
        move (`LoopHooks.lobby_abandoned`), record a match that was played as aborted (the
        next owner records the same match id, so one row is kept either way)."""
        if self.game is not None and not self.match_saved:
            if self.match_started_ms:
                self._end_match("aborted", self.abandoned, announce=False)
            self.match_saved = True
            if self.lobby.phase in ("countdown", "playing"):
                self.lobby.phase = "waiting" if not self.match_started_ms else "finished"
        while self.control:
            op, arg = self.control.popleft()
            if op == "join":
                arg[1].cancelled() or arg[1].done() or arg[1].set_exception(JoinRefused("moved"))
        self.hooks.lobby_abandoned(self)

    # -- one tick ----------------------------------------------------------------------
    def step_tick(self, dt: float) -> None:
        self.tick += 1
        self._apply_control()
        self._release_absent(dt)
        self._apply_commands()
        if self.lobby.phase == "countdown":
            self._count_down(dt)
        if self.bot_driver is not None:
            self.bot_driver.step(dt)  # bots' inputs join the queue before _play applies it
        if self.lobby.phase == "playing":
            self._play(dt)
        else:
            self._discard_inputs()
        self._watch_empty(dt)
        self._flush()

    def _apply_control(self) -> None:
        while self.control:
            op, arg = self.control.popleft()
            if op == "join":
                self._join(*arg)
            else:
                self._leave(*arg)

    def _join(self, req: JoinRequest, future: asyncio.Future) -> None:
        """Seat one joining connection; a fault here refuses that connection alone
        (``server_error``): nothing one client sends may end the lobby for the others."""
        if future.done():  # the connection gave up waiting
            return
        try:
            self._seat(req, future)
        except Exception:
            log.exception("lobby %s: join refused after a fault", self.lobby.code)
            if not future.done():
                future.set_exception(JoinRefused("server_error"))

    def _seat(self, req: JoinRequest, future: asyncio.Future) -> None:
        member = self.lobby.by_token(req.resume) if req.resume else None
        if member is not None:
            if member.connected:
                member.conn.close(protocol.CLOSE["replaced"])
            self.lobby.reattach(member, req.conn)
            self._resumed(member)
        else:
            try:
                member = self.lobby.join(req)
            except JoinRefused as exc:
                future.set_exception(exc)
                return
        req.conn.push_event(protocol.encode_welcome(
            you=member.id, role=member.role, host=member.id == self.lobby.host_id,
            staff=member.staff, lobby=self.lobby.state(), tick_rate=self.lobby.tick_rate_hz,
            time=self.clock.wall_ms(), resume=member.resume_token, resumed=req.resume is not None
            and member.resume_token == req.resume))
        req.conn.needs_full = True
        future.set_result(member)

    def _leave(self, member_id: int, conn: object = None) -> None:
        """A connection closed: a player keeps the seat for ``grace_s``; others leave now."""
        member = self.lobby.members.get(member_id)
        if member is None or (conn is not None and member.conn is not conn):
            return  # gone already, or the seat was resumed on a newer connection
        if member.role == "player" and self.grace_s > 0 and self.lobby.phase != "closed":
            self.lobby.detach(member, DETACHED, self.grace_s)
            if member.in_match and self.game is not None:
                self.game.apply_input(member.id, self.lobby.game_cls.neutral_input())  # let go of the keys
                self.recorder.input(self.match_ticks, member.id, self.lobby.game_cls.neutral_input())
            return
        self._remove(member_id)

    def _remove(self, member_id: int) -> None:
        member = self.lobby.remove(member_id)
        if member is not None and member.in_match and self.game is not None:
            member.in_match = False
            self.game.remove_player(member_id)
            self.recorder.removed(self.match_ticks, member_id)

    def _release_absent(self, dt: float) -> None:
        """Give up the seats of players away for longer than the grace period."""
        for member in [m for m in self.lobby.members.values() if not m.connected]:
            member.away_for += dt
            if member.away_for >= self.grace_s:
                self._remove(member.id)

    def _apply_commands(self) -> None:
        while self.commands:
            member_id, kind, fields = self.commands.popleft()
            try:
                handle_command(self.lobby, member_id, kind, fields)
            except CommandError as exc:
                self._tell_error(member_id, exc.code, exc.msg, kind)
            except Exception:  # a fault for one sender's command must not end the lobby
                log.exception("lobby %s: %s from member %s failed", self.lobby.code, kind, member_id)
                self._tell_error(member_id, "server_error", protocol.ERRORS["server_error"], kind)

    def _tell_error(self, member_id: int, code: str, msg: str, kind: str) -> None:
        member = self.lobby.members.get(member_id)
        if member is not None:
            member.conn.push_event(protocol.encode_error(code=code, msg=msg, ref=kind))

    def _discard_inputs(self) -> None:
        while self.inputs:
            member = self.lobby.members.get(self.inputs.popleft()[0])
            if member is not None:
                member.pending_inputs -= 1

    def _watch_empty(self, dt: float) -> None:
        self.empty_for = self.empty_for + dt if not self.lobby.members else 0.0
        if self.empty_for >= self.empty_ttl_s:
            self.lobby.close("empty")

    # -- frames out --------------------------------------------------------------------
    def _events_frame(self, events: list[dict]) -> bytes:
        return protocol.encode_events(tick=self.tick, time=self.clock.wall_ms(), events=events)

    def _flush(self) -> None:
        lobby = self.lobby
        for victim, event, code in lobby.evictions:
            if victim.in_match and self.game is not None:  # a kicked player forfeits the match
                victim.in_match = False
                self.game.remove_player(victim.id)
                self.recorder.removed(self.match_ticks, victim.id)
            victim.conn.push_event(self._events_frame([event]))
            victim.conn.close(code)
        lobby.evictions.clear()
        if lobby.changed:
            lobby.changed = False
            self.hooks.publish(lobby.code, protocol.encode_lobby(lobby=lobby.state(), time=self.clock.wall_ms()))
            self.hooks.lobby_changed(self)
        if lobby.events:
            events = [e for e in lobby.events if e.get("type") != "lobby_closed"]
            lobby.events = []
            if events:
                self.hooks.publish(lobby.code, self._events_frame(events))
        if lobby.phase in ("countdown", "playing"):
            self._broadcast_state()
        elif self.delayed.pending:
            self._play_out_delayed()
