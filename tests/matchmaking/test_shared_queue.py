"""The quick-match queue of a cluster (game.matchmaking.shared): two players whose sockets reach
different processes are matched into one lobby and play. Real daphne processes on Redis and
PostgreSQL (skips without REDIS_URL and DATABASE_URL)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import websockets

from game import protocol
from tests.cluster.harness import ROOT, Cluster, Player

pytestmark = [pytest.mark.server,
              pytest.mark.skipif(not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL")),
                                 reason="a cluster needs REDIS_URL and DATABASE_URL")]


@pytest.fixture
def cluster(tmp_path):
    base = os.environ["DATABASE_URL"]
    name = f"gs_mm_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(base)._replace(path="/" + name))
    made = Cluster(tmp_path, url, os.environ["REDIS_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=made.env,
                   check=True, timeout=180)
    yield made
    made.close()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def queue(cluster, proc: str, name: str):
    url = f"ws://127.0.0.1:{cluster.ports[proc]}/ws/queue/pong/?v={protocol.PROTOCOL_VERSION}&name={name}"
    ws = await websockets.connect(url, origin=cluster.http(proc))
    await ws.send(protocol.encode_client("join"))
    return ws


async def matched(ws) -> dict:
    async with asyncio.timeout(20):
        while True:
            frame = protocol.decode_server(await ws.recv())
            if frame["k"] == "matched":
                return frame
            if frame["k"] == "queue" and frame["queued"]:
                assert frame["waiting"] in (1, 2)  # the cluster's queue, not this process's


def test_players_on_two_processes_are_matched_and_play(cluster):
    for name in "AB":
        cluster.start(name)

    async def play():
        alice, bob = await queue(cluster, "A", "alice"), await queue(cluster, "B", "bob")
        first, second = await asyncio.gather(matched(alice), matched(bob))
        assert first["code"] == second["code"] and first["token"] != second["token"]
        assert {p["name"] for p in first["players"]} == {"alice", "bob"}
        await alice.close()
        await bob.close()
        code = first["code"]
        seats = [await Player(cluster.ws(proc, code, f"name={who}&token={m['token']}"), cluster.http(proc)).connect()
                 for proc, who, m in (("A", "alice", first), ("B", "bob", second))]
        for seat in seats:  # the lobby starts by itself once every reserved seat is taken
            await seat.event("match_start", timeout=20)
        for seat in seats:
            await seat.disconnect()

    asyncio.run(play())
