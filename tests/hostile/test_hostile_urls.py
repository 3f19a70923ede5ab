"""Against the real server (daphne as `make run` starts it, and uvicorn): a hostile query
string is refused at the edge with its close code, and the lobby it names plays on."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
import websockets

from game import protocol
from tests.gameserver.test_smoke_daphne import receive_until
from tests.liveserver import HTTP_TIMEOUT_S, create_lobby, live_server
from tests.waits import ready_frame

pytestmark = pytest.mark.server

HOSTILE = [
    ("role=spectator&v=2&resume=%C3%A9", 4001),  # once ended the lobby for everyone
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
                # (Not "every member named guest is ready": a frame from before the guest sat holds none.)
                await receive_until(host, ready_frame(2))
                await host.send(protocol.encode_client("start"))
                before = await receive_until(guest, lambda f: f["k"] in ("full", "delta"))
                for query, expected in HOSTILE:
                    assert await close_code(f"{url}?{query}", base) == expected, query
                after = await receive_until(guest, lambda f: f["k"] in ("full", "delta")
                                            and f["tick"] > before["tick"] + 5)
                assert after["tick"] > before["tick"]
                assert (await asyncio.to_thread(lobby, base, code))["phase"] == "playing"

        asyncio.run(attack())


def lobby(base: str, code: str) -> dict:
    with urllib.request.urlopen(f"{base}/api/lobbies/{code}", timeout=HTTP_TIMEOUT_S) as reply:
        return json.loads(reply.read())["lobby"]


def upgrade_status(base: str, path: str, host: str, origin: str) -> int:
    """Send a websocket upgrade by hand (any Host) and return the HTTP status of the answer."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(base)
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               f"Origin: {origin}\r\n\r\n").encode("latin-1")
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
def test_a_websocket_upgrade_with_a_foreign_host_is_refused_like_http(tmp_path, kind):
    with live_server(tmp_path, kind) as base:
        code = create_lobby(base, game="arena", name="target")["code"]
        path = f"/ws/lobby/{code}/?name=x"
        port = base.rsplit(":", 1)[1]
        assert upgrade_status(base, path, f"127.0.0.1:{port}", base) == 101
        assert upgrade_status(base, path, "evil.example", base) == 403
        assert upgrade_status(base, path, f"evil.example:{port}", base) == 403
        assert upgrade_status(base, path, "127.0.0.1", "http://evil.example") == 403
