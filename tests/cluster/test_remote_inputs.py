"""A remote player's inputs: none dropped as ``overloaded`` by a healthy cluster, and the
error frames it does get follow the same one-per-code-and-kind-a-second rule as a local one."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from .harness import Player

pytestmark = pytest.mark.server


async def seat(cluster, proc: str, code: str, query: str) -> Player:
    player = await Player(cluster.ws(proc, code, query), cluster.http(proc)).connect()
    await player.until(lambda f: f["k"] == "welcome")
    return player


async def start_pong(cluster, *, host_on: str, guest_on: str) -> tuple[Player, Player]:
    created = cluster.create_lobby(host_on, game="pong", name="inputs")
    code, token = created["code"], created["host_token"]
    host = await seat(cluster, host_on, code, f"name=host&token={token}")
    guest = await seat(cluster, guest_on, code, "name=guest")
    await guest.send("ready", ready=True)
    await host.until(lambda f: f["k"] == "lobby" and any(m["ready"] for m in f["lobby"]["members"]))
    await host.send("start")
    for client in (host, guest):
        await client.event("match_start")
    return host, guest


def errors(player: Player, code: str) -> list[dict]:
    return [f for f in player.frames if f["k"] == "error" and f["code"] == code]


def test_a_remote_player_sending_one_input_a_tick_is_never_overloaded(cluster):
    """The player's process pauses for 0.6 s (a busy core, a long GC pause): its inputs, sent
    one a tick all along, reach the owner together afterwards. A local player's would be
    applied a tick at a time as they came; the remote player's must not be refused either."""
    cluster.env["GAME_LEASE_TTL_S"] = "4"  # the pause is far shorter than B's heartbeat lasts
    for name in "AB":
        cluster.start(name)

    async def play():
        host, guest = await start_pong(cluster, host_on="A", guest_on="B")
        me, period = guest.welcome["you"], 1 / 20
        began = time.monotonic()
        input_seq, paused = 0, None
        while time.monotonic() - began < 3.0:  # one input per tick, paced by the clock
            input_seq += 1
            await guest.send("input", input_seq=input_seq, d={"my": 1.0 if input_seq % 2 else -1.0})
            elapsed = time.monotonic() - began
            if paused is None and elapsed >= 1.0:
                paused = time.monotonic()
                cluster.procs["B"].send_signal(signal.SIGSTOP)
            elif paused and time.monotonic() - paused >= 0.6:
                cluster.procs["B"].send_signal(signal.SIGCONT)
                paused = 0.0
            await asyncio.sleep(max(0.0, began + input_seq * period - time.monotonic()))  # a client's input rate
        await guest.until(lambda f: f["k"] in ("full", "delta") and f["last_processed_input"].get(me, -1) >= input_seq,
                          timeout=10)
        assert errors(guest, "overloaded") == [], errors(guest, "overloaded")
        for client in (host, guest):
            await client.disconnect()

    try:
        asyncio.run(play())
    finally:
        cluster.procs["B"].send_signal(signal.SIGCONT)


def test_a_remote_players_errors_are_one_per_code_and_kind_a_second(cluster):
    """The owner's refusals reach a remote member through its socket's error budget."""
    for name in "AB":
        cluster.start(name)

    async def play():
        host, guest = await start_pong(cluster, host_on="A", guest_on="B")
        start = len(guest.frames)
        for _ in range(6):  # host-only commands, refused by the owner (A) with `forbidden`
            await guest.send("kick", target=host.welcome["you"])
        await guest.send("chat", text="after the kicks")  # the owner handles it after them
        said = await guest.until(lambda f: f["k"] == "event" and any(e["type"] == "chat" for e in f["e"]),
                                 since=start)
        # Two ticks later every refusal of the kicks has long reached B (same Redis, in order).
        await guest.until(lambda f: f["k"] in ("full", "delta") and f["tick"] >= said["tick"] + 2, since=start)
        refused = [f for f in guest.frames[start:] if f["k"] == "error" and f["code"] == "forbidden"]
        assert len(refused) == 1, refused
        for client in (host, guest):
            await client.disconnect()

    asyncio.run(play())
