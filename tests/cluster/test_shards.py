"""Buckets spread over two Redis shards (GAME_REDIS_SHARDS, docs/scale.md): real processes on
two redis-servers of their own; each lobby's keys are on the shard its bucket names and
nowhere else, the keys that are not per lobby on the first, and a match goes on after its
owner's kill -9."""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest

from game.cluster.keys import Keys

from .conftest import REDIS_URL
from .harness import Cluster
from .test_continuity import Sender, start_pong
from .test_recovery_cluster import PrivateRedis

pytestmark = [pytest.mark.server,
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")]

BUCKETS = 16


@pytest.fixture
def shards():
    servers = [PrivateRedis(), PrivateRedis()]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def sharded(tmp_path, cluster_db, shards):
    made = Cluster(tmp_path, cluster_db, REDIS_URL, GAME_REDIS_SHARDS=",".join(s.url for s in shards),
                   GAME_CLUSTER_BUCKETS=str(BUCKETS), GAME_MAX_LOBBIES_PER_CLIENT="100",
                   GAME_MAX_LOBBIES_PER_ADDRESS="100")
    yield made
    made.close()


def keys_of(server: PrivateRedis, pattern: str) -> set[str]:
    return {k.decode() for k in server.client().scan_iter(match=pattern)}


def check_placement(sharded: Cluster, shards: list[PrivateRedis], codes: list[str]) -> None:
    keys = Keys(sharded.prefix, BUCKETS)
    for code in codes:
        home = shards[keys.bucket(code) % 2]
        other = shards[1 - keys.bucket(code) % 2]
        assert {keys.lease(code), keys.epoch(code), keys.lobby(code)} <= keys_of(home, f"*{code}")
        assert home.client().hexists(keys.index(keys.bucket(code)), code)
        assert keys_of(other, f"*{code}*") == set(), f"lobby {code}'s keys on the other shard"


def test_lobbies_live_on_their_buckets_shard_and_survive_their_owner(sharded, shards):
    import redis
    for name in "AB":
        sharded.start(name)
    keys = Keys(sharded.prefix, BUCKETS)
    made: dict[int, list[dict]] = {0: [], 1: []}
    for _ in range(40):
        created = sharded.create_lobby("A", game="pong", name="sharded")
        made[keys.bucket(created["code"]) % 2].append(created)
        if made[0] and made[1]:
            break
    assert made[0] and made[1], "40 lobbies, all in one shard's buckets"
    codes = [c["code"] for group in made.values() for c in group]
    check_placement(sharded, shards, codes)
    # Not per lobby: heartbeats and the generation marker on the first shard, no lobby key on
    # the channel layer's Redis.
    assert keys_of(shards[0], f"{sharded.prefix}node:*")
    assert all(s.client().exists(f"{sharded.prefix}generation") for s in shards)
    assert keys_of(shards[1], f"{sharded.prefix}node:*") == set()
    assert list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"{sharded.prefix}*")) == []
    # Every lobby is listed, read from both shards.
    listed = {lobby["code"] for lobby in sharded.get("B", "/api/lobbies?limit=100")["lobbies"]} | set()
    deadline = time.monotonic() + 10
    while not set(codes) <= listed:
        assert time.monotonic() < deadline, f"listed {listed}, made {codes}"
        time.sleep(0.2)
        listed = {lobby["code"] for lobby in sharded.get("B", "/api/lobbies?limit=100")["lobbies"]}

    created = made[1][0]  # a lobby on the second shard: its match's input log is there
    code, token = created["code"], created["host_token"]

    async def play():
        host, guest, match_id = await start_pong(sharded, code, token, host_on="B", guest_on="B", time_limit_s=6)
        senders = [Sender(host), Sender(guest)]
        me = host.welcome["you"]
        await host.until(lambda f: f["k"] in ("full", "delta") and f["last_processed_input"].get(me, -1) >= 20)
        assert shards[1].client().exists(keys.log(code)) and not shards[0].client().exists(keys.log(code))
        sharded.kill("A")
        for client in (host, guest):
            assert await client.closed(timeout=10) == 4013  # moved: reconnect and resume
        for sender in senders:
            sender.cut()
        seen = len(host.frames)
        welcomes = await asyncio.gather(host.resume(sharded.ws("B", code, f"name=host&token={token}")),
                                        guest.resume(sharded.ws("B", code, "name=guest")))
        assert all(w["resumed"] for w in welcomes) and welcomes[0]["lobby"]["phase"] == "playing"
        over = await host.event("match_over", timeout=30, since=seen)
        for sender in senders:
            await sender.stop()
        assert over["match"] == match_id and over["status"] == "finished"
        for client in (host, guest):
            await client.disconnect()

    asyncio.run(play())
    assert "goes on from tick" in sharded.log("B")
    lease = shards[1].client().get(keys.lease(code)).decode()
    assert lease.rsplit("|", 1)[1] == "2"  # taken over once, on its own shard
    check_placement(sharded, shards, [code])


def test_a_shard_that_comes_back_empty_gets_its_lobbies_back(sharded, shards):
    """Only the wiped shard's lobbies are put back, by their owner, with the same epoch."""
    sharded.start("A")
    keys = Keys(sharded.prefix, BUCKETS)
    made: dict[int, list[str]] = {0: [], 1: []}
    while not (made[0] and made[1]):
        code = sharded.create_lobby("A", game="pong", name="wiped")["code"]
        made[keys.bucket(code) % 2].append(code)
        assert len(made[0]) + len(made[1]) < 40
    before = {code: shards[0].client().get(keys.lease(code)) for code in made[0]}
    shards[1].client().flushall()
    deadline = time.monotonic() + 15
    while not all(shards[1].client().exists(keys.lease(c), keys.lobby(c)) == 2 for c in made[1]):
        assert time.monotonic() < deadline, "the wiped shard's lobbies were not put back"
        time.sleep(0.1)
    assert all(shards[1].client().get(keys.lease(c)).decode().endswith("|1") for c in made[1])  # same epoch
    assert {code: shards[0].client().get(keys.lease(code)) for code in made[0]} == before
    for code in made[1]:
        assert sharded.get("A", f"/api/lobbies/{code}")["lobby"]["code"] == code
    check_placement(sharded, shards, made[0] + made[1])
    assert "lease put back after Redis lost it" in sharded.log("A")


async def test_lobby_counts_look_up_each_lobby_on_its_shard(shards):
    """The per-client counts live on the first shard; a counted lobby lives while its lease or
    entry exists on its own shard."""
    import redis.asyncio as aioredis

    from game.cluster.limits import Gate, LobbyQuota
    from game.cluster.shards import Shards
    clients = [aioredis.Redis.from_url(s.url) for s in shards]
    keys = Keys("gsq:", BUCKETS)
    quota = LobbyQuota(clients[0], "gsq:", Gate(5.0), reserve_s=10, ttl_s=60, timeout_s=2, buckets=BUCKETS,
                       shards=Shards(clients, keys))
    code = next(f"Q{i:05d}" for i in range(100) if keys.bucket(f"Q{i:05d}") % 2 == 1)
    place = await quota.admit("g:a", "198.51.100.9", (1, 1))
    assert place
    await clients[1].set(keys.lease(code), b"node|1")
    await quota.bind(place, code)
    assert await quota.admit("g:b", "198.51.100.9", (1, 1)) is False  # its lease, on shard 1, counts
    await clients[1].delete(keys.lease(code))
    assert await quota.admit("g:b", "198.51.100.9", (1, 1))  # closed: its place is free again
    for client in clients:
        await client.aclose()


async def test_a_shard_down_costs_only_its_own_lobbies_renewals():
    """Renewals go one pipeline per shard: the reachable shard's leases are renewed, those of
    the shard that fails are unknown (None), not lost, and the failure is kept to report."""
    import redis.asyncio as aioredis

    from game.cluster.lease import Leases
    from game.cluster.shards import Shards
    keys = Keys("gsdown:", BUCKETS)
    good = aioredis.Redis.from_url(REDIS_URL)
    broken = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    leases = Leases(Shards([good, broken], keys), keys, ttl_s=30)
    codes = [f"D{i:05d}" for i in range(40)]
    here = [c for c in codes if keys.bucket(c) % 2 == 0][:3]
    there = [c for c in codes if keys.bucket(c) % 2 == 1][:3]
    held = [await leases.acquire(code, "node-a") for code in here]
    assert all(held)
    fake = [type(held[0])(code, "node-a", 1) for code in there]
    out = await leases.renew([*held, *fake])
    assert out == [True] * 3 + [None] * 3 and leases.failure is not None
    await good.delete(*[keys.lease(c) for c in here], *[keys.epoch(c) for c in here])
    await good.aclose()
    await broken.aclose()


def test_the_shards_setting_names_urls_or_sentinel_masters():
    from redis.asyncio.sentinel import SentinelConnectionPool

    from game.cluster.node import redis_shards
    cfg = {"REDIS_URL": "redis://r0:6379/0", "SENTINELS": [("s1", 26379)], "SENTINEL_MASTER": "mymaster",
           "SHARDS": ["redis://r1:6379/0", "sentinel:second"]}
    shards = redis_shards(cfg, Keys("gs:", BUCKETS), timeout_s=1.0)
    assert len(shards) == 2 and shards.main is shards.clients[0]
    assert shards.clients[0].connection_pool.connection_kwargs["host"] == "r1"
    pool = shards.clients[1].connection_pool
    assert isinstance(pool, SentinelConnectionPool) and pool.service_name == "second"
    assert shards.of_bucket(3) is shards.clients[1] and shards.of_bucket(4) is shards.clients[0]
    one = redis_shards({**cfg, "SENTINELS": [], "SHARDS": []}, Keys("gs:", BUCKETS), timeout_s=1.0)
    assert len(one) == 1 and one.main.connection_pool.connection_kwargs["host"] == "r0"
