"""SIGTERM on one process: while it drains (a match still plays elsewhere on it), a lobby that
has not started gets the error ``draining`` for ``start`` instead of a match that would only
be cut short (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import signal
import urllib.error

import pytest
import websockets

from game import protocol
from tests.liveserver import create_lobby, live_server_process

pytestmark = pytest.mark.server


async def host_of(base: str, lobby: dict):
    """The lobby's host, alone with a bot (so a start needs nobody else)."""
    url = base.replace("http", "ws") + f"/ws/lobby/{lobby['code']}/?name=host&token={lobby['host_token']}"
    ws = await websockets.connect(url, origin=base)
    await frame_of(ws, lambda f: f["k"] == "welcome")
    await ws.send(protocol.encode_client("settings", settings={"bots": 1}))
    await frame_of(ws, lambda f: f["k"] == "event" and any(e["type"] == "settings" for e in f["e"]))
    return ws


async def frame_of(ws, predicate) -> dict:
    async with asyncio.timeout(15):
        while True:
            frame = protocol.decode_server(await ws.recv())
            if predicate(frame):
                return frame


def refused_as_draining(base: str) -> bool:
    try:
        create_lobby(base, game="arena", name="late")
    except urllib.error.HTTPError as refused:
        return refused.code == 503
    return False


def test_a_draining_process_starts_no_match(tmp_path):
    with live_server_process(tmp_path, "daphne", GAME_COUNTDOWN_S="0.2", GAME_DRAIN_S="8") as (base, proc):
        playing = create_lobby(base, game="arena", name="playing", settings={"time_limit_s": 60})
        waiting = create_lobby(base, game="arena", name="waiting")

        async def scenario() -> dict:
            first = await host_of(base, playing)
            await first.send(protocol.encode_client("start"))
            await frame_of(first, lambda f: f["k"] in ("full", "delta"))  # a match runs: the drain waits for it
            second = await host_of(base, waiting)
            proc.send_signal(signal.SIGTERM)
            while not refused_as_draining(base):  # noqa: ASYNC110 (the drain shows only in HTTP answers)
                await asyncio.sleep(0.05)
            await second.send(protocol.encode_client("start"))
            refusal = await frame_of(second, lambda f: f["k"] in ("error", "event"))
            for ws in (first, second):
                ws.transport.abort()
            return refusal

        refusal = asyncio.run(scenario())
    assert refusal["k"] == "error" and refusal["code"] == "draining" and refusal["ref"] == "start"
