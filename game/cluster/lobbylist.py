"""The cluster's lobby list: one shared snapshot in Redis, built by one process at a time.

Every process that serves `GET /api/lobbies` refreshes its `game.lobbylist.LobbyListCache`
every GAME_LOBBY_LIST_REFRESH_S. A refresh first tries to become the builder (``SET NX`` on
`Keys.list_builder`, held for half a period): the builder reads the directory's bucket
indexes (one HGETALL per bucket, pipelined), sorts and indexes the snapshot, and stores it
compressed under `Keys.list_snapshot`; every other process GETs that one value. So Redis
does one directory read per half period for the whole cluster, whatever the number of
processes, and each process one GET per period, whatever the number of requests. A lobby
shows in lists within about 1.5 periods of a change.
"""

from __future__ import annotations

import asyncio
import secrets
import time

from game.cluster.directory import Directory
from game.cluster.keys import Keys
from game.lobbylist import LobbyList

SWEEP_EVERY = 15  # every so many builds, drop listed codes whose directory entry expired


class SharedLobbyList:
    """Builds or fetches the cluster's lobby list snapshot (see the module docstring)."""

    def __init__(self, redis, directory: Directory, keys: Keys, *, refresh_s: float) -> None:
        self.redis = redis
        self.directory = directory
        self.keys = keys
        self.refresh_s = refresh_s
        self.me = secrets.token_hex(6)  # what the builder key holds while this process builds
        self.built = 0  # snapshots this process built
        self.fetched = 0  # snapshots it read from Redis

    async def fetch(self) -> LobbyList:
        """The newest snapshot: built here when it is this process's turn (or none exists)."""
        turn = await self.redis.set(self.keys.list_builder(), self.me, nx=True,
                                    px=max(1, int(self.refresh_s * 500)))
        if not turn:
            blob = await self.redis.get(self.keys.list_snapshot())
            if blob is not None:
                self.fetched += 1
                return await asyncio.to_thread(LobbyList.from_bytes, blob)
        return await self.build()

    async def build(self) -> LobbyList:
        self.built += 1
        raw = await self.directory.listed_raw(sweep=self.built % SWEEP_EVERY == 1)
        made = await asyncio.to_thread(LobbyList.from_json, raw, built_ms=int(time.time() * 1000))
        blob = await asyncio.to_thread(made.to_bytes)
        await self.redis.set(self.keys.list_snapshot(), blob, px=int(max(10.0, 5 * self.refresh_s) * 1000))
        return made
