"""The reaper (game.cluster.reaper) on a real Redis: lobbies nobody runs past the grace are
closed in the database, the match they were playing recorded once, their keys removed; live
ones, ones coming back, and everything during a Redis recovery are left alone."""

from __future__ import annotations

import asyncio
import os
import uuid
from types import SimpleNamespace

import redis.asyncio as aioredis

from game.cluster.directory import Directory
from game.cluster.keys import Keys
from game.cluster.lease import Leases
from game.cluster.reaper import Reaper
from game.cluster.recovery import Recovery

REDIS_URL = os.environ.get("REDIS_URL")
STATE = {"code": "", "game": "pong", "phase": "playing",
         "match": {"id": "m1", "seed": 7, "settings": {}, "tick_rate": 20, "started_ms": 1000, "roster": []}}


def run(test):
    async def main():
        redis = aioredis.Redis.from_url(REDIS_URL)
        keys = Keys(f"gsreap:{uuid.uuid4().hex[:8]}:", 16)
        leases, directory = Leases(redis, keys, 1.5, 30), Directory(redis, keys, 30)
        ownership = SimpleNamespace(keys=keys, leases=leases, directory=directory, draining=False,
                                    recovery=Recovery(redis, leases, directory, ttl_s=1.5, directory_ttl_s=30))
        world = SimpleNamespace(open=[], closed=[], recorded=[])

        async def open_codes():
            return [c for c in world.open if c not in world.closed]

        async def close_row(code):
            world.closed.append(code)

        def reaper(node="node-r"):
            return Reaper(redis, ownership, node, period_s=5, grace_s=20, open_codes=open_codes, close_row=close_row,
                          record_match=lambda state, match, epoch: world.recorded.append((match["id"], epoch)))
        try:
            await test(redis, keys, ownership, world, reaper)
        finally:
            found = [k async for k in redis.scan_iter(match=f"{keys.prefix}*")]
            if found:
                await redis.delete(*found)
            await redis.aclose()
    asyncio.run(main())


async def orphan(ownership, code: str, state: dict | None = None) -> int:
    """A lobby whose owner wrote its entry and died: the lease gone, the entry left."""
    lease = await ownership.leases.acquire(code, "dead-node")
    await ownership.directory.put(lease, {"code": code, "phase": "playing"}, {**(state or STATE), "code": code})
    await ownership.leases.redis.delete(ownership.keys.lease(code))
    return lease.epoch


def test_a_lobby_nobody_came_back_to_is_closed_after_the_grace_and_its_match_recorded_once():
    async def body(redis, keys, ownership, world, reaper):
        epoch = await orphan(ownership, "DEADAA")
        world.open = ["DEADAA"]
        r = reaper()
        assert await r.reap_once(now=100.0) == []  # the grace begins
        assert await r.reap_once(now=110.0) == []  # a member may still come back
        assert await r.reap_once(now=121.0) == ["DEADAA"]
        assert world.closed == ["DEADAA"] and world.recorded == [("m1", epoch + 1)]
        assert await redis.exists(keys.lobby("DEADAA"), keys.lease("DEADAA")) == 0
        assert 0 < await redis.pttl(keys.epoch("DEADAA")) <= 30_000  # the epoch expires with the entry
        assert await r.reap_once(now=200.0) == []  # closed: not again
        assert world.recorded == [("m1", epoch + 1)]
    run(body)


def test_rows_without_any_key_are_closed_and_live_lobbies_are_not():
    async def body(redis, keys, ownership, world, reaper):
        live = await ownership.leases.acquire("LIVEAA", "node-a")
        await ownership.directory.put(live, {"code": "LIVEAA"}, {"code": "LIVEAA"})
        world.open = ["LIVEAA", "WIPEDA"]  # WIPEDA: the cluster stopped, or Redis lost it with its owner
        r = reaper()
        await r.reap_once(now=0.0)
        assert await r.reap_once(now=30.0) == ["WIPEDA"]
        assert world.recorded == [] and await redis.exists(keys.lobby("LIVEAA")) == 1
    run(body)


def test_a_lobby_whose_lease_comes_back_within_the_grace_is_not_reaped():
    async def body(redis, keys, ownership, world, reaper):
        await orphan(ownership, "BACKAA")
        world.open = ["BACKAA"]
        r = reaper()
        await r.reap_once(now=0.0)
        taken = await ownership.leases.acquire("BACKAA", "node-b")  # a member came back: taken over
        assert await r.reap_once(now=15.0) == []
        await ownership.leases.release(taken)  # ...and it moved again: the grace starts afresh
        assert await r.reap_once(now=30.0) == []
        assert await r.reap_once(now=45.0) == []
        assert await r.reap_once(now=51.0) == ["BACKAA"]
    run(body)


def test_one_reaper_at_a_time_and_none_while_redis_recovers():
    async def body(redis, keys, ownership, world, reaper):
        world.open = ["GONEAA"]
        first, second = reaper("node-1"), reaper("node-2")
        await first.reap_once(now=0.0)
        await second.reap_once(now=0.0)
        assert await second.reap_once(now=50.0) == []  # node-1 holds the lock
        ownership.recovery.lost_at = __import__("time").monotonic()  # Redis just lost its data
        assert await first.reap_once(now=50.0) == []
        ownership.recovery.lost_at = float("-inf")
        assert await first.reap_once(now=50.0) == ["GONEAA"]
    run(body)
