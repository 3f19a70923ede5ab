"""Against the real server (daphne as `make run` starts it, and uvicorn): a hostile query
string is refused at the edge with its close code, and the lobby it names plays on."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
import websockets

from game import protocol

from .liveserver import create_lobby, live_server
from .test_smoke_daphne import receive_until

pytestmark = pytest.mark.server

HOSTILE = [
    ("role=spectator&v=1&resume=%C3%A9", 4001),  # once ended the lobby for everyone
    ("role=player&resume=%C3%A9", 4001),
    ("token=%C3%A9", 4001),
    ("resume=%FF%FE", 4001),
    ("role=host", 4001),
    ("name=" + "x" * 2000, 4001),
    ("v=99", 4000),
]


async def close_code(url: str, origin: str) -> int:
    async with websockets.connect(url, origin=origin) as ws:
        async with asyncio.timeout(10):
            try:
                while True:
                    await ws.recv()
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else -1


@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
def test_hostile_query_strings_are_refused_and_the_running_match_goes_on(tmp_path, kind):
    with live_server(tmp_path, kind, GAME_COUNTDOWN_S="0.2") as base:
        created = create_lobby(base, game="arena", name="target", tick_rate=20)
        code, token = created["code"], created["host_token"]
        url = base.replace("http", "ws") + f"/ws/lobby/{code}/"

        async def attack():
            async with websockets.connect(f"{url}?name=host&token={token}", origin=base) as host, \
                    websockets.connect(f"{url}?name=guest", origin=base) as guest:
                await receive_until(host, lambda f: f["k"] == "welcome")
                await receive_until(guest, lambda f: f["k"] == "welcome")
                await guest.send(protocol.encode_client("ready", ready=True))
                await receive_until(host, lambda f: f["k"] == "lobby" and all(
                    m["ready"] for m in f["lobby"]["members"] if m["name"] == "guest"))
                await host.send(protocol.encode_client("start"))
                before = await receive_until(guest, lambda f: f["k"] in ("full", "delta"))
                for query, expected in HOSTILE:
                    assert await close_code(f"{url}?{query}", base) == expected, query
                after = await receive_until(guest, lambda f: f["k"] in ("full", "delta")
                                            and f["tick"] > before["tick"] + 5)
                assert after["tick"] > before["tick"]
                with urllib.request.urlopen(f"{base}/api/lobbies/{code}", timeout=5) as reply:
                    assert json.loads(reply.read())["lobby"]["phase"] == "playing"

        asyncio.run(attack())
