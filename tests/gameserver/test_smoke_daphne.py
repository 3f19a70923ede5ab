"""Smoke test: the real server process (daphne, and uvicorn with the game's websocket protocol),
a real websocket client, real state frames."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from game import protocol
from tests.liveserver import create_lobby, live_server
from tests.waits import ready_frame

pytestmark = pytest.mark.server


async def receive_until(ws, predicate, timeout=30.0):  # (a cap: it returns at the frame)
    async with asyncio.timeout(timeout):
        while True:
            frame = protocol.decode_server(await ws.recv())
            if predicate(frame):
                return frame


@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
def test_daphne_serves_a_lobby_and_streams_state_frames(tmp_path, kind):
    with live_server(tmp_path, kind, GAME_COUNTDOWN_S="0.2") as base:
        created = create_lobby(base, game="arena", name="smoke", tick_rate=30)
        code, token = created["code"], created["host_token"]
        url = base.replace("http", "ws") + f"/ws/lobby/{code}/"

        async def play():
            async with websockets.connect(f"{url}?name=host&token={token}", origin=base) as host, \
                    websockets.connect(f"{url}?name=guest", origin=base) as guest:
                welcome = await receive_until(host, lambda f: f["k"] == "welcome")
                assert welcome["host"] is True and welcome["lobby"]["game"] == "arena"
                await receive_until(guest, lambda f: f["k"] == "welcome")
                await guest.send(protocol.encode_client("ready", ready=True))
                await receive_until(host, ready_frame())  # a start before the guest's ready is refused
                await host.send(protocol.encode_client("start"))
                ticks = []
                for _ in range(10):
                    frame = await receive_until(guest, lambda f: f["k"] in ("full", "delta"))
                    ticks.append(frame["tick"])
                    await host.send(protocol.encode_client("input", input_seq=len(ticks),
                                                           d={"mx": 1, "my": 0, "aim": 0, "fire": True}))
                assert ticks == sorted(ticks) and len(set(ticks)) == 10
                acked = await receive_until(guest, lambda f: f["k"] in ("full", "delta")
                                            and max(f["last_processed_input"].values()) >= 5)
                assert acked["time"] > 0

        asyncio.run(play())
