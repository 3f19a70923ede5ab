"""Idle turn-based lobbies on a real server: ``manage.py viewbench idle`` (game.loadtest.viewbench).

A uvicorn server (the production command, pinned to the first core) runs ``lobbies`` Liar's
Dice lobbies; this process (pinned to the others) opens ``players`` websockets to each, the
host starts every match, and then nobody moves. The server's CPU (from /proc) is read over
``seconds`` three times: with no application message at all, with every client sending the
browser's ``ping`` every ``PING_EVERY_S`` (as the game page does for Liar's Dice), and every 2 s
(the page's default for other games). State frames received in each window are counted:
between moves there should be none.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

import msgpack

from game.loadtest.server import ServerProbe
from game.loadtest.wire import WebSocketClient
from game.protocol import PROTOCOL_VERSION

PING_EVERY_S = 10.0  # frontend/src/games/liars_dice.js pingEveryMs (the page's default is 2 s)
GAME = "liars_dice"


def _pack(kind: str, **fields) -> bytes:
    return msgpack.packb({"v": PROTOCOL_VERSION, "k": kind, **fields})


class Player(WebSocketClient):
    """One seat: counts what it receives; the host starts its lobby once all are ready."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__()
        self.counts = counts
        self.phase = ""
        self.players = 0

    def on_close(self, code: int, reason: str) -> None:
        self.counts[f"closed {code}"] = self.counts.get(f"closed {code}", 0) + 1

    def on_message(self, data: bytes | bytearray) -> None:
        frame = msgpack.unpackb(data, strict_map_key=False)
        kind = frame.get("k")
        self.counts[kind] = self.counts.get(kind, 0) + 1
        lobby = frame.get("lobby") if kind in ("lobby", "welcome") else None
        if lobby:
            self.phase = lobby.get("phase", self.phase)
            self.players = sum(1 for m in lobby.get("members", []) if m.get("role") == "player")


def _create(base: str, index: int) -> dict:
    body = {"game": GAME, "name": f"idle {index}", "max_players": 4, "tick_rate": 20,
            "settings": {"turn_time": 120}}
    request = urllib.request.Request(base + "/api/lobbies", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


async def _fill(base: str, lobbies: int, players: int, counts: dict[str, int]) -> list[list[Player]]:
    """Create each lobby and seat its players at once (an empty lobby closes after a minute)."""
    ws = base.replace("http://", "ws://")
    busy = asyncio.Semaphore(16)

    async def table(index: int) -> list[Player]:
        async with busy:
            lobby = await asyncio.to_thread(_create, base, index)
            seated = []
            for n in range(players):
                player = Player(counts)
                token = lobby["host_token"] if n == 0 else None
                url = f"{ws}/ws/lobby/{lobby['code']}/?role=player&name=p{n}" + (f"&token={token}" if token else "")
                await asyncio.wait_for(player.connect(url, base), 30)
                seated.append(player)
            return seated

    tables = await asyncio.gather(*(table(i) for i in range(lobbies)))
    try:
        await _wait(lambda: all(t[0].players == players for t in tables), 60)
    except TimeoutError:  # a lobby whose host missed a seat is left out (and counted)
        for seated in tables:
            if seated[0].players != players:
                for player in seated:
                    player.close()
        tables = [t for t in tables if t[0].players == players]
    for seated in tables:
        for player in seated[1:]:
            player.send(_pack("ready", ready=True))
    await asyncio.sleep(2.0)
    for seated in tables:
        seated[0].send(_pack("start"))
    await _wait(lambda: all(t[0].phase == "playing" for t in tables), 120,
                lambda: f"{sum(t[0].phase == 'playing' for t in tables)} of {lobbies} lobbies playing")
    return tables


async def _wait(ready, timeout: float, where=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the lobbies did not get there in time: {where()}")
        await asyncio.sleep(0.2)


async def _window(probe: ServerProbe, seconds: float, counts: dict[str, int], tables, ping: float | None) -> dict:
    before = dict(counts)
    probe.cpu_start = None
    probe.sample(inside=True)
    stop = time.monotonic() + seconds
    pinger = None
    if ping:
        every = ping

        async def pings() -> None:
            everyone = [p for t in tables for p in t]
            n = 0
            while time.monotonic() < stop:
                began = time.monotonic()
                for player in everyone:  # spread over the interval, as independent pages would be
                    player.send(_pack("ping", id=n, ct=0.0))
                    n += 1
                    if n % 100 == 0:
                        await asyncio.sleep(every * 100 / len(everyone))
                await asyncio.sleep(max(0.0, every - (time.monotonic() - began)))
        pinger = asyncio.ensure_future(pings())
    await asyncio.sleep(seconds)
    probe.sample(inside=True)
    if pinger is not None:
        pinger.cancel()
    got = {k: counts.get(k, 0) - before.get(k, 0) for k in counts}
    cpu = probe.summary(sum(len(t) for t in tables))
    return {"server_cpu_percent": cpu.get("server_cpu_percent"), "server_cpu_seconds": cpu.get("server_cpu_seconds"),
            "window_s": cpu.get("server_sampled_s"), "state_frames": got.get("full", 0) + got.get("delta", 0),
            "pongs": got.get("pong", 0), "rss_mb": cpu.get("server_rss_mb_end")}


def idle(lobbies: int = 1000, players: int = 4, seconds: float = 30.0, port: int = 0) -> dict:
    from game.loadtest.bench import _pin, server

    if _pin("1"):
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)))
    os.environ.setdefault("GAME_MAX_LOBBIES_PER_CLIENT", "100000")
    with tempfile.TemporaryDirectory() as tmp, server("uvicorn", 20, Path(tmp), "memory") as (port_, pid):
        base = f"http://127.0.0.1:{port_}"
        counts: dict[str, int] = {}
        probe = ServerProbe(pid)

        async def main() -> dict:
            began = time.monotonic()
            tables = await _fill(base, lobbies, players, counts)
            filled = time.monotonic() - began
            await asyncio.sleep(3.0)  # the starts settle
            # Three windows within the turn clock (120 s): nobody moves, nor does any clock run out.
            quiet = await _window(probe, seconds, counts, tables, ping=None)
            pinging = await _window(probe, seconds, counts, tables, ping=PING_EVERY_S)
            default = await _window(probe, seconds, counts, tables, ping=2.0)
            for table in tables:
                for player in table:
                    player.close()
            await asyncio.sleep(0.5)
            return {"lobbies": len(tables), "lobbies_asked": lobbies, "players": len(tables) * players,
                    "filled_in_s": round(filled, 1),
                    "quiet": quiet, f"pings every {PING_EVERY_S:g} s (the page, Liar's Dice)": pinging,
                    "pings every 2 s (the page's default)": default,
                    "closed": {k: v for k, v in counts.items() if k.startswith("closed")}}

        return asyncio.run(main())
