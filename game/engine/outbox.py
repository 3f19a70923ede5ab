"""How frames leave the server: one small outbox per connection.

The tick loop never awaits a client. It offers bytes to the outbox of each connection and
moves on. The outbox keeps every event frame (in order) but only the newest state frame:
when a client falls behind, stale state is replaced, never queued. A delta frame cannot
replace an unsent frame (the client would miss what the dropped frame changed), so the
outbox drops both and asks the loop for a full snapshot instead. A client whose unsent
events exceed ``max_events``, or whose socket took no frame for ``stall_limit_s`` while frames
waited, is too slow to keep and is closed (4008) at once: the send it is stuck in is left to
the server, which aborts the connection when its close times out.

Why frames are written inline: a connection's ``send`` is a coroutine that finishes without
ever suspending while the server takes writes — it copies the bytes into its own buffer.
Starting a task per frame, or waking a writer task per connection per tick, costs more than
the write itself (docs/performance.md). So the outbox runs ``send`` inline (`_run_inline`),
and only when a send really suspends (the game's uvicorn and daphne protocol classes, while
the socket is backed up, or a slow test double) does it hand the rest of that send to a task
and buffer what comes meanwhile — which is exactly when replacing stale state matters. A
server that offers a plain write that says whether it took the frame (``send_now``: the game's
uvicorn and daphne protocol classes, ``game.send_now``) is tried first, and the coroutine is
made only when it says no. A close runs inline the same way, so a close decided while the
server hands a frame over (the error budget's 4029) reaches the server before it reads on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger("game.outbox")

CLOSE_TOO_SLOW = 4008
#: How long frames may wait without the socket taking one before the client is closed as too
#: slow (``GAME_OUTBOX_STALL_S``).
STALL_LIMIT_S = float(os.environ.get("GAME_OUTBOX_STALL_S", "10"))


def _run_inline(coro: Coroutine[Any, Any, Any]) -> Any:
    """Step ``coro`` once. Returns None when it finished, else the future it waits on
    (the coroutine is then half-run and must be finished by `_finish`)."""
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return waiting_on if waiting_on is not None else _YIELDED


_YIELDED = object()  # a bare `yield` (as in asyncio.sleep(0)): resume on the next loop turn


async def _finish(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
    """Drive a coroutine that `_run_inline` started to completion, as a Task would."""
    while True:
        if waiting_on is _YIELDED:
            await asyncio.sleep(0)
        else:
            waiting_on._asyncio_future_blocking = False
            with contextlib.suppress(BaseException):  # the coroutine sees the outcome itself, via result()
                await waiting_on
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            return
        if waiting_on is None:
            waiting_on = _YIELDED


class Totals:
    """Every outbox's frames, bytes and dropped state frames, for /metrics and the staff
    dashboard (one event loop per process: no lock). Not attributes of the `Outbox` class:
    writing a class attribute for every frame made CPython drop its attribute caches for
    every outbox each time (attribute and method lookups on them about 3x slower)."""

    __slots__ = ("bytes", "dropped_states", "frames")

    def __init__(self) -> None:
        self.frames = self.bytes = self.dropped_states = 0


TOTALS = Totals()


class Outbox:
    """Frames waiting for one connection.

    One per connected socket, so it is kept small (docs/benchmarks.md, "Memory"): slots instead of
    an instance dict, and no event queue until a frame has to wait (the socket took every frame
    at once so far: the common case)."""

    __slots__ = ("_busy", "_busy_since", "_close", "_close_code", "_close_task", "_events", "_send", "_send_now",
                 "_state", "closed", "dropped_states", "max_events", "needs_full", "sent_bytes", "sent_frames",
                 "stall_limit_s", "task")
    relayed = False  # a local socket (the cluster's RemoteConn is relayed: game.cluster.guests)

    def __init__(
        self,
        send: Callable[[bytes], Awaitable[None]],
        close: Callable[[int], Awaitable[None]],
        *,
        max_events: int = 256,
        stall_limit_s: float = STALL_LIMIT_S,
        send_now: Callable[[bytes], bool] | None = None,
    ) -> None:
        self._send = send
        self._send_now = send_now
        self._close = close
        self._events: deque[bytes] | None = None  # events waiting behind a busy socket
        self._state: bytes | None = None
        self._close_code: int | None = None
        self._busy = False  # a send is suspended in a task
        self._busy_since = 0.0  # when the socket last took a frame while busy
        self.stall_limit_s = stall_limit_s
        self.max_events = max_events
        self.needs_full = True  # a new connection starts from a full snapshot
        self.dropped_states = 0
        self.sent_frames = 0
        self.sent_bytes = 0
        self.closed = False
        self.task: asyncio.Task | None = None
        self._close_task: asyncio.Task | None = None  # a close that suspended

    @property
    def pending_frames(self) -> int:
        """Frames waiting to be written: the unsent events plus at most one state frame."""
        return len(self._events or ()) + (self._state is not None)

    def push_event(self, data: bytes) -> None:
        """Queue an event frame; it is never dropped while the connection lives."""
        if self.closed or self._close_code is not None:
            return
        events = self._events
        if events is None:
            if not self._busy and self._state is None and (send_now := self._send_now) is not None:
                # Nothing waits before it: straight to the socket, as a state frame goes.
                try:
                    took = send_now(data)
                except Exception:
                    log.debug("send failed; the connection is going away", exc_info=True)
                    self.closed = True
                    return
                if took:
                    self._count(data)
                    return
            events = self._events = deque()
        elif len(events) >= self.max_events:
            log.warning("closing a connection %d events behind", len(events))
            self.close(CLOSE_TOO_SLOW)
            return
        events.append(data)
        self._pump()

    def push_state(self, data: bytes, *, full: bool) -> None:
        """Offer the newest state frame; an unsent older one is replaced."""
        if self.closed or self._close_code is not None:
            return
        if self._busy and time.monotonic() - self._busy_since > self.stall_limit_s:
            log.warning("closing a connection that read nothing for %.0f s", self.stall_limit_s)
            self.close(CLOSE_TOO_SLOW)
            return
        if self._state is not None:
            self.dropped_states += 1
            TOTALS.dropped_states += 1
            if not full:
                self._state = None
                self.needs_full = True
                return
        if full:
            self.needs_full = False
        elif self.needs_full:
            return  # a delta is useless until the client has a full snapshot
        if not self._busy and (send_now := self._send_now) is not None:
            # Not busy: nothing is queued (`_pump` wrote it all). The tick's common case,
            # counted inline (`_count`: a call less per frame).
            try:
                took = send_now(data)
            except Exception:
                log.debug("send failed; the connection is going away", exc_info=True)
                self.closed = True
                return
            if took:
                size = len(data)
                self.sent_frames += 1
                self.sent_bytes += size
                totals = TOTALS
                totals.frames += 1
                totals.bytes += size
                return
        self._state = data
        self._pump()

    def close(self, code: int) -> None:
        """Send the queued events, then close the connection with ``code`` — inline when nothing
        waits. While a send is stuck, a 4008 closes at once (the queued events are dropped: the
        client reads nothing), and any other close waits at most the rest of ``stall_limit_s``."""
        if self._close_code is not None or self.closed:
            return
        self._close_code = code
        self._state = None
        if not self._busy:
            self._pump()
        elif code == CLOSE_TOO_SLOW:
            self._give_up()
        else:
            wait = self._busy_since + self.stall_limit_s - time.monotonic()
            asyncio.get_running_loop().call_later(max(wait, 0.0), self._give_up_if_stuck)

    def _give_up_if_stuck(self) -> None:
        if not self._busy or self.closed:
            return
        wait = self._busy_since + self.stall_limit_s - time.monotonic()
        if wait > 0:  # the socket took a frame meanwhile
            asyncio.get_running_loop().call_later(wait, self._give_up_if_stuck)
        else:
            self._give_up()

    def _give_up(self) -> None:
        """Close now, past a stuck send (left to the server, which ends it with the connection)."""
        self._events = None
        self._close_now()

    def _close_now(self) -> None:
        """Run the close inline; a close that suspends is finished by a task."""
        code, self._close_code = self._close_code, None
        self.closed = True
        try:
            coro = self._close(code)
            waiting_on = _run_inline(coro)
        except Exception:
            log.debug("close failed; the connection is going away", exc_info=True)
            return
        if waiting_on is not None:
            self._close_task = asyncio.get_running_loop().create_task(self._finish_close(coro, waiting_on))

    @staticmethod
    async def _finish_close(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        try:
            await _finish(coro, waiting_on)
        except Exception:
            log.debug("close failed; the connection is going away", exc_info=True)

    def _next(self) -> bytes | None:
        events = self._events
        if events:
            data = events.popleft()
            if not events:
                self._events = None  # caught up: the queue is made again when a frame must wait
            return data
        data, self._state = self._state, None
        return data

    def _pump(self) -> None:
        """Write what is queued, inline, until a send suspends or nothing is left."""
        if self._busy or self.closed:
            return
        send_now = self._send_now
        while (data := self._next()) is not None:
            try:
                if send_now is not None and send_now(data):
                    self._count(data)
                    continue
                coro = self._send(data)
                waiting_on = _run_inline(coro)
            except Exception:
                log.debug("send failed; the connection is going away", exc_info=True)
                self.closed = True
                return
            self._count(data)
            if waiting_on is not None:
                self._start_drain(coro, waiting_on)
                return
        if self._close_code is not None:
            self._close_now()

    def _start_drain(self, coro: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        self._busy, self._busy_since = True, time.monotonic()
        self.task = asyncio.get_running_loop().create_task(self._drain(coro, waiting_on))

    async def _drain(self, coro: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        """Finish a suspended send, then keep writing (awaiting) until caught up."""
        try:
            await _finish(coro, waiting_on)
            self._busy_since = time.monotonic()  # the socket took a frame: the stall clock starts again
            while (data := self._next()) is not None:
                await self._send(data)
                self._count(data)
                self._busy_since = time.monotonic()
            if self._close_code is not None and not self.closed:
                code, self._close_code = self._close_code, None
                self.closed = True
                await self._close(code)
        except Exception:
            log.debug("send failed; the connection is going away", exc_info=True)
            self.closed = True
        finally:
            self._busy = False

    def _count(self, data: bytes) -> None:
        self.sent_frames += 1
        self.sent_bytes += len(data)
        TOTALS.frames += 1
        TOTALS.bytes += len(data)
