"""The reaper: lobbies gone for good are closed in the database, and their keys removed.

A lobby is gone for good when no process holds its lease for longer than a member could take
to come back (``GAME_RECONNECT_GRACE_S`` and two lease TTLs): its owner died and nobody
reconnected, the whole cluster was stopped, or Redis lost it with its owner. A live owner
never lets its lease lapse that long (it renews every third of the TTL, and puts a lease
Redis lost back at once, game.cluster.recovery), so such a lobby has nobody to run it.

Once a pass, one process of the cluster (the holder of ``<prefix>reaper``, a short lock) reads
the lobbies the database still has open and looks up their leases and directory entries. For
each one without a lease since the grace began:

- if its directory entry is still there, the reaper takes its lease (a new epoch, as any
  successor would), records the match it was playing as aborted (``owner_lost``, once: saving
  is idempotent by match id), and removes the entry and the lease;
- its row is closed (``close_reason`` ``gone``).

Epoch keys expire with the directory entry (game.cluster.lease), so a reaped lobby leaves no
key behind. Nothing is reaped while Redis is unreachable or just lost its data.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from game.outage import OUTAGE

log = logging.getLogger("game.cluster")

REASON = "gone"  # close_reason of a reaped lobby's row


class Reaper:
    """One per node; only the holder of the reaper lock reaps in a pass."""

    def __init__(self, redis, ownership, node: str, *, period_s: float, grace_s: float,
                 open_codes: Callable[[], Awaitable[list[str]]], close_row: Callable[[str], Awaitable[None]],
                 record_match: Callable[[dict[str, Any], dict[str, Any], int], None]) -> None:
        self.redis = redis
        self.ownership = ownership
        self.keys = ownership.keys
        self.node = node
        self.period_s = period_s
        self.grace_s = grace_s
        self.open_codes = open_codes
        self.close_row = close_row
        self.record_match = record_match  # (state, match, epoch): the aborted record is saved
        self.lock = f"{self.keys.prefix}reaper"
        self.unowned: dict[str, float] = {}  # code -> monotonic time it was first seen without a lease
        self.reaped = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.period_s)
            try:
                await self.reap_once()
            except Exception as exc:
                OUTAGE.report("the lobby reaper", exc, log, "lobby reaper failed")

    async def _is_reaper(self) -> bool:
        ttl_ms = int(self.period_s * 2000)
        if await self.redis.set(self.lock, self.node, nx=True, px=ttl_ms):
            return True
        holder = await self.redis.get(self.lock)
        if (holder.decode() if isinstance(holder, bytes) else holder) == self.node:
            await self.redis.pexpire(self.lock, ttl_ms)
            return True
        self.unowned.clear()  # another process reaps: start again if this one takes over
        return False

    async def reap_once(self, now: float | None = None) -> list[str]:
        """One pass; the codes closed."""
        if self.ownership.draining or self.ownership.recovery.recovering() or not await self._is_reaper():
            return []
        codes = await self.open_codes()
        if not codes:
            self.unowned.clear()
            return []
        found = await self.ownership.leases.shards.pipelined_or_raise(  # (each lobby's keys on its shard)
            [(code, key) for code in codes for key in (self.keys.lease(code), self.keys.lobby(code))],
            lambda item: self.keys.bucket(item[0]), lambda pipe, item: pipe.exists(item[1]))
        now = time.monotonic() if now is None else now
        gone, seen = [], set()
        for i, code in enumerate(codes):
            leased, entry = found[2 * i], found[2 * i + 1]
            if leased:
                continue
            seen.add(code)
            if now - self.unowned.setdefault(code, now) < self.grace_s:
                continue
            if entry and not await self._end(code):
                continue  # somebody took it meanwhile
            await self.close_row(code)
            gone.append(code)
        self.unowned = {code: at for code, at in self.unowned.items() if code in seen and code not in gone}
        if gone:
            self.reaped += len(gone)
            log.warning("reaper: closed %d lobbies gone for good (%s)", len(gone), ", ".join(gone[:10]))
        return gone

    async def _end(self, code: str) -> bool:
        """Take the lease of a lobby nobody runs, record its match, and remove its keys."""
        lease = await self.ownership.leases.acquire(code, self.node)
        if lease is None:
            return False
        try:
            state = await self.ownership.directory.state(code)
            match = (state or {}).get("match")
            if match and match.get("started_ms"):
                self.record_match(state, match, lease.epoch)
            await self.ownership.directory.remove(lease)
        finally:
            await self.ownership.leases.release(lease)
        return True


async def _open_codes() -> list[str]:
    from channels.db import database_sync_to_async

    from game.models import LobbyRecord

    def read() -> list[str]:
        return list(LobbyRecord.objects.filter(status=LobbyRecord.Status.OPEN)
                    .order_by("created_at").values_list("code", flat=True)[:5000])
    return await database_sync_to_async(read)()


async def _close_row(code: str) -> None:
    from channels.db import database_sync_to_async

    from game import services
    await database_sync_to_async(services.lobby_close)(code=code, reason=REASON)


def start_reaper(node) -> asyncio.Task:
    """The node's reaper task (game.cluster.node starts it with the others)."""
    from django.conf import settings

    from game.cluster.ownership import aborted_record

    ownership = node.ownership
    cfg = settings.GAME_CLUSTER

    def record(state: dict[str, Any], match: dict[str, Any], epoch: int) -> None:
        ownership.save_match(aborted_record(state, match, epoch, int(time.time() * 1000)))

    reaper = Reaper(node.redis, ownership, node.mail.channel, period_s=cfg.get("REAP_S", 10.0),
                    grace_s=settings.GAME["RECONNECT_GRACE_S"] + 2 * cfg["LEASE_TTL_S"],
                    open_codes=_open_codes, close_row=_close_row, record_match=record)
    node.reaper = reaper
    return asyncio.get_running_loop().create_task(reaper.run(), name="node-reaper")
