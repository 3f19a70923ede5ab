"""How the loop of a turn-based lobby rests between moves.

A lobby's loop ticks at its tick rate (game.engine.loop). A turn-based game
(``Game.turn_based``) changes only when a move comes or its own timer runs out, so while
nothing is queued its loop sleeps instead: until a join, leave, command or input is queued
(the queues wake it), or until the next thing due by itself — the game's ``wake_in()`` (a
turn timer), a dropped player's grace, an empty lobby's end — at most ``MAX_REST_S``. The
ticks it slept through still happen, cheaply: the game steps through them at once (`Game.skip`:
as many steps as a replay of the match takes one by one), and the lobby's clocks (grace, emptiness) move on.
An idle turn-based lobby therefore costs a wake-up every few seconds, not one per tick.

A lobby that is counting down, has bots to drive, delays its spectators or broadcasts every
k-th tick only ticks at its rate as any other.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

from game.engine.lobby import RESERVED_EVENTS
from game.engine.settings import broadcast_every

#: The longest a resting lobby sleeps without looking at its clock.
MAX_REST_S = 30.0


class WakingDeque(deque):
    """A queue that wakes its resting loop when something is put in it."""

    def __init__(self, wake: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.wake = wake

    def append(self, item: Any) -> None:
        super().append(item)
        if self.wake is not None:
            self.wake()


class TurnPacing:
    """Rests the loop of one turn-based lobby (`LobbyLoop.pacing`): the scheduler
    (game.engine.scheduler) asks `rest_to` after each tick, and calls `wake_up` when the rest
    ends, at its last tick or as something is queued (``alarm``, set by the scheduler)."""

    def __init__(self, loop: Any) -> None:
        self.loop = loop
        self.alarm: Callable[[], None] | None = None  # the scheduler's: this lobby is due now
        self.rests = 0  # how often the loop slept past a tick (benchmarks, tests)
        for name in ("control", "commands", "inputs"):
            queue = WakingDeque(self.wake)
            queue.extend(getattr(loop, name))
            setattr(loop, name, queue)

    @staticmethod
    def wanted(loop: Any) -> bool:
        return bool(loop.lobby.game_cls.turn_based)

    def wake(self) -> None:
        alarm = self.alarm
        if alarm is not None:
            alarm()

    def rest_to(self, n: int, period: float) -> int | None:
        """Called when tick ``n`` is the next: the last tick the loop may sleep through
        (it is then due at that tick unless woken), or None when it may not rest."""
        ahead = self._ticks_to_rest(period)
        return n + ahead - 1 if ahead > 1 else None

    def wake_up(self, start: float, n: int, rest_to: int, period: float, now: float) -> int:
        """The rest from tick ``n`` (due at ``start + n * period``) ends at ``now``: play
        through the ticks slept past; returns the tick reached (``n`` up to ``rest_to``),
        which is due at once, or at its time if the loop was woken before it."""
        reached = max(n, min(rest_to, math.floor((now - start) / period + 1e-9)))
        if reached > n:
            self.rests += 1
            self._pass(reached - n, period)
        return reached

    def _ticks_to_rest(self, period: float) -> int:
        """How many ticks the loop may sleep from now (1: it may not rest)."""
        loop = self.loop
        lobby, match = loop.lobby, loop.match
        if loop.control or loop.commands or loop.inputs or lobby.phase == "countdown" or lobby.changed \
                or lobby.events or broadcast_every(lobby.tick_rate_hz, lobby.settings) != 1:
            return 1
        if (loop.views is not None and loop.views.pending) or loop.broadcaster.delayed.pending:
            return 1
        if lobby.settings.get("spectator_delay", 0) and lobby.phase == "playing":
            return 1
        seconds = MAX_REST_S
        if lobby.phase == "playing" and match is not None:
            if match.bots.policies:
                return 1
            due = match.game.wake_in()
            if due is not None:
                seconds = min(seconds, due)
        for member in lobby.members.values():
            if not member.connected:
                seconds = min(seconds, loop.grace_s - member.away_for)
        if not lobby.members:
            seconds = min(seconds, loop.empty_ttl_s - loop.empty_for)
        return max(1, math.floor(seconds / period + 1e-9))

    def _pass(self, ticks: int, period: float) -> None:
        """Play through ``ticks`` ticks in which nothing was queued: the game steps (its
        events wait for the next frame), and the lobby's clocks move on."""
        loop = self.loop
        loop.tick += ticks
        match = loop.match
        if loop.lobby.phase == "playing" and match is not None and not match.game.finished:
            match.events += [e for e in match.game.skip(ticks, period) if e.get("type") not in RESERVED_EVENTS]
            match.ticks += ticks  # (a finished game's steps change nothing: a replay takes them too)
        for member in loop.lobby.members.values():
            if not member.connected:
                member.away_for += ticks * period
        if not loop.lobby.members:
            loop.empty_for += ticks * period
