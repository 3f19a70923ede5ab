"""Against real daphne and uvicorn: a client that stops reading its socket does not stall its lobby."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import urllib.request

import pytest
import websockets

from game import protocol
from tests.liveserver import HTTP_TIMEOUT_S, create_lobby, live_server
from tests.waits import ready_frame

pytestmark = pytest.mark.server


def paused_reader(base: str, code: str) -> socket.socket:
    """Open a websocket by hand, join as a player, and never read again."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws/lobby/{code}/?name=stuck HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Origin: {base}\r\n\r\n").encode())
    sock.recv(1024)  # the handshake reply (and maybe the welcome): the last read ever
    ready = protocol.encode_client("ready", ready=True)
    mask = os.urandom(4)
    sock.sendall(bytes([0x82, 0x80 | len(ready)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(ready)))
    return sock


async def start_once_ready(host, players: int = 2) -> None:
    """Start the match once the host has seen every player ready (the paused player readied
    in the bytes it sent with its handshake): a start before that is refused."""
    async with asyncio.timeout(20):
        while not ready_frame(players)(protocol.decode_server(await host.recv())):
            pass
    await host.send(protocol.encode_client("start"))


@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
def test_a_paused_reader_does_not_stall_the_lobby(tmp_path, kind):
    with live_server(tmp_path, kind, GAME_COUNTDOWN_S="0.2") as base:
        created = create_lobby(base, game="arena", tick_rate=30)
        code, token = created["code"], created["host_token"]
        stuck = paused_reader(base, code)
        url = base.replace("http", "ws") + f"/ws/lobby/{code}/"

        async def play() -> list[int]:
            async with websockets.connect(f"{url}?name=host&token={token}", origin=base) as host:
                await start_once_ready(host)
                ticks: list[int] = []
                async with asyncio.timeout(20):
                    while len(ticks) < 150:  # 5 s of a 30 Hz match
                        frame = protocol.decode_server(await host.recv())
                        if frame["k"] in ("full", "delta"):
                            ticks.append(frame["tick"])
                            await host.send(protocol.encode_client(
                                "input", input_seq=len(ticks), d={"mx": 1, "my": 0, "aim": 0, "fire": True}))
                        assert frame["k"] != "error", frame
                return ticks

        try:
            ticks = asyncio.run(play())
        finally:
            stuck.close()
        # The healthy player got every tick, in order, while the other player read nothing.
        assert ticks == list(range(ticks[0], ticks[0] + len(ticks)))
        with urllib.request.urlopen(f"{base}/api/lobbies/{code}") as reply:
            detail = json.loads(reply.read())
        assert detail["lobby"]["players"] >= 1
        # A loop held up by the paused socket would skip a tick for every 33 ms it waited, hundreds
        # before the 10 s stall limit; a loaded machine makes a loop skip a few of its own (7 seen).
        assert detail["stats"]["skipped_ticks"] < 30, detail["stats"]


def state_frames_dropped(base: str) -> float:
    request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": "Bearer paused"})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as reply:
        lines = reply.read().decode().splitlines()
    return float(next(line.split()[-1] for line in lines if line.startswith("game_state_frames_dropped_total")))


@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
def test_a_paused_reader_is_dropped_and_meanwhile_gets_the_newest_state_only(tmp_path, kind):
    # 60 Hz with six bots: the paused player's socket backs up within seconds. Daphne used to
    # buffer its frames without end and never drop it.
    with live_server(tmp_path, kind, GAME_COUNTDOWN_S="0.2", GAME_OUTBOX_STALL_S="2", METRICS_TOKEN="paused") as base:
        created = create_lobby(base, game="arena", tick_rate=60)
        code, token = created["code"], created["host_token"]
        stuck = paused_reader(base, code)
        url = base.replace("http", "ws") + f"/ws/lobby/{code}/"

        async def play() -> list[int]:
            async with websockets.connect(f"{url}?name=host&token={token}", origin=base) as host:
                await host.send(protocol.encode_client("settings", settings={"bots": 6}))
                await start_once_ready(host)  # bots take their seats at the start
                ticks: list[int] = []
                # Before, ping timeouts dropped it after about 50 s (daphne) and 40 s (uvicorn).
                async with asyncio.timeout(30):
                    while True:
                        frame = protocol.decode_server(await host.recv())
                        if frame["k"] in ("full", "delta"):
                            ticks.append(frame["tick"])
                        elif frame["k"] == "event" and any(e.get("type") == "away" for e in frame["e"]):
                            return ticks  # the server dropped the paused player
                        assert frame["k"] != "error", frame

        try:
            ticks = asyncio.run(play())
        finally:
            stuck.close()
        assert ticks == list(range(ticks[0], ticks[0] + len(ticks)))  # the healthy player missed nothing
        assert state_frames_dropped(base) > 0  # stale state frames for the paused player were replaced
