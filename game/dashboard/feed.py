"""The staff dashboard's live feed: one sampler and one task per process.

However many staff sockets are open, the process is read once a second (game.dashboard.figures)
and the same encoded frame goes to each of them. The task runs while a socket is open.

In a cluster the frame shows every process: while a dashboard is open, each process writes its
own figures to Redis (game.cluster.dashshare calls `shared_sample`), and the feed adds the other
processes' lobbies to its own and sums their totals into ``process`` (with ``processes``, how
many answered; ``pid`` stays this process's). Rates and tick times are each process's own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from typing import Any, Protocol

from django.conf import settings

from game import protocol
from game import runtime as runtime_module
from game.dashboard.figures import Sampler
from game.engine.clock import wall_ms
from game.matchmaking.service import get_matchmaking
from game.outage import OUTAGE
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
        if settings.GAME_CLUSTER.get("ENABLED"):
            try:
                merge(figures, await others())
            except Exception as exc:  # Redis unreachable: this process's figures alone
                OUTAGE.report("the staff dashboard", exc, log, "the cluster's dashboard figures could not be read")
        frame = self.last_frame = protocol.encode_dashboard(time=wall_ms(), **figures)
        for watcher in list(self.watchers):
            watcher.push(frame)


# -- the cluster ------------------------------------------------------------------------------
SUMMED = ("lobbies", "players", "spectators", "connections", "queued", "frames_per_s", "bytes_per_s",
          "frames_total", "bytes_total", "state_frames_dropped", "matches_saved", "overruns")
HOST = socket.gethostname()
_sampler = Sampler()  # this process's figures as shared with the cluster (rates since its last share)


async def shared_sample() -> dict[str, Any]:
    """This process's figures for another process's dashboard (game.cluster.dashshare)."""
    runtime = get_runtime()
    figures = await _sampler.sample(loops=list(runtime.registry.loops.values()),
                                    connections=sum(runtime.connections.values()),
                                    saved_matches=runtime.saved_matches, queues=[],
                                    now=asyncio.get_running_loop().time())
    return {"host": HOST, "process": figures["process"], "lobbies": figures["lobbies"]}


runtime_module.DASHBOARD_SAMPLERS[:] = [shared_sample]


async def others() -> list[dict[str, Any]]:
    """The other processes' shared figures (and a request for the next ones)."""
    from game.matchmaking.shared import shared_redis  # (a cluster's Redis client)
    redis, prefix = shared_redis(), settings.GAME_CLUSTER["PREFIX"]
    await redis.set(f"{prefix}dash:wanted", b"1", px=3000)
    names = [n.decode() if isinstance(n, bytes) else n for n in await redis.smembers(f"{prefix}dash:procs")]
    if not names:
        return []
    values = await redis.mget([f"{prefix}dash:proc:{name}" for name in names])
    gone = [name for name, value in zip(names, values, strict=True) if value is None]
    if gone:
        await redis.srem(f"{prefix}dash:procs", *gone)
    samples = [json.loads(v) for v in values if v is not None]
    return [s for s in samples if (s["host"], s["process"]["pid"]) != (HOST, os.getpid())]


def merge(figures: dict[str, Any], samples: list[dict[str, Any]]) -> None:
    """Add other processes' lobbies and totals to this process's figures (in place)."""
    process = figures["process"]
    process["processes"] = 1 + len(samples)
    seen = {lobby["code"] for lobby in figures["lobbies"]}
    for sample in samples:
        theirs = sample["process"]
        for key in SUMMED:
            process[key] = process.get(key, 0) + theirs.get(key, 0)
        for phase, n in theirs.get("phases", {}).items():
            process["phases"][phase] = process["phases"].get(phase, 0) + n
        process["tick_p99_ms_max"] = max(process["tick_p99_ms_max"], theirs.get("tick_p99_ms_max", 0.0))
        for lobby in sample["lobbies"]:
            if lobby["code"] not in seen:
                seen.add(lobby["code"])
                figures["lobbies"].append({**lobby, "pid": theirs["pid"]})


_feed: DashboardFeed | None = None


def get_feed() -> DashboardFeed:
    """The dashboard feed of the running event loop (a new loop, as in tests, gets a new one)."""
    global _feed
    loop = asyncio.get_running_loop()
    if _feed is None or _feed.loop is not loop or loop.is_closed():
        _feed = DashboardFeed()
    return _feed
