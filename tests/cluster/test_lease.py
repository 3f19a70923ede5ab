"""The lease and the directory against a real Redis: atomic, exclusive, fenced by epoch."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from game.cluster.directory import Directory
from game.cluster.lease import Leases
from tests.waits import until


async def holder(leases: Leases, code: str, expected) -> bool:
    return (await leases.holders([code]))[code] == expected


@pytest.fixture
def prefix():
    return f"gstest:{uuid.uuid4().hex[:8]}:"


async def test_one_owner_at_a_time_and_each_owner_has_a_larger_epoch(redis_client, prefix):
    leases = Leases(redis_client, prefix, ttl_s=1.0)  # long enough to be read back on a busy machine
    got = await asyncio.gather(*(leases.acquire("ABCDEF", f"node{i}") for i in range(20)))
    winners = [lease for lease in got if lease is not None]
    assert len(winners) == 1 and winners[0].epoch == 1
    assert (await leases.holders(["ABCDEF"]))["ABCDEF"] == winners[0]
    await until(lambda: holder(leases, "ABCDEF", None), "the lease, not renewed, expires", timeout=5)
    assert await leases.renew([winners[0]]) == [False]  # a lost lease cannot be renewed back
    second = await leases.acquire("ABCDEF", "other")
    assert second is not None and second.epoch == 2


async def test_renewal_keeps_a_lease_and_release_frees_it(redis_client, prefix):
    # The test is about time: renewed every 0.1 s, the lease outlives its 0.5 s TTL (0.7 s in
    # all); a renewal may come up to 0.4 s late on a busy machine and still be in time.
    leases = Leases(redis_client, prefix, ttl_s=0.5)
    lease = await leases.acquire("QWERTY", "a")
    for _ in range(7):
        await asyncio.sleep(0.1)
        assert await leases.renew([lease]) == [True]
    assert await leases.acquire("QWERTY", "b") is None
    impostor = type(lease)(lease.code, "b", lease.epoch)
    assert not await leases.release(impostor)  # only the holder may release
    assert await leases.release(lease)
    assert (await leases.acquire("QWERTY", "b")).epoch == 2


async def test_directory_writes_are_fenced_by_the_lease(redis_client, prefix):
    leases = Leases(redis_client, prefix, ttl_s=1.0)  # long enough for the first write on a busy machine
    directory = Directory(redis_client, prefix)
    old = await leases.acquire("ZXCVBN", "a")
    assert await directory.put(old, {"code": "ZXCVBN", "phase": "waiting"}, {"v": 1, "phase": "waiting"})
    await until(lambda: holder(leases, "ZXCVBN", None), "the old owner's lease expires", timeout=5)
    new = await leases.acquire("ZXCVBN", "b")
    assert await directory.put(new, {"code": "ZXCVBN", "phase": "finished"}, {"v": 1, "phase": "finished"})
    assert not await directory.put(old, {"code": "ZXCVBN", "phase": "playing"}, {"v": 1, "phase": "playing"})
    assert (await directory.state("ZXCVBN"))["phase"] == "finished"
    assert [s["phase"] for s in await directory.summaries()] == ["finished"]
    assert not await directory.remove(old)
    assert await directory.remove(new)
    assert await directory.summaries() == []
