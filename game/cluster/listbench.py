"""The lobby list's cost per request as lobbies grow: ``python -m game.cluster.listbench``.

For 125, 1,250 and 12,500 synthetic lobbies (8 players each at most, several games), prints:

- per request, what `GET /api/lobbies` does on the event loop now: a page of the process's
  snapshot (game.lobbylist) and its JSON: CPU µs (median of interleaved rounds) and Python function
  calls (cProfile: a count, not a time, so a busy machine does not blur it); every size answers
  the same full pages of 25, and the request alone is also timed over 125,000 lobbies;
- per request before the cache: what the view did until the cache came (SMEMBERS of the lobby
  set, one HGET per lobby, every summary parsed) against a redis-server of its own: Redis CPU
  (``INFO cpu``) and the process's µs;
- per refresh now (every GAME_LOBBY_LIST_REFRESH_S, once for the cluster): the Redis CPU of
  building the shared snapshot from the bucket indexes, the Python ms of building and reading
  it, and its size.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import statistics
import time

from game.lobbylist import LobbyList

SIZES = (125, 1250, 12500)
PAGE_SIZES = (*SIZES, 125000)  # the request alone, ten times further
GAMES = ("game-a", "game-b", "game-c", "game-d")  # synthetic: a list does not care which games


def synthetic(n: int) -> list[dict]:
    return [{"code": f"{i:06X}"[-6:].replace("0", "Z"), "name": f"Lobby number {i}", "game": GAMES[i % len(GAMES)],
             "phase": ("waiting", "playing", "finished")[i % 3], "players": i % 9, "bots": 0, "max_players": 8,
             "spectators": i % 4, "locked": i % 17 == 0, "private": False, "tick_rate": 20} for i in range(n)]


def one_request(snapshot: LobbyList, query: dict) -> bytes:
    return json.dumps(snapshot.page(**query)).encode()


# Each answers a full page (25 rows) at every size, so every size does the same work per page.
QUERIES = ({"limit": 25}, {"game": "game-b", "open_only": True, "limit": 25}, {"cursor": "0.4.ZZZZ5Z", "limit": 25})


def calls_per_request(snapshot: LobbyList) -> int:
    profile = cProfile.Profile()
    profile.enable()
    for query in QUERIES:
        one_request(snapshot, query)
    profile.disable()
    return round(sum(s[1] for s in pstats.Stats(profile).stats.values()) / len(QUERIES))


def time_requests(snapshots: dict[int, LobbyList], rounds: int = 30, per_round: int = 200) -> dict[int, float]:
    """CPU µs per request (this process's CPU time, not the wall clock), sizes interleaved round
    by round (load on the machine hits all alike)."""
    samples: dict[int, list[float]] = {n: [] for n in snapshots}
    for _ in range(rounds):
        for n, snapshot in snapshots.items():
            began = time.process_time()
            for i in range(per_round):
                one_request(snapshot, QUERIES[i % len(QUERIES)])
            samples[n].append((time.process_time() - began) / per_round * 1e6)
    return {n: statistics.median(s) for n, s in samples.items()}


async def redis_figures(url: str, sizes: tuple[int, ...]) -> dict[int, dict]:
    import redis.asyncio as aioredis

    from game.cluster.directory import Directory
    from game.cluster.keys import Keys
    from game.cluster.lease import Leases
    from game.cluster.lobbylist import SharedLobbyList

    client = aioredis.Redis.from_url(url)

    async def cpu() -> float:
        got = await client.info("cpu")
        return (got["used_cpu_user"] + got["used_cpu_sys"]) * 1e6

    out = {}
    for n in sizes:
        await client.flushall()
        keys = Keys("lb:", 256)
        leases, directory = Leases(client, keys, ttl_s=600), Directory(client, keys, ttl_s=600)
        old_index = "old:lobbies"
        for start in range(0, n, 200):
            batch = synthetic(n)[start:start + 200]
            got = await asyncio.gather(*(leases.acquire(s["code"], "node") for s in batch))
            await asyncio.gather(*(directory.put(lease, s, {}) for lease, s in zip(got, batch, strict=True)))
            pipe = client.pipeline(transaction=False)
            for s in batch:  # the directory as it was before the cache: a set, a hash per lobby
                pipe.sadd(old_index, s["code"])
                pipe.hset(f"old:lobby:{s['code']}", "summary", json.dumps(s))
            await pipe.execute()
        # before: every request read every lobby
        reps = max(3, 3000 // n)
        before, began = await cpu(), time.process_time()
        for _ in range(reps):
            codes = sorted(c.decode() for c in await client.smembers(old_index))
            pipe = client.pipeline(transaction=False)
            for code in codes:
                pipe.hget(f"old:lobby:{code}", "summary")
            [json.loads(raw) for raw in await pipe.execute()]
        old_py = (time.process_time() - began) / reps * 1e6
        old_redis = (await cpu() - before) / reps
        # now: one build per refresh for the whole cluster, one GET per process per refresh
        shared = SharedLobbyList(client, directory, keys, refresh_s=2.0)
        before, began = await cpu(), time.process_time()
        for _ in range(3):
            built = await shared.build()
        build_py = (time.process_time() - began) / 3 * 1e3
        build_redis = (await cpu() - before) / 3
        blob = await client.get(keys.list_snapshot())
        before, began = await cpu(), time.process_time()
        for _ in range(5):
            await client.get(keys.list_snapshot())
        get_redis = (await cpu() - before) / 5
        began = time.process_time()
        LobbyList.from_bytes(blob)
        read_py = (time.process_time() - began) * 1e3
        out[n] = {"old_request_redis_us": old_redis, "old_request_py_us": old_py, "build_redis_us": build_redis,
                  "build_py_ms": build_py, "snapshot_get_redis_us": get_redis, "read_py_ms": read_py,
                  "snapshot_bytes": len(blob), "listed": len(built)}
    await client.aclose()
    return out


def main() -> None:
    from game.cluster.redismodel import own_redis

    snapshots = {n: LobbyList(synthetic(n)) for n in PAGE_SIZES}
    for snapshot in snapshots.values():
        assert all(len(snapshot.page(**q)["lobbies"]) == 25 for q in QUERIES)
    calls = {n: calls_per_request(s) for n, s in snapshots.items()}
    now_us = time_requests(snapshots)
    with own_redis(core=None) as url:
        redis = asyncio.run(redis_figures(url, SIZES))
    print("| lobbies | now: CPU µs per request | now: Python calls per request | before: Redis µs per request "
          "| before: process CPU µs per request | now, per refresh: Redis µs to build / to GET "
          "| CPU ms to build / read | snapshot bytes |")
    print("|---|---|---|---|---|---|---|---|")
    for n in PAGE_SIZES:
        if n not in redis:
            print(f"| {n:,} | {now_us[n]:.1f} | {calls[n]} | – | – | – | – | – |")
            continue
        r = redis[n]
        print(f"| {n:,} | {now_us[n]:.1f} | {calls[n]} | {r['old_request_redis_us']:,.0f} "
              f"| {r['old_request_py_us']:,.0f} | {r['build_redis_us']:,.0f} / {r['snapshot_get_redis_us']:,.0f} "
              f"| {r['build_py_ms']:.1f} / {r['read_py_ms']:.1f} | {r['snapshot_bytes']:,} |")


if __name__ == "__main__":
    main()
