"""Limits that guard shared resources count across the cluster (game.cluster.limits): sockets
per address and open lobbies per client are not N times the limit with N processes; what a
killed process held stops counting; a Redis that fails leaves each process counting alone.
Real daphne processes on Redis and PostgreSQL, and the counting parts on real Redis."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter

import pytest
import redis.asyncio as aioredis

from game import protocol
from game.cluster.keys import Keys
from game.cluster.limits import Gate, LobbyQuota, SharedCounts
from game.outage import OUTAGE
from tests.liveserver import HTTP_TIMEOUT_S

from .conftest import REDIS_URL
from .harness import Player

pytestmark = pytest.mark.server


def post_lobby(cluster, proc: str) -> tuple[int, dict]:
    request = urllib.request.Request(cluster.http(proc) + "/api/lobbies", data=json.dumps({"game": "pong"}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read())
        assert exc.code == 429 and body["error"] == "too_many_lobbies", body
        return exc.code, body


async def open_socket(cluster, proc: str, code: str, query: str = "role=spectator&name=w") -> Player | int:
    """A socket on ``proc``: the Player once welcomed, or the close code it got instead."""
    player = await Player(cluster.ws(proc, code, query), cluster.http(proc)).connect()
    try:
        await player.until(lambda f: f["k"] == "welcome", timeout=10)
    except AssertionError:
        return player.close_code
    return player


async def until_true(check, what: str, timeout: float = 15.0):
    """Poll ``check`` (each call is an attempt of its own) until it says yes."""
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)
    return result


def test_one_address_gets_its_lobbies_once_across_the_cluster(cluster):
    cluster.env["GAME_MAX_LOBBIES_PER_ADDRESS"] = "3"
    for name in "AB":
        cluster.start(name)
    replies = [post_lobby(cluster, "AB"[i % 2]) for i in range(8)]  # no cookies: a new identity each
    assert [status for status, _ in replies] == [201] * 3 + [429] * 5
    assert len(cluster.get("B", "/api/lobbies")["lobbies"]) == 3
    first = replies[0][1]

    async def close_one():
        host = await open_socket(cluster, "B", first["code"], f"name=host&token={first['host_token']}")
        assert isinstance(host, Player)
        await host.send("close")
        assert await host.closed() == protocol.CLOSE["lobby_closed"]
        # A closed lobby frees its place, for this address on any process.
        await until_true(lambda: asyncio.to_thread(lambda: post_lobby(cluster, "B")[0] == 201),
                         "the closed lobby still counted")
        assert post_lobby(cluster, "A")[0] == 429

    asyncio.run(close_one())


def test_sockets_per_address_are_counted_across_processes(cluster):
    cluster.env["GAME_MAX_CONNECTIONS_PER_ADDRESS"] = "4"
    for name in "AB":
        cluster.start(name)
    code = cluster.create_lobby("A", game="pong", name="sockets")["code"]

    async def play():
        outcomes = [await open_socket(cluster, "AB"[i % 2], code) for i in range(10)]
        held = [p for p in outcomes if isinstance(p, Player)]
        # One process alone would take 4, two 8: together they take the limit, and barely more
        # (a process decides on the others' count as it last read it: one behind, in sequence).
        assert 4 <= len(held) <= 6, outcomes
        assert {c for c in outcomes if not isinstance(c, Player)} == {4030}
        on_b = [p for i, p in enumerate(outcomes) if isinstance(p, Player) and i % 2]
        on_a = [p for p in held if p not in on_b]
        assert on_b
        cluster.kill("B")  # what B held stops counting once its heartbeat has run out
        for player in on_b:
            await player.closed()

        async def one_more_on_a():
            player = await open_socket(cluster, "A", code)
            return player if isinstance(player, Player) else None
        for _ in range(4 - len(on_a)):
            on_a.append(await until_true(one_more_on_a, "B's sockets still count long after it died"))
        assert await open_socket(cluster, "A", code) == 4030  # and the limit holds again
        for player in on_a:
            await player.disconnect()

    asyncio.run(play())


# -- the counting parts, on real Redis ------------------------------------------------------------
@pytest.fixture
async def redis_prefix():
    client = aioredis.Redis.from_url(REDIS_URL)
    prefix = f"gstest:{uuid.uuid4().hex[:8]}:"
    yield client, prefix
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def counts(client, prefix: str, node: str, local: Counter) -> SharedCounts:
    shared = SharedCounts(client, f"{prefix}conns:", f"{prefix}node:", local, Gate(5.0), ttl_s=60)
    shared.node = node
    return shared


async def sync(shared: SharedCounts, *keys: str) -> None:
    assert await shared._write(sorted(keys))


async def test_counts_of_a_process_whose_heartbeat_ran_out_stop_counting(redis_prefix):
    client, prefix = redis_prefix
    for node in ("a", "b"):
        await client.set(f"{prefix}node:{node}", b"1", px=60_000)
    local_a, local_b = Counter({"198.51.100.1": 3}), Counter({"198.51.100.1": 1})
    a, b = counts(client, prefix, "a", local_a), counts(client, prefix, "b", local_b)
    await sync(a, "198.51.100.1")
    await sync(b, "198.51.100.1")
    assert b.others("198.51.100.1") == 3
    await sync(a, "198.51.100.1")
    assert a.others("198.51.100.1") == 1
    local_a["198.51.100.1"] = 0  # absolute counts: a zero takes this process's part away
    await sync(a, "198.51.100.1")
    await sync(b, "198.51.100.1")
    assert b.others("198.51.100.1") == 0
    local_a["198.51.100.1"] = 5
    await sync(a, "198.51.100.1")
    await client.delete(f"{prefix}node:a")  # a died: its heartbeat key expired
    await sync(b, "198.51.100.1")
    assert b.others("198.51.100.1") == 0
    assert await client.hgetall(f"{prefix}conns:198.51.100.1") == {b"b": b"1"}


async def test_lobby_places_are_reserved_atomically_and_freed_with_the_lobby(redis_prefix):
    client, prefix = redis_prefix
    quota = LobbyQuota(client, prefix, Gate(5.0), reserve_s=10, ttl_s=60, timeout_s=2)
    admitted = await asyncio.gather(*(quota.admit(f"g:{i}", "198.51.100.1", (5, 3)) for i in range(10)))
    places = [a for a in admitted if a]
    assert len(places) == 3 and admitted.count(False) == 7  # concurrent asks: exactly the limit
    for i, place in enumerate(places):
        await client.set(Keys(prefix).lease(f"CODE{i}"), b"node|1")
        await quota.bind(place, f"CODE{i}")
    assert await quota.admit("g:x", "198.51.100.1", (5, 3)) is False
    await client.delete(Keys(prefix).lease("CODE0"))  # closed: no lease, no directory entry
    assert await quota.admit("g:x", "198.51.100.1", (5, 3))
    assert await quota.admit("g:y", None, (5, 3))  # no address known: the identity's limit alone


async def test_a_failing_redis_leaves_each_process_counting_alone_and_says_so_once(caplog):
    broken = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    gate = Gate(retry_s=60.0)
    quota = LobbyQuota(broken, "gs:", gate, reserve_s=10, ttl_s=60, timeout_s=0.5)
    shared = SharedCounts(broken, "gs:conns:", "gs:node:", Counter({"198.51.100.1": 1}), gate, ttl_s=60)
    shared.elsewhere["198.51.100.1"] = 100
    OUTAGE.ok()  # (an outage left by another test)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert await quota.admit("g:a", "198.51.100.1", (5, 5)) is None  # the caller counts its own
        asked = []

        async def ask(*args):
            asked.append(args)
            raise ConnectionError("down")
        quota._admit_on = ask
        for _ in range(20):
            assert await quota.admit("g:a", "198.51.100.1", (5, 5)) is None
        assert asked == []  # not asked again while it is down
        assert not await shared._write(["198.51.100.1"])
    assert shared.others("198.51.100.1") == 0  # fail open to this process's own count
    said = [r.getMessage() for r in caplog.records]
    assert len([m for m in said if m.startswith("Redis unreachable") and "counts alone" in m]) == 1, said
    assert len(said) == 1, said
    OUTAGE.ok()
    await broken.aclose()
