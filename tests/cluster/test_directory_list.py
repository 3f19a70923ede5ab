"""The cluster's lobby list: one process builds the shared snapshot from the directory's bucket
indexes, the others read that one value; the snapshot pages like the one-process list."""

from __future__ import annotations

import os
import uuid

import pytest

from game.cluster.directory import Directory
from game.cluster.keys import Keys
from game.cluster.lease import Leases
from game.cluster.lobbylist import SharedLobbyList

REDIS_URL = os.environ.get("REDIS_URL")


@pytest.fixture
async def stage():
    import redis.asyncio as aioredis
    client = aioredis.Redis.from_url(REDIS_URL)
    keys = Keys(f"gstest:{uuid.uuid4().hex[:8]}:", buckets=8)
    yield client, keys
    found = [k async for k in client.scan_iter(match=keys.prefix + "*")]
    if found:
        await client.delete(*found)
    await client.aclose()


async def open_lobbies(client, keys: Keys, n: int, **extra) -> Directory:
    leases, directory = Leases(client, keys, ttl_s=30), Directory(client, keys)
    for i in range(n):
        code = f"L{i:05d}"
        lease = await leases.acquire(code, "owner")
        summary = {"code": code, "name": code, "game": "pong" if i % 2 else "arena", "phase": "waiting",
                   "players": i % 3, "bots": 0, "max_players": 2, "spectators": 0, "locked": False,
                   "private": False, "tick_rate": 20} | extra
        assert await directory.put(lease, summary, {})
    return directory


async def test_one_process_builds_and_the_others_read_its_snapshot(stage):
    client, keys = stage
    directory = await open_lobbies(client, keys, 40)
    a = SharedLobbyList(client, directory, keys, refresh_s=30)
    b = SharedLobbyList(client, Directory(client, keys), keys, refresh_s=30)
    built = await a.fetch()
    read = await b.fetch()
    assert (a.built, a.fetched, b.built, b.fetched) == (1, 0, 0, 1)
    assert read.rows == built.rows and len(read) == 40
    assert read.page(game="pong", open_only=True)["total"] == len(
        [s for s in built.rows if s["game"] == "pong" and s["players"] < 2])


async def test_with_no_snapshot_stored_a_reader_builds_one(stage):
    client, keys = stage
    directory = await open_lobbies(client, keys, 3)
    a = SharedLobbyList(client, directory, keys, refresh_s=30)
    await a.fetch()
    await client.delete(keys.list_snapshot())  # expired (nobody asked for a while)
    b = SharedLobbyList(client, directory, keys, refresh_s=30)
    assert len(await b.fetch()) == 3 and b.built == 1
