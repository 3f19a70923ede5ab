"""Waiting on a condition, never on a guessed time.

A test that sleeps a fixed time fails on a busy machine (the thing it waits for came later) and
wastes time on an idle one. Where an event or a frame can be awaited, await it; where the state
belongs to other tasks or another process and nothing signals its change, poll it with these
helpers: they return as soon as the condition holds and fail the test, with what was awaited,
only at a generous deadline.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from types import SimpleNamespace


async def until(predicate: Callable[[], object], what: str, *, timeout: float = 10.0, every: float = 0.01) -> None:
    """Return once ``predicate()`` is true (awaited when it returns an awaitable: a read from
    Redis); AssertionError naming ``what`` after ``timeout`` s."""

    async def holds() -> bool:
        result = predicate()
        return bool(await result) if inspect.isawaitable(result) else bool(result)

    try:
        async with asyncio.timeout(timeout):
            # A poll: the state changes in other tasks or processes, and none of them signals it.
            while not await holds():  # noqa: ASYNC110
                await asyncio.sleep(every)
    except TimeoutError:
        raise AssertionError(f"not within {timeout} s: {what}") from None


def until_sync(predicate: Callable[[], object], what: str, *, timeout: float = 10.0, every: float = 0.05) -> None:
    """`until` for code outside an event loop (another process's state, a file, a socket)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(every)


def everyone_ready(lobby: dict, players: int = 2) -> bool:
    """``lobby`` (as a ``welcome`` or ``lobby`` frame carries it) seats at least ``players``
    players and each is ready but the host, whose start is its ready: a start is now taken."""
    seated = [m for m in lobby["members"] if m["role"] == "player"]
    return len(seated) >= players and all(m["ready"] or m["id"] == lobby["host"] for m in seated)


def ready_frame(players: int = 2) -> Callable[[dict], bool]:
    """A frame predicate: the lobby as this frame shows it is ready to start (`everyone_ready`)."""
    return lambda f: f["k"] in ("welcome", "lobby") and everyone_ready(f["lobby"], players)


def outbox_clock(monkeypatch) -> SimpleNamespace:
    """Give game.engine.outbox a clock the test moves (``clock.now += s``): a stall limit is
    tested by moving past it, not by sleeping past it (a busy machine can only sleep longer)."""
    from game.engine import outbox

    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(outbox, "time", SimpleNamespace(monotonic=lambda: clock.now))
    return clock


async def loop_turns(n: int = 10) -> None:
    """Let the event loop run what is ready (sends that were let through, their callbacks)."""
    for _ in range(n):
        await asyncio.sleep(0)
