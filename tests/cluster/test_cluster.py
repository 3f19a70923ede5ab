"""One lobby across three daphne processes; its owner killed; its owner stopped (SIGTERM)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis

from game.cluster.keys import Keys

from .harness import Player

pytestmark = pytest.mark.server


def lease_of(cluster, code: str) -> str | None:
    value = redis.Redis.from_url(cluster.redis_url).get(Keys(cluster.prefix).lease(code))
    return value.decode() if value else None


async def seat(cluster, proc: str, code: str, query: str) -> Player:
    player = await Player(cluster.ws(proc, code, query), cluster.http(proc)).connect()
    await player.until(lambda f: f["k"] == "welcome")
    return player


async def start_pong(cluster, code: str, token: str, *, host_on: str, guest_on: str, spectator_on: str,
                     settings: dict | None = None):
    host = await seat(cluster, host_on, code, f"name=host&token={token}")
    if settings:
        await host.send("settings", settings=settings)
        await host.event("settings")
    guest = await seat(cluster, guest_on, code, "name=guest")
    watcher = await seat(cluster, spectator_on, code, "name=watcher&role=spectator")
    assert host.welcome["host"] and guest.welcome["role"] == "player"
    await guest.send("ready", ready=True)
    await host.until(lambda f: f["k"] == "lobby" and any(m["ready"] for m in f["lobby"]["members"]))
    await host.send("start")
    for client in (host, guest, watcher):
        await client.event("match_start")
    return host, guest, watcher


def test_one_lobby_across_three_processes(cluster):
    for name in "ABC":
        cluster.start(name)
    created = cluster.create_lobby("A", game="pong", name="cross")
    code, token = created["code"], created["host_token"]
    assert any(lobby["code"] == code for lobby in cluster.get("C", "/api/lobbies")["lobbies"])
    assert "stats" in cluster.get("A", f"/api/lobbies/{code}")  # the owner runs its loop...
    assert "stats" not in cluster.get("B", f"/api/lobbies/{code}")  # ...the others only know of it

    async def play():
        host, guest, watcher = await start_pong(cluster, code, token, host_on="A", guest_on="B", spectator_on="C",
                                                settings={"spectator_delay": 1})
        await guest.send("chat", text="hello from B")
        for client in (host, watcher):
            assert (await client.event("chat"))["text"] == "hello from B"
        me = guest.welcome["you"]
        for input_seq in range(1, 30):  # the remote player's inputs reach the owner's loop
            await guest.send("input", input_seq=input_seq, d={"my": 1.0})
            await asyncio.sleep(0.02)  # a client's input rate
        acked = await host.until(lambda f: f["k"] in ("full", "delta") and f["last_processed_input"].get(me, -1) >= 20)
        assert acked["last_processed_input"][me] >= 20
        # The spectator, a second late, has seen that tick too.
        await watcher.until(lambda f: f["k"] in ("full", "delta") and f["tick"] >= acked["tick"], timeout=10)
        views = [c.views() for c in (host, guest, watcher)]
        common = set(views[0]) & set(views[1]) & set(views[2])
        assert len(common) >= 5, "too few ticks seen by all three"
        for tick in common:  # one game, one loop: the same state everywhere
            assert views[0][tick] == views[1][tick] == views[2][tick]
        behind = host.states()[-1]["tick"] - watcher.states()[-1]["tick"]
        assert 15 <= behind <= 25  # the spectator on C watches a second late (20 ticks)
        ticks = [f["tick"] for f in guest.states()]
        assert ticks == sorted(ticks)
        owner, relaying = cluster.metrics("A"), cluster.metrics("B")
        assert owner["game_cluster_leases"] == 1 and owner["game_cluster_remote_members"] == 2
        assert owner["game_cluster_relay_frames_sent_total"] > 20
        assert relaying["game_cluster_leases"] == 0 and relaying["game_cluster_relay_frames_received_total"] > 20
        for client in (host, guest, watcher):
            await client.disconnect()

    asyncio.run(play())
    owner = lease_of(cluster, code)
    assert owner is not None and owner.endswith("|1")  # one owner, never replaced
    assert "took over" not in cluster.log("B") + cluster.log("C")


def test_owner_killed_lobby_moves_and_match_is_recorded_aborted_once_without_continuity(cluster):
    cluster.env["GAME_CONTINUITY"] = "0"  # (with it the match goes on: tests/cluster/test_continuity.py)
    for name in "ABC":
        cluster.start(name)
    created = cluster.create_lobby("A", game="pong", name="doomed")
    code, token = created["code"], created["host_token"]

    async def play():
        host, guest, watcher = await start_pong(cluster, code, token, host_on="B", guest_on="C", spectator_on="B")
        match_id = (await host.event("match_start", since=0))["match"]
        killed = time.monotonic()
        cluster.kill("A")
        for client in (host, guest, watcher):
            assert await client.closed(timeout=10) == 4013  # moved: reconnect and resume
        welcomes = await asyncio.gather(host.resume(cluster.ws("B", code, f"name=host&token={token}")),
                                        guest.resume(cluster.ws("C", code, "name=guest")),
                                        watcher.resume(cluster.ws("C", code, "name=watcher&role=spectator")))
        failover_s = time.monotonic() - killed
        assert welcomes[0]["resumed"] and welcomes[1]["resumed"]
        assert welcomes[0]["you"] == host.welcome["you"] and welcomes[0]["host"]
        assert welcomes[0]["lobby"]["phase"] == "finished"
        assert failover_s < 8, f"failover: {failover_s:.2f} s from SIGKILL to seats resumed on the new owner"
        # The lobby goes on under its new owner: a rematch plays.
        await host.send("rematch")
        await guest.until(lambda f: f["k"] in ("full", "delta"), timeout=10, since=len(guest.frames))
        for client in (host, guest, watcher):
            await client.disconnect()
        return match_id

    match_id = asyncio.run(play())
    owner = lease_of(cluster, code)
    assert owner is not None and not owner.endswith("|1")  # a new epoch
    deadline = time.monotonic() + 10
    while not (rows := cluster.query("SELECT status, reason, epoch FROM game_match WHERE id = %s", match_id)):
        assert time.monotonic() < deadline, "the aborted match was never saved"
        time.sleep(0.2)
    assert rows == [("aborted", "owner_lost", int(owner.rsplit("|", 1)[1]))]
    results = cluster.query("SELECT count(*) FROM game_result WHERE match_id = %s", match_id)
    assert results == [(2,)]


def test_sigterm_hands_lobbies_over_and_exits_without_continuity(cluster):
    cluster.env["GAME_CONTINUITY"] = "0"  # (with it the match goes on: tests/cluster/test_continuity.py)
    for name in "AB":
        cluster.start(name)
    created = cluster.create_lobby("A", game="pong", name="handover")
    code, token = created["code"], created["host_token"]
    idle = cluster.create_lobby("A", game="arena", name="idle")["code"]

    async def play():
        host, guest, watcher = await start_pong(cluster, code, token, host_on="A", guest_on="B", spectator_on="B")
        match_id = (await host.event("match_start", since=0))["match"]
        proc = cluster.terminate("A")
        for client in (host, guest, watcher):
            assert await client.closed(timeout=15) == 4013
        await asyncio.to_thread(proc.wait, 15)  # A exits after draining (TimeoutExpired if not)
        assert proc.returncode in (0, -15, 143), cluster.log("A")
        welcomes = await asyncio.gather(host.resume(cluster.ws("B", code, f"name=host&token={token}")),
                                        guest.resume(cluster.ws("B", code, "name=guest")))
        assert all(w["resumed"] for w in welcomes) and welcomes[0]["host"]
        for client in (host, guest, watcher):
            await client.disconnect()
        return match_id

    match_id = asyncio.run(play())
    assert "drained" in cluster.log("A")
    rows = cluster.query("SELECT status, reason FROM game_match WHERE id = %s", match_id)
    assert rows == [("aborted", "handover")]  # recorded once, by the process that stopped
    assert any(lobby["code"] == idle for lobby in cluster.get("B", "/api/lobbies")["lobbies"])


def test_a_remote_arena_player_moves_and_shoots(cluster):
    """Inputs whose cleaned form is not a plain value (arena's) cross processes as sent."""
    for name in "AB":
        cluster.start(name)
    created = cluster.create_lobby("A", game="arena", name="arena")
    code, token = created["code"], created["host_token"]

    async def play():
        host = await seat(cluster, "A", code, f"name=host&token={token}")
        guest = await seat(cluster, "B", code, "name=guest")
        await guest.send("ready", ready=True)
        await host.until(lambda f: f["k"] == "lobby" and any(m["ready"] for m in f["lobby"]["members"]))
        await host.send("start")
        await guest.event("match_start")
        me = f"p{guest.welcome['you']}"
        start = len(host.frames)
        x0 = host.views()[max(host.views())]["e"][me]["x"]
        for input_seq in range(1, 25):
            await guest.send("input", input_seq=input_seq, d={"mx": 1, "my": 0, "aim": 0.0, "fire": input_seq % 5 == 0})
            await asyncio.sleep(0.03)  # a client's input rate
        await host.until(lambda f: f["k"] in ("full", "delta")
                         and f["last_processed_input"].get(guest.welcome["you"], -1) >= 20,
                         since=start)
        x1 = host.views()[max(host.views())]["e"][me]["x"]
        assert x1 > x0 + 20  # it moved right, on the owner, for everyone
        await guest.send("input", input_seq=99, d={"mx": "left"})  # refused on B, the lobby plays on
        assert (await guest.until(lambda f: f["k"] == "error"))["code"] == "bad_field"
        await host.until(lambda f: f["k"] in ("full", "delta"), since=len(host.frames))
        for client in (host, guest):
            await client.disconnect()

    asyncio.run(play())
    assert "crashed" not in cluster.log("A")
