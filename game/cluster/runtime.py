"""The runtime of a process in a cluster (``GAME_RUNTIME``, chosen by settings with REDIS_URL).

Lobbies are shared with the other processes through this process's `Node`: one is created
under a lease on its code, found wherever it runs (a lobby run elsewhere is a `RemoteLobby`),
listed from the directory, and handed over, not closed, when this process drains. The limits
per client count across the processes (game.cluster.limits).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from django.conf import settings

from game.cluster.lobbylist import SharedLobbyList
from game.cluster.node import Node
from game.cluster.ownership import CodeTaken
from game.engine.handle import LobbyHandle
from game.engine.lobby import LobbyConfig
from game.engine.loop import LobbyLoop
from game.engine.registry import RegistryFull
from game.lobbylist import LobbyList
from game.outage import Unavailable
from game.runtime import Runtime

log = logging.getLogger("game.runtime")


class ClusterRuntime(Runtime):
    """A `Runtime` whose lobbies are shared with other processes through Redis."""

    def __init__(self) -> None:
        super().__init__()
        self.node = Node(layer=self.layer, registry=self.registry, connections=self.connections,
                         save_match=self.save_match)
        self._started: asyncio.Task | None = None
        ownership = self.node.ownership
        self.shared_list = SharedLobbyList(self.node.redis, ownership.directory, ownership.keys,
                                           refresh_s=self.lobby_list.refresh_s)
        self.handovers: set[asyncio.Task] = set()
        # What a lobby in doubt kept back goes out this way, once it may.
        ownership.publish, ownership.save_now = super().publish, super().save_match

    async def ready(self) -> None:
        """Join the cluster (once), before the first lobby is looked up or created."""
        task = self._start()
        try:
            await asyncio.shield(task)
        except Exception as exc:  # Redis unreachable at start: the next lookup tries again
            if self._started is task:
                self._started = None
            raise Unavailable("this process has not joined the cluster yet") from exc

    def _start(self) -> asyncio.Task:
        if self._started is None:
            self._started = self.loop.create_task(self.node.start())
        return self._started

    # -- LoopHooks ----------------------------------------------------------------------
    def publish(self, code: str, data: bytes) -> None:
        """Send a frame to the lobby's group, unless its lease is in doubt: then it waits until
        the lease is confirmed, and is dropped if another process took the lobby (its members
        learn nothing of a play that may not count, game.cluster.ownership)."""
        if not self.node.ownership.defer(code, data):
            super().publish(code, data)

    def save_match(self, record: dict[str, Any]) -> None:
        """Queue a match's record, unless its lobby's lease is in doubt (Redis unreachable):
        then it waits until the lease is confirmed, and is dropped if another process took the
        lobby (game.cluster.ownership), so a match is saved once, by its one owner."""
        if not self.node.ownership.hold(record):
            super().save_match(record)

    def lobby_closed(self, code: str) -> None:
        super().lobby_closed(code)
        self.node.closed(code)

    def lobby_changed(self, loop: LobbyLoop) -> None:
        self.node.ownership.changed(loop)

    def relay_state(self, code: str, epoch: int, tick: int, delta: bytes | None, full: bytes | None,
                    *, views: dict | None = None, seats: list | None = None, **delayed: Any) -> None:
        if views is None:  # one frame for every process (a game without per-player views)
            self.node.relay_state(code, epoch, tick, delta, full, **delayed)
        else:  # each process gets the views its members see (game.cluster.guests)
            self.node.relays_sent += self.node.guests.relay_views(code, epoch, tick, views, seats or [],
                                                                  self.node.registry.get(code))

    def lobby_abandoned(self, loop: LobbyLoop) -> None:
        self.lobby_addresses.pop(loop.lobby.code, None)
        task = self.loop.create_task(self.node.abandoned(loop))
        self.handovers.add(task)
        task.add_done_callback(self.handovers.discard)

    # -- limits per client, across the cluster ------------------------------------------
    def others_connections(self, key: str) -> int:
        self._start()  # (its node shares the counts once it has joined)
        return self.node.limits.connections.others(key)

    def connections_changed(self, key: str) -> None:
        self.node.limits.connections.changed(key)

    async def reserve_lobby(self, identity: str, key: str | None, limits: tuple[int, int]) -> Any:
        return await self.node.limits.lobbies.admit(identity, key, limits)

    async def bind_lobby(self, reservation: Any, code: str) -> None:
        await self.node.limits.lobbies.bind(reservation, code)

    # -- lobbies ------------------------------------------------------------------------
    async def open_lobby(self, config: LobbyConfig) -> LobbyLoop:
        """Run the lobby here under a fresh lease on its code (a code taken: another one)."""
        await self.ready()
        for _ in range(5):
            try:
                return await self.node.ownership.create(config)
            except CodeTaken:
                config = dataclasses.replace(config, code=self.registry.new_code())
        raise RegistryFull()

    async def locate(self, code: str) -> LobbyHandle | None:
        await self.ready()
        return await self.node.locate(code)

    async def build_lobby_list(self) -> LobbyList:
        """The cluster's shared snapshot (game.cluster.lobbylist), built here when it is
        this process's turn."""
        await self.ready()
        return await self.shared_list.fetch()

    async def summary_elsewhere(self, code: str) -> dict[str, Any] | None:
        await self.ready()
        return await self.node.ownership.directory.summary(code)

    def figures(self) -> dict[str, int]:
        return self.node.figures()

    # -- draining -----------------------------------------------------------------------
    async def drain(self) -> None:
        """Take over no lobby and start no match from now on; with match continuity, hand
        every lobby over at once (running matches go on with the next owner), else let
        running matches end first (at most DRAIN_S seconds)."""
        self.node.ownership.draining = True
        if self.node.ownership.inputlog is None:
            await super().drain()
            return
        self.draining = True
        handed = sum(1 for loop in self.registry.loops.values() if loop.lobby.phase in ("countdown", "playing"))
        await self.let_go(timeout_s=settings.GAME["DRAIN_S"])
        log.warning("drained: %d running matches handed over, %d matches saved by this process",
                    handed, self.saved_matches)

    async def let_go(self, *, timeout_s: float) -> None:
        """Hand every lobby to another process, send this process's members elsewhere, flush."""
        loops = list(self.registry.loops.values())
        for loop in loops:
            loop.abandon("handover")  # (a running match goes on with the next owner: LobbyLoop.hands_on)
        await asyncio.gather(*(loop.task for loop in loops if loop.task), return_exceptions=True)
        await asyncio.gather(*list(self.handovers), return_exceptions=True)
        self.node.relays.move_all()
        await asyncio.wait_for(self.flush(), timeout_s)
        await self.node.stop()
