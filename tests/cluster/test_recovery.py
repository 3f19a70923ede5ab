"""Redis losing its data: leases reclaimed, orphans restored, lookups told to retry
(game.cluster.recovery), and outages logged once each way (game.outage)."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from game.cluster.directory import Directory
from game.cluster.keys import Keys
from game.cluster.lease import Leases
from game.cluster.recovery import Recovery
from game.outage import Outage, OutageFilter, Unavailable

REDIS_URL = os.environ.get("REDIS_URL")


async def _wipe(redis, prefix: str) -> None:
    """What a Redis restarted without its data looks like to one deployment: nothing."""
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)


def run(test):
    async def main():
        redis = aioredis.Redis.from_url(REDIS_URL)
        keys = Keys(f"gsrec:{uuid.uuid4().hex[:8]}:", 16)
        leases = Leases(redis, keys, 1.5, 30)
        directory = Directory(redis, keys, 30)
        recovery = Recovery(redis, leases, directory, ttl_s=1.5, directory_ttl_s=30)
        try:
            await test(redis, keys, leases, directory, recovery)
        finally:
            await _wipe(redis, keys.prefix)
            await redis.aclose()
    asyncio.run(main())


def test_a_live_owner_puts_its_lease_back_after_a_wipe():
    async def body(redis, keys, leases, directory, recovery):
        lease = await leases.acquire("ABCDEF", "node-a")
        assert (await leases.renew([lease])) == [True]
        await _wipe(redis, keys.prefix)
        assert (await leases.renew([lease])) == [False]  # what the owner's renewal sees
        assert await recovery.reclaim(lease)
        assert await recovery.reclaim(lease)  # (another task of the owner, a moment later: still ours)
        assert (await leases.renew([lease])) == [True]  # held again, same epoch
        assert await leases.acquire("ABCDEF", "node-b") is None  # nobody else can take it
        assert int(await redis.get(keys.epoch("ABCDEF"))) == lease.epoch
        await leases.release(lease)
        successor = await leases.acquire("ABCDEF", "node-b")
        assert successor.epoch == lease.epoch + 1  # the epochs still only grow
    run(body)


def test_an_owner_overtaken_does_not_reclaim():
    async def body(redis, keys, leases, directory, recovery):
        old = await leases.acquire("ABCDEF", "node-a")
        await redis.delete(keys.lease("ABCDEF"))  # expired while node-a was paused
        new = await leases.acquire("ABCDEF", "node-b")
        assert not await recovery.reclaim(old)  # held by node-b
        await leases.release(new)
        assert not await recovery.reclaim(old)  # released, but a later epoch was given out
        assert await redis.get(keys.lease("ABCDEF")) is None
    run(body)


def test_lookups_retry_while_the_cluster_puts_its_lobbies_back():
    async def body(redis, keys, leases, directory, recovery):
        other = Recovery(redis, leases, directory, ttl_s=1.5, directory_ttl_s=30)
        assert not await recovery.check_generation()  # the first look: stamped 0, no recovery
        assert not await other.check_generation()
        await recovery.not_found("NOSUCH")  # a lobby that does not exist: no retry
        await _wipe(redis, keys.prefix)
        with pytest.raises(Unavailable):  # the marker is gone: Redis lost its data
            await other.not_found("NOSUCH")
        assert await recovery.check_generation()  # the keeper notices, and puts the marker back
        with pytest.raises(Unavailable):
            await recovery.not_found("NOSUCH")
        with pytest.raises(Unavailable):  # another process, before its keeper looked: the stamp is fresh
            await other.not_found("NOSUCH")
        assert await other.check_generation()
        assert not await other.check_generation()  # once only
        recovery.lost_at = other.lost_at = float("-inf")
        await redis.set(recovery.marker, "1.0")  # long ago
        await recovery.not_found("NOSUCH")
    run(body)


def test_an_orphan_comes_back_to_the_directory_for_a_takeover():
    async def body(redis, keys, leases, directory, recovery):
        lease = await leases.acquire("ORPHAN", "node-a")
        summary = {"code": "ORPHAN", "game": "pong", "tick_rate": 20, "phase": "waiting"}
        state = {"code": "ORPHAN", "game": "pong", "members": []}
        assert await directory.put(lease, summary, state)
        recovery.orphan(lease, summary, state)
        assert await recovery.restore_orphans() == 0  # its entry is there: nothing to do
        recovery.orphan(lease, summary, state)
        await _wipe(redis, keys.prefix)
        assert await recovery.restore_orphans() == 1
        assert await directory.state("ORPHAN") == state
        assert await redis.get(keys.lease("ORPHAN")) is None  # free for the first member back
        successor = await leases.acquire("ORPHAN", "node-b")
        assert successor.epoch == lease.epoch + 1
        recovery.orphan(lease, summary, state)
        assert await recovery.restore_orphans() == 0 and not recovery.orphans
    run(body)


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(caplog):
    outage = Outage(logging.getLogger("test.outage"))
    quiet = OutageFilter(outage)
    library = logging.getLogger("test.outage.library")
    library.addFilter(quiet)
    caplog.set_level(logging.DEBUG)
    error = RedisConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
    for _ in range(500):
        outage.report("relay", error, library, "relay failed", dropped=3)
        try:
            raise error
        except RedisConnectionError:
            library.exception("Unexpected exception in receive task")
    outage.report("relay", KeyError("bug"), library, "relay failed")  # not an outage: logged
    outage.ok()
    outage.ok()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("Redis unreachable: relay failed (ConnectionError")
    assert lines[1] == "relay failed" and caplog.records[1].exc_info
    assert lines[2].startswith("Redis answers again after") and lines[2].endswith(
        "1000 operations failed, 1500 messages dropped")
    assert len(lines) == 3 and not outage.down and outage.outages == 1


def test_a_refused_port_counts_as_an_outage():
    async def main():
        outage = Outage(logging.getLogger("test.outage"))
        client = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
        for _ in range(3):
            try:
                await client.get("x")
            except Exception as exc:
                outage.report("get", exc, logging.getLogger("test.outage"), "get failed")
        await client.aclose()
        return outage
    outage = asyncio.run(main())
    assert outage.down and outage.failures == 3
