"""The websocket Origin check as docs/protocol.md states it: the Origin's host must be one of
ALLOWED_HOSTS; its scheme and port are not compared; a handshake without an Origin (or with
``Origin: null``) is refused with HTTP 403 before the websocket opens."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from channels.testing import WebsocketCommunicator

from gameserver.asgi import application
from tests.game.test_consumers import make_lobby
from tests.liveserver import create_lobby, live_server

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(code: str, origin: bytes | None) -> bool:
    headers = [(b"host", b"127.0.0.1:8000")] + ([(b"origin", origin)] if origin is not None else [])
    comm = WebsocketCommunicator(application, f"/ws/lobby/{code}/?name=o", headers=headers)
    connected, _ = await comm.connect(timeout=5)
    await comm.disconnect()
    return connected


@pytest.mark.parametrize("origin", [b"http://127.0.0.1", b"http://127.0.0.1:8000", b"https://127.0.0.1:1",
                                    b"http://localhost:5173", b"http://[::1]:9"])
async def test_an_allowed_host_on_any_port_or_scheme_is_accepted(origin):
    _runtime, loop = await make_lobby()
    assert await handshake(loop.lobby.code, origin)


@pytest.mark.parametrize("origin", [None, b"null", b"", b"http://evil.example", b"http://127.0.0.2:8000",
                                    b"http://127.0.0.1.evil.example"])
async def test_a_missing_or_foreign_origin_is_refused(origin):
    _runtime, loop = await make_lobby()
    assert not await handshake(loop.lobby.code, origin)


@pytest.mark.server
@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
def test_the_real_servers_answer_403_without_an_origin_and_ignore_its_port(tmp_path, kind):
    with live_server(tmp_path, kind) as base:
        code = create_lobby(base, game="pong")["code"]
        url = base.replace("http", "ws") + f"/ws/lobby/{code}/?name=o"

        async def check():
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with websockets.connect(url, origin=None):
                    pass
            assert refused.value.response.status_code == 403
            async with websockets.connect(url, origin="http://127.0.0.1:1") as ws:  # another port
                assert (await asyncio.wait_for(ws.recv(), 5))[:1]  # its welcome

        asyncio.run(check())
