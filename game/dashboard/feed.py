"""The staff dashboard's live feed: one sampler and one task per process.

However many staff sockets are open, the process is read once a second (game.dashboard.figures)
and the same encoded frame goes to each of them. The task runs while a socket is open.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from game import protocol
from game.dashboard.figures import Sampler
from game.engine.clock import wall_ms
from game.matchmaking.service import get_matchmaking
from game.runtime import get_runtime

log = logging.getLogger("game.dashboard")

INTERVAL_S = 1.0


class Watcher(Protocol):
    def push(self, data: bytes) -> None: ...


class DashboardFeed:
    """Sends every staff socket of this process a ``dashboard`` frame about once a second."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.watchers: set[Watcher] = set()
        self.sampler = Sampler()
        self.task: asyncio.Task | None = None
        self.last_frame: bytes | None = None

    def watch(self, watcher: Watcher) -> None:
        """A staff socket opened: it gets the latest frame at once, and every one after."""
        self.watchers.add(watcher)
        if self.last_frame is not None:
            watcher.push(self.last_frame)
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self.run(), name="staff-dashboard")

    def unwatch(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)

    async def run(self) -> None:
        """Publish at once, then every INTERVAL_S while a staff socket is open."""
        self.last_frame = None  # stale by now
        while self.watchers:
            try:
                await self.publish()
            except Exception:
                log.exception("the dashboard could not be sampled")
            await asyncio.sleep(INTERVAL_S)

    async def publish(self) -> None:
        runtime = get_runtime()
        figures = await self.sampler.sample(
            loops=list(runtime.registry.loops.values()), connections=sum(runtime.connections.values()),
            saved_matches=runtime.saved_matches, queues=get_matchmaking().summaries(), now=self.loop.time())
        frame = self.last_frame = protocol.encode_dashboard(time=wall_ms(), **figures)
        for watcher in list(self.watchers):
            watcher.push(frame)


_feed: DashboardFeed | None = None


def get_feed() -> DashboardFeed:
    """The dashboard feed of the running event loop (a new loop, as in tests, gets a new one)."""
    global _feed
    loop = asyncio.get_running_loop()
    if _feed is None or _feed.loop is not loop or loop.is_closed():
        _feed = DashboardFeed()
    return _feed
