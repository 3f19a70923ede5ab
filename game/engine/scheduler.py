"""One scheduler for every lobby loop of a process: one asyncio task that wakes at the next
tick due, runs the tick of every lobby then due, and sleeps again.

A task per lobby cost a timer, a future and a task switch per lobby per tick; here N lobbies
cost one wake-up per tick period. Each lobby keeps its own fixed timestep (`Ticker`): tick
``n`` is due at ``start + n * period`` on the clock, so nothing drifts; ``start`` is on a grid
of the period (a multiple of it on the clock), so lobbies of one tick rate are due at the same
instants and run in one pass. A tick that ends after the next deadline is an overrun (counted
and logged); a lobby more than ``max_catchup_ticks`` behind skips ahead and counts the skipped
ticks instead of running a burst; a late lobby runs one tick per pass, and the scheduler yields
to the event loop between passes, so a lagging lobby cannot starve I/O or the others. A tick
that raises closes its own lobby (``server_error``), no other. Nothing here awaits inside a
tick. A turn-based lobby rests between moves (game.engine.turns): it is due only at the end of
its rest, or at once when something is queued for it.

`LobbyLoop.start` returns the lobby's `LoopHandle`, a future that resolves when the lobby's
loop ends; cancelling it ends the loop as cancelling its task did (the lobby closes with
``shutdown``, a running match is recorded as aborted).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
from collections.abc import Callable
from typing import Any

from game.engine.clock import MonotonicClock

log = logging.getLogger("game.loop")


class LoopHandle(asyncio.Future):
    """The running loop of one lobby, as its task was: awaitable until the loop ends;
    `cancel` ends it (soon, outside any tick) and the handle then counts as cancelled."""

    def __init__(self, scheduler: Scheduler, ticker: Ticker) -> None:
        super().__init__(loop=scheduler.loop)
        self._scheduler, self._ticker, self._cancelling = scheduler, ticker, False

    def cancel(self, msg: Any = None) -> bool:
        if self.done():
            return False
        if not self._cancelling:
            self._cancelling = True
            self.get_loop().call_soon(self._scheduler.cancel, self._ticker, msg)
        return True


class Ticker:
    """The timeline of one lobby's loop: its tick rate, the clock time its tick 0 was due
    (``start``), the tick to run next (``n``) and when (``due``); for a turn-based lobby at
    rest, the last tick it may sleep through (``rest_to``)."""

    __slots__ = ("alive", "due", "ended", "handle", "loop", "n", "now", "order", "period", "queued", "rate",
                 "rest_to", "start", "version")

    def __init__(self, loop: Any, order: int, now: Callable[[], float]) -> None:
        self.loop = loop
        self.now = now  # the clock's now()
        self.ended = 0.0  # when its last tick ended
        self.order = order  # ties at one instant run in the order lobbies started: a stable order
        self.handle: LoopHandle | None = None
        self.rate = 0
        self.start = self.period = self.due = 0.0
        self.n = 0
        self.rest_to: int | None = None
        self.version = 0  # bumped when a queued entry in the heap goes stale
        self.queued = False  # has a live entry in the heap
        self.alive = True

    def plan(self, now: float) -> bool:
        """After a tick (or at the start): when the next one is due. False once the loop ends."""
        loop = self.loop
        lobby = loop.lobby
        if lobby.phase == "closed" or loop.abandoned is not None:
            return False
        if self.rate != lobby.tick_rate_hz:  # the first tick, or changed in settings: a new timeline
            self.rate = lobby.tick_rate_hz
            self.period = 1.0 / self.rate
            self.start, self.n = math.floor(now / self.period + 1e-9) * self.period, 0
        self.n += 1
        pacing = loop.pacing
        if pacing is not None:
            self.rest_to = pacing.rest_to(self.n, self.period)  # may rest past many ticks
            if self.rest_to is not None:
                self.due = self.start + self.rest_to * self.period
                return True
        self.due = self.start + self.n * self.period
        return True

    def fire(self, now: float) -> bool:
        """Called when ``due`` has come (or a resting lobby was woken): run the tick, or, for
        a lobby woken before its tick, set ``due`` again. False once the loop ends."""
        loop = self.loop
        period = self.period
        if self.rest_to is not None:  # the ticks slept through are played at once
            self.n = loop.pacing.wake_up(self.start, self.n, self.rest_to, period, now)
            self.rest_to = None
            self.due = self.start + self.n * period
            if self.due > now:
                return True
        deadline, began = self.due, now  # (``now``: the clock as the tick before ended, or as the pass began)
        if loop.lease_deadline is not None and began > loop.lease_deadline:
            loop.abandon("lease_expired")  # not renewed in time: another process may own it
            return False
        loop.step_tick(period)
        ended = self.ended = self.now()
        loop.stats.record(ended - began, ended - deadline - period)
        if ended > deadline + period:
            self.n += self._overrun(ended, deadline, period)
        return self.plan(ended)

    def _overrun(self, ended: float, deadline: float, period: float) -> int:
        """Count an overrun; returns the ticks to skip when hopelessly behind."""
        loop = self.loop
        stats = loop.stats
        stats.overruns += 1
        behind = int((ended - deadline) / period)
        if stats.overruns in (1, 10, 100) or stats.overruns % 1000 == 0:
            log.warning("lobby %s: tick %d overran by %.1f ms (%d overruns)", loop.lobby.code,
                        loop.tick, (ended - deadline - period) * 1000, stats.overruns)
        if behind > loop.max_catchup_ticks:
            stats.skipped_ticks += behind
            return behind
        return 0


class Scheduler:
    """Runs the lobby loops of one event loop on one clock (`scheduler_for`)."""

    def __init__(self, clock: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.clock = clock
        self.loop = loop
        self.tickers: set[Ticker] = set()
        self.heap: list[tuple[float, int, int, Ticker]] = []
        self.task: asyncio.Task | None = None
        self._waiter: asyncio.Future | None = None  # what the task sleeps on
        self._alarm_at: float | None = None  # when that sleep ends unless woken
        self._order = 0
        self.passes = 0  # wake-ups that ran ticks (benchmarks, tests)
        # The clock's now(): the event loop's own time for the monotonic clock (one call less a read).
        self.now: Callable[[], float] = loop.time if isinstance(clock, MonotonicClock) else clock.now

    # -- lobbies in and out --------------------------------------------------------------
    def add(self, lobby_loop: Any) -> LoopHandle:
        """Start running ``lobby_loop``'s ticks; returns its handle."""
        self._order += 1
        ticker = Ticker(lobby_loop, self._order, self.now)
        ticker.handle = handle = LoopHandle(self, ticker)
        self.tickers.add(ticker)
        if lobby_loop.pacing is not None:
            lobby_loop.pacing.alarm = lambda: self.wake(ticker)
        if not ticker.plan(self.now()):
            self._end(ticker)
            return handle
        self._push(ticker)
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run(), name="lobby-scheduler")
        else:
            self._interrupt(ticker.due)
        return handle

    def wake(self, ticker: Ticker) -> None:
        """Something was queued for a resting lobby: it is due now."""
        if not ticker.alive or ticker.rest_to is None:
            return
        ticker.due = self.now()
        if ticker.queued:  # (else it is being run in this pass, and is pushed back after)
            ticker.version += 1
            self._push(ticker)
        self._interrupt(ticker.due)

    def cancel(self, ticker: Ticker, msg: Any = None) -> None:
        """End a lobby's loop as a cancelled task did: close the lobby (``shutdown``), finish."""
        if not ticker.alive:
            return
        self._drop(ticker)
        try:
            ticker.loop.lobby.close("shutdown")
        except Exception:
            log.exception("lobby %s: closing at shutdown failed", ticker.loop.lobby.code)
        self._finish(ticker)
        if not ticker.handle.done():
            asyncio.Future.cancel(ticker.handle, msg)

    def _end(self, ticker: Ticker) -> None:
        """The loop ended by itself (closed or abandoned): finish it, resolve its handle."""
        self._drop(ticker)
        self._finish(ticker)
        if not ticker.handle.done():
            ticker.handle.set_result(None)

    def _drop(self, ticker: Ticker) -> None:
        ticker.alive = False
        ticker.version += 1
        self.tickers.discard(ticker)
        if ticker.loop.pacing is not None:
            ticker.loop.pacing.alarm = None
        if not self.tickers:
            self._interrupt(-math.inf)  # the last one: the task ends now, not at its alarm

    @staticmethod
    def _finish(ticker: Ticker) -> None:
        try:
            ticker.loop._finish_loop()
        except Exception:
            log.exception("lobby %s: finishing its loop failed", ticker.loop.lobby.code)

    def _push(self, ticker: Ticker) -> None:
        ticker.queued = True
        heapq.heappush(self.heap, (ticker.due, ticker.order, ticker.version, ticker))

    def _interrupt(self, due: float) -> None:
        """Wake the task early if it sleeps past ``due``."""
        waiter = self._waiter
        if waiter is not None and not waiter.done() and (self._alarm_at is None or due < self._alarm_at):
            waiter.set_result(False)

    # -- the task ------------------------------------------------------------------------
    async def _run(self) -> None:
        clock, heap, now = self.clock, self.heap, self.now
        floor = -math.inf  # when woken by the alarm: everything due by the alarm's time is due
        try:
            while self.tickers:
                self._pass(max(now(), floor))
                floor = -math.inf
                while heap and heap[0][2] != heap[0][3].version:
                    heapq.heappop(heap)  # stale entries
                if not self.tickers:
                    break
                nxt = heap[0][0] if heap else None
                if nxt is not None and nxt <= now():
                    await clock.sleep_until(nxt)  # late: yield once (a fake clock runs on at once)
                    continue
                if await self._sleep(nxt):
                    floor = nxt
        except asyncio.CancelledError:
            for ticker in list(self.tickers):
                self.cancel(ticker)
            raise
        finally:
            self.heap.clear()

    async def _sleep(self, until: float | None) -> bool:
        """Sleep until ``until`` (None: until woken); True when the alarm rang."""
        waiter = self._waiter = self.loop.create_future()
        self._alarm_at = until
        alarm = self.clock.wake_at(until, lambda: waiter.done() or waiter.set_result(True)) \
            if until is not None else None
        try:
            return await waiter
        finally:
            self._waiter = self._alarm_at = None
            if alarm is not None:
                alarm.cancel()

    def _pass(self, now: float) -> None:
        """Run each lobby due by ``now`` once (in deadline order; ties in start order)."""
        heap, ran = self.heap, []
        while heap:
            due, _order, version, ticker = heap[0]
            if version != ticker.version:
                heapq.heappop(heap)
                continue
            if due > now:
                break
            heapq.heappop(heap)
            ticker.queued = False
            try:
                going = ticker.fire(now)
            except Exception:
                log.exception("lobby %s loop crashed", ticker.loop.lobby.code)
                try:
                    ticker.loop.lobby.close("server_error")
                except Exception:
                    log.exception("lobby %s: closing after a crash failed", ticker.loop.lobby.code)
                going = False
            if going:
                ran.append(ticker)
                if ticker.ended > now:
                    now = ticker.ended
            else:
                self._end(ticker)
                now = max(now, self.now())
        if ran:
            self.passes += 1
            for ticker in ran:
                if ticker.alive and not ticker.queued:
                    self._push(ticker)


# (event loop, clock) -> its scheduler; every monotonic clock is one clock.
_SCHEDULERS: dict[tuple[asyncio.AbstractEventLoop, Any], Scheduler] = {}


def scheduler_for(clock: Any) -> Scheduler:
    """The scheduler of the running event loop for lobbies on ``clock``: one per process in
    production (one event loop, the monotonic clock)."""
    loop = asyncio.get_running_loop()
    key = (loop, type(clock) if isinstance(clock, MonotonicClock) else clock)
    scheduler = _SCHEDULERS.get(key)
    if scheduler is None:
        for old in [k for k in _SCHEDULERS if k[0].is_closed()]:  # event loops gone (tests)
            del _SCHEDULERS[old]
        scheduler = _SCHEDULERS[key] = Scheduler(clock, loop)
    return scheduler
