"""Keys shaped for sharding: every key of a lobby in its bucket's slot, renewals per bucket,
nothing left behind by a closed lobby, and the lobby list read per bucket."""

from __future__ import annotations

import uuid

import pytest
from redis.crc import key_slot

from game.cluster.directory import Directory
from game.cluster.keys import Keys
from game.cluster.lease import Leases


@pytest.fixture
def keys():
    return Keys(f"gstest:{uuid.uuid4().hex[:8]}:", buckets=16)


def test_every_key_of_a_lobby_lies_in_its_buckets_slot():
    keys = Keys("gs:", 256)
    for code in ("K7QX2M", "ABCDEF", "ZZZZ22", "Q2W3E4"):
        slots = {key_slot(k.encode()) for k in (*keys.lobby_keys(code), keys.log(code))}
        assert len(slots) == 1, code
        assert keys.lease(code).startswith(f"gs:{{{keys.bucket(code)}}}:")
    buckets = {keys.bucket(f"C{i:05d}") for i in range(5000)}
    assert len(buckets) == 256  # codes spread over every bucket


async def test_renewal_goes_per_bucket_and_reports_each_lease(redis_client, keys):
    leases = Leases(redis_client, keys, ttl_s=0.5, directory_ttl_s=5)
    codes = [f"R{i:05d}" for i in range(40)]
    held = [await leases.acquire(code, "a") for code in codes]
    assert len({keys.bucket(c) for c in codes}) > 1
    lost = held[3]
    await redis_client.set(keys.lease(lost.code), b"b|9")  # somebody else holds this one now
    assert await leases.renew(held) == [lease is not lost for lease in held]
    ttl = await redis_client.pttl(keys.epoch(codes[0]))
    assert 4000 < ttl <= 5000  # the epoch lives as long as the directory entry


async def test_a_closed_lobby_leaves_no_key_that_never_expires(redis_client, keys):
    leases = Leases(redis_client, keys, ttl_s=0.5, directory_ttl_s=5)
    directory = Directory(redis_client, keys, ttl_s=5)
    lease = await leases.acquire("CLOSED", "a")
    assert await directory.put(lease, {"code": "CLOSED", "phase": "waiting"}, {"phase": "waiting"})
    assert await directory.remove(lease) and await leases.release(lease)
    left = [k async for k in redis_client.scan_iter(match=keys.prefix + "*")]
    assert left == [keys.epoch("CLOSED").encode()]
    assert await redis_client.pttl(left[0]) > 0


async def test_only_public_open_lobbies_are_listed_and_expired_entries_are_swept(redis_client, keys):
    leases = Leases(redis_client, keys, ttl_s=5)
    directory = Directory(redis_client, keys, ttl_s=5)
    rows = {"PUBLIC": {}, "SECRET": {"private": True}, "GONEAA": {}, "ENDEDA": {"phase": "closed"}}
    for code, extra in rows.items():
        lease = await leases.acquire(code, "a")
        assert await directory.put(lease, {"code": code, "phase": "waiting"} | extra, {})
    assert [s["code"] for s in await directory.summaries()] == ["GONEAA", "PUBLIC"]
    await redis_client.delete(keys.lobby("GONEAA"))  # its entry expired: owner gone, nobody took over
    assert len(await directory.listed_raw()) == 2  # a plain read does not sweep...
    assert [s["code"] for s in await directory.summaries()] == ["PUBLIC"]  # ...a sweep drops it
    lease = (await leases.holders(["PUBLIC"]))["PUBLIC"]
    assert await directory.put(lease, {"code": "PUBLIC", "phase": "waiting", "private": True}, {})
    assert await directory.summaries() == []  # made private: it leaves the list
    await redis_client.delete(*[k async for k in redis_client.scan_iter(match=keys.prefix + "*")])
