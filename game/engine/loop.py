"""A lobby's tick loop: what one tick does, and how the loop ends.

Each tick, in order: apply queued joins, leaves and commands; advance the phase
(countdown, playing); apply queued inputs and step the game by exactly ``1/tick_rate``
seconds; then hand the tick's frames out without awaiting anyone: state frames through the
lobby's `Broadcaster` (game.engine.broadcast), lobby and event frames to `LoopHooks.publish`
(the channel-layer group), finished matches to `LoopHooks.save_match`. The match itself —
its game, roster, replay log and bots — is a `Match` (game.engine.match).

The ticks of every lobby of the process are run by one scheduler (game.engine.scheduler):
a fixed timestep per lobby (deadlines ``start + n * period`` on a monotonic clock, so nothing
drifts), overruns counted, a loop hopelessly behind skipping ahead. The game steps at the tick
rate (the simulation rate); state frames leave on every k-th step when the lobby's
``broadcast_rate`` is k times lower (Colyseus' simulation interval and patch rate); lobby and
event frames at the end of any tick that has some.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from game import protocol
from game.engine.broadcast import Broadcaster, events_frame
from game.engine.clock import Clock
from game.engine.commands import handle as handle_command
from game.engine.errors import CommandError, JoinRefused
from game.engine.lobby import JoinRequest, Lobby, Member, NullConnection
from game.engine.match import Match
from game.engine.queues import LobbyQueues
from game.engine.scheduler import LoopHandle, scheduler_for
from game.engine.settings import broadcast_rate_hz
from game.engine.stats import LoopStats
from game.engine.turns import TurnPacing
from game.engine.views import ViewFeed

log = logging.getLogger("game.loop")


# Where the frames of a player who dropped go while their seat waits: nowhere.
DETACHED = NullConnection()


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
                    delayed: bool = False, ddelta: bytes | None = None, dfull: bytes | None = None,
                    views: dict | None = None, seats: list | None = None) -> None:
        """Deliver this tick's state to members connected to other processes (cluster only);
        ``delayed``: the lobby delays its spectators, who get ``ddelta``/``dfull`` instead.
        A game with per-player views passes ``views`` (view key -> its (delta, full)) and
        ``seats`` ((connection, view key) of each relayed member) instead
        (`game.engine.views.ViewFeed`): each member gets only its own view's frames."""

    def lobby_abandoned(self, loop: LobbyLoop) -> None:
        """The loop stopped without closing its lobby: its lease was lost or handed over."""


class LobbyLoop(LobbyQueues):
    """Owns one lobby and its match; every change to them happens in `step_tick`, which
    empties the queues connections fill (`LobbyQueues`, the lobby's handle)."""

    def __init__(self, lobby: Lobby, *, clock: Clock, hooks: LoopHooks, countdown_s: float = 3.0,
                 keyframe_interval_s: float = 1.0, empty_ttl_s: float = 60.0,
                 max_commands: int = 256, max_pending_inputs: int = 8, max_catchup_ticks: int = 5,
                 grace_s: float = 20.0):
        super().__init__(lobby, max_commands=max_commands, max_pending_inputs=max_pending_inputs)
        self.clock = clock
        self.hooks = hooks
        self.countdown_s = countdown_s
        self.empty_ttl_s = empty_ttl_s
        self.max_catchup_ticks = max_catchup_ticks
        self.grace_s = grace_s
        self.tick = 0
        self.stats = LoopStats()
        self.match: Match | None = None  # the match counting down or playing, else the last one
        self.broadcaster = Broadcaster(lobby, keyframe_interval_s=keyframe_interval_s, publish=hooks.publish,
                                       relay=hooks.relay_state)
        self.empty_for = 0.0
        self.task: LoopHandle | None = None  # while the loop runs (`start`)
        # Cluster ownership (game.cluster): the lease's epoch, stamped on relayed frames and
        # saved records; the time the lease runs out unless renewed; why the loop gave up.
        self.epoch = 0
        self.lease_deadline: float | None = None
        self.abandoned: str | None = None
        # Set by a cluster that logs its matches (game.cluster.inputlog): a match cut short by
        # a lost lease or a handover goes on with the next owner, so it is neither ended nor told.
        self.hands_on = False
        lobby.on_start = self._begin_match
        # A game with per-player views or played in turns: its state frames (game.engine.views)
        # and, turn-based, a loop that rests between moves (game.engine.turns).
        self.views = ViewFeed(lobby, keyframe_interval_s=keyframe_interval_s, relay=hooks.relay_state) \
            if ViewFeed.wanted(lobby.game_cls) else None
        self.pacing = TurnPacing(self) if TurnPacing.wanted(self) else None

    def abandon(self, reason: str) -> None:
        """Stop ticking at once, leaving the lobby open for another owner (cluster only)."""
        if self.abandoned is None:
            self.abandoned = reason

    def match_info(self) -> dict[str, Any] | None:
        """The match being counted down or played, as the cluster's lobby state keeps it."""
        match = self.match
        if match is None or match.saved or self.lobby.phase not in ("countdown", "playing"):
            return None
        return match.info()

    # -- running (game.engine.scheduler) ------------------------------------------------
    def start(self) -> LoopHandle:
        """Start ticking, on the process's one scheduler; returns the loop's handle (a future:
        awaited until the loop ends, cancelled to end it as a shutdown)."""
        self.task = scheduler_for(self.clock).add(self)
        return self.task

    async def run(self) -> None:
        """Tick until the lobby closes; cancelling the caller ends the loop as a shutdown."""
        await (self.task if self.task is not None and not self.task.done() else self.start())

    def _finish_loop(self) -> None:
        if self.abandoned is not None:
            self._finish_abandoned()
            return
        closing = self._closing_events()  # match_over of a match cut short, then lobby_closed
        self._flush()
        last = events_frame(self.tick, self.clock.wall_ms(), closing)
        for member in list(self.lobby.members.values()):
            member.conn.push_event(last)
            member.conn.close(protocol.CLOSE["lobby_closed"])
        self._refuse_queued_joins("lobby_closed")
        self.hooks.lobby_closed(self.lobby.code)

    def _finish_abandoned(self) -> None:
        """The lobby lives on elsewhere: keep its members' connections for the cluster to
        move (`LoopHooks.lobby_abandoned`), record a match that was played as aborted (the
        next owner records the same match id, so one row is kept either way)."""
        match = self.match
        if match is not None and not match.saved and self.hands_on:
            match.hand_on()  # its next owner goes on with it, from its input log
        if match is not None and not match.saved:
            if match.started_ms:  # told to every member before the cluster moves them (4013)
                over = self._end_match("aborted", self.abandoned, announce=False)
                last = events_frame(self.tick, self.clock.wall_ms(), [over])
                for member in self.lobby.members.values():
                    member.conn.push_event(last)
            match.saved = True
            if self.lobby.phase in ("countdown", "playing"):
                self.lobby.phase = "waiting" if not match.started_ms else "finished"
        self._refuse_queued_joins("moved")
        self.hooks.lobby_abandoned(self)

    def _refuse_queued_joins(self, close: str) -> None:
        while self.control:
            op, arg = self.control.popleft()
            if op == "join":
                arg[1].cancelled() or arg[1].done() or arg[1].set_exception(JoinRefused(close))

    # -- one tick ----------------------------------------------------------------------
    def step_tick(self, dt: float) -> None:
        self.tick += 1
        self._apply_control()
        self._release_absent(dt)
        self._apply_commands()
        match = self.match
        if self.lobby.phase == "countdown":
            match.count_down(dt, self.clock.wall_ms())
        if match is not None:  # bots' inputs join the queue before _play applies it
            match.bots.step(dt, self.broadcaster.prev_snapshot)
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
            broadcast_rate=broadcast_rate_hz(self.lobby.tick_rate_hz, self.lobby.settings),
            time=self.clock.wall_ms(), resume=member.resume_token, resumed=req.resume is not None
            and member.resume_token == req.resume))
        if self.lobby.phase == "finished" and self.lobby.last_over is not None:
            req.conn.push_event(events_frame(self.tick, self.clock.wall_ms(), [self.lobby.last_over]))
        req.conn.needs_full = True
        future.set_result(member)

    def _leave(self, member_id: int, conn: object = None) -> None:
        """A connection closed: a player keeps the seat for ``grace_s``; others leave now."""
        member = self.lobby.members.get(member_id)
        if member is None or (conn is not None and member.conn is not conn):
            return  # gone already, or the seat was resumed on a newer connection
        if member.role == "player" and self.grace_s > 0 and self.lobby.phase != "closed":
            self.lobby.detach(member, DETACHED, self.grace_s)
            if member.in_match and self.match is not None:
                self.match.let_go(member)
            return
        self._remove(member_id)

    def _remove(self, member_id: int) -> None:
        member = self.lobby.remove(member_id)
        if member is not None and self.match is not None:
            self.match.forfeit(member)

    def _release_absent(self, dt: float) -> None:
        """Give up the seats of players away for longer than the grace period."""
        members = self.lobby.members
        for member in members.values():
            if not member.connected:
                break
        else:
            return  # everyone is here: the tick's usual case
        for member in [m for m in members.values() if not m.connected]:
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

    # -- frames out (game.engine.broadcast) ------------------------------------------------
    def _flush(self) -> None:
        """The tick's frames: evictions told, then the lobby and its events, then the state."""
        lobby, out, now = self.lobby, self.broadcaster, self.clock.wall_ms()
        for victim, event, code in lobby.evictions:
            if self.match is not None:  # a kicked player forfeits the match
                self.match.forfeit(victim)
            victim.conn.push_event(events_frame(self.tick, now, [event]))  # the group's copy comes after the close
            victim.conn.close(code)
        lobby.evictions.clear()
        if lobby.changed:
            lobby.changed = False
            out.send_lobby(now)
            self.hooks.lobby_changed(self)
        if lobby.events:
            events = [e for e in lobby.events if e.get("type") != "lobby_closed"]
            lobby.events = []
            if events:
                out.send_events(self.tick, now, events)
        if not out.due(self.tick):  # the lobby broadcasts every k-th step only
            return
        if lobby.phase in ("countdown", "playing"):
            self._broadcast_state(now)
        elif self.views is not None and self.views.pending:
            self.views.play_out(tick=self.tick, now_ms=now, epoch=self.epoch)
        elif out.delayed.pending:
            out.play_out_delayed(tick=self.tick, now_ms=now, epoch=self.epoch)

    def _broadcast_state(self, now_ms: int | None = None) -> None:
        """This tick's state, to every member (`Broadcaster.send_state`), with the game
        events of every step since the last broadcast, stamped ``now_ms`` (the clock's now)."""
        match = self.match
        if now_ms is None:
            now_ms = self.clock.wall_ms()
        events, match.events = match.events, []
        if self.views is not None:  # each view its own frames (game.engine.views)
            self.views.send_state(tick=self.tick, now_ms=now_ms, game=match.game,
                                  last_processed_input=match.last_processed_input(), events=events,
                                  match_id=match.id, epoch=self.epoch)
            return
        self.broadcaster.send_state(tick=self.tick, now_ms=now_ms, snapshot=match.game.snapshot(),
                                    last_processed_input=match.last_processed_input(), events=events,
                                    match_id=match.id, epoch=self.epoch)

    # -- the match ---------------------------------------------------------------------
    def _begin_match(self) -> None:
        """Called by the lobby's start/rematch command: seat the players, count down."""
        self.match = match = Match(self.lobby, countdown_s=self.countdown_s, submit_input=self.submit_input)
        self.broadcaster.new_match()
        self.lobby.phase = "countdown"
        self.lobby.changed = True
        self.lobby.events.append({"type": "countdown", "seconds": round(self.countdown_s), "match": match.id})

    def _play(self, dt: float) -> None:
        match = self.match
        match.play(self.inputs, dt)
        if match.game.finished:
            self._end_match("finished", None)

    def _resumed(self, member: Member) -> None:
        """A seat taken back on a new connection starts a new input sequence: its
        ``input_seq`` may start again from 0 (``last_processed_input`` shows -1 until its first
        input is applied); inputs of the old connection still queued are dropped."""
        kept = [entry for entry in self.inputs if entry[0] != member.id]
        member.pending_inputs -= len(self.inputs) - len(kept)
        self.inputs.clear()
        self.inputs.extend(kept)
        member.last_processed_input = -1

    def _end_match(self, status: str, reason: str | None, *, announce: bool = True) -> dict:
        """Record the match (exactly once) and move the lobby to finished; returns its
        ``match_over`` event, which ``announce`` adds to the lobby's events (a closing loop
        sends it itself, before ``lobby_closed``)."""
        record, over = self.match.finish(status, reason, now_ms=self.clock.wall_ms(), epoch=self.epoch)
        self.hooks.save_match(record)
        self.lobby.last_over = over
        self.stats.matches_ended += 1
        if announce:
            self._broadcast_state()  # the final positions, before the results
            self.lobby.events.append(over)
        if self.lobby.phase != "closed":
            self.lobby.phase = "finished"
        self.lobby.changed = True
        return over

    def _closing_events(self) -> list[dict]:
        """What a closing lobby sends each member last: a match that was played is saved as
        aborted (reason ``lobby_<close reason>``) and its ``match_over`` comes first; then
        ``lobby_closed``. A match still counting down is dropped unsaved."""
        closing = [{"type": "lobby_closed", "reason": self.lobby.close_reason}]
        match = self.match
        if match is not None and not match.saved:
            if match.started_ms:
                reason = f"lobby_{self.lobby.close_reason or 'closed'}"
                closing.insert(0, self._end_match("aborted", reason, announce=False))
            match.saved = True
        return closing
