"""Clocks for the tick loop: the real monotonic one and a fake one for tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class Alarm(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """What the tick loops read time from (`MonotonicClock`, or `FakeClock` in tests)."""

    def now(self) -> float: ...
    def wall_ms(self) -> int: ...
    async def sleep_until(self, deadline: float) -> None: ...
    def wake_at(self, deadline: float, callback: Callable[[], object]) -> Alarm:
        """Call ``callback`` once ``deadline`` has come (unless the alarm is cancelled first)."""


def wall_ms() -> int:
    """Server wall time in whole milliseconds since the epoch, as stamped on frames."""
    return int(time.time() * 1000.0)


class MonotonicClock:
    """Real time: ``now()`` is the event loop's monotonic clock in seconds."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def wall_ms(self) -> int:
        return wall_ms()

    async def sleep_until(self, deadline: float) -> None:
        delay = deadline - self.now()
        # Always yield once, even when late, so a lagging loop cannot starve the others.
        await asyncio.sleep(delay if delay > 0 else 0)

    def wake_at(self, deadline: float, callback: Callable[[], object]) -> Alarm:
        return asyncio.get_running_loop().call_at(deadline, callback)


class FakeClock:
    """A clock that moves only when a test calls `advance`.

    Tasks sleeping in `sleep_until` wake, and alarms set with `wake_at` ring, in deadline order,
    as `advance` passes their deadline; `advance` lets each woken task run before moving on.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, Callable[[], object]]] = []
        self.work_per_tick = 0.0  # simulated processing time, to test overruns

    def now(self) -> float:
        return self._now

    def wall_ms(self) -> int:
        return int(self._now * 1000.0)

    async def sleep_until(self, deadline: float) -> None:
        if deadline <= self._now:
            return  # late: run on at once, as a real loop catching up would
        fut = asyncio.get_running_loop().create_future()
        self._sleepers.append((deadline, lambda: fut.done() or fut.set_result(None)))
        await fut

    def wake_at(self, deadline: float, callback: Callable[[], object]) -> Alarm:
        entry = (deadline, callback)
        self._sleepers.append(entry)
        return _FakeAlarm(self._sleepers, entry)

    def burn(self, seconds: float) -> None:
        """Pretend the caller spent ``seconds`` working (the clock moves, nobody wakes)."""
        self._now += seconds

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking every sleeper whose deadline passes."""
        target = self._now + seconds
        while True:
            await _settle()
            due = [s for s in self._sleepers if s[0] <= target + 1e-9]  # float sums drift a hair
            if not due:
                break
            entry = min(due, key=lambda s: s[0])
            self._sleepers.remove(entry)
            self._now = max(self._now, entry[0])
            entry[1]()
        self._now = max(self._now, target)
        await _settle()


class _FakeAlarm:
    def __init__(self, sleepers: list, entry: tuple) -> None:
        self.sleepers, self.entry = sleepers, entry

    def cancel(self) -> None:
        if self.entry in self.sleepers:
            self.sleepers.remove(self.entry)


async def _settle(rounds: int = 5) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)
