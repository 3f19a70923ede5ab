"""SIGTERM on one process (daphne and uvicorn): a running match plays to its end, is saved as
finished, and the process exits; a match that would outlast GAME_DRAIN_S is saved as aborted."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time

import pytest
import websockets

from game import protocol
from tests.liveserver import create_lobby, live_server_process

pytestmark = pytest.mark.server


async def start_match(base: str, lobby: dict) -> tuple[object, object]:
    url = base.replace("http", "ws") + f"/ws/lobby/{lobby['code']}/"
    host = await websockets.connect(f"{url}?name=host&token={lobby['host_token']}", origin=base)
    guest = await websockets.connect(f"{url}?name=guest", origin=base)
    await guest.send(protocol.encode_client("ready", ready=True))
    async with asyncio.timeout(10):
        while True:  # the host starts once the guest's ready is in
            frame = protocol.decode_server(await host.recv())
            if frame["k"] == "lobby" and all(m["ready"] or m["id"] == frame["lobby"]["host"]
                                             for m in frame["lobby"]["members"] if m["role"] == "player") \
                    and len(frame["lobby"]["members"]) == 2:
                await host.send(protocol.encode_client("start"))
            if frame["k"] in ("full", "delta"):
                return host, guest


async def events_until_closed(ws) -> tuple[list[dict], int | None]:
    events: list[dict] = []
    try:
        async with asyncio.timeout(20):
            async for data in ws:
                frame = protocol.decode_server(data)
                if frame["k"] == "event":
                    events += frame["e"]
    except websockets.ConnectionClosed:
        pass
    return events, ws.close_code


@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
@pytest.mark.parametrize("time_limit_s, status", [(3, "finished"), (60, "aborted")])
def test_sigterm_lets_the_running_match_end_within_the_drain_time(tmp_path, kind, time_limit_s, status):
    with live_server_process(tmp_path, kind, GAME_COUNTDOWN_S="0.2", GAME_DRAIN_S="6") as (base, proc):
        lobby = create_lobby(base, game="arena", name="drain", tick_rate=20,
                             settings={"time_limit_s": time_limit_s})

        async def scenario() -> tuple[list[dict], int | None, float]:
            host, guest = await start_match(base, lobby)
            proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            events, code = await events_until_closed(guest)
            waited = time.monotonic() - sent
            host.transport.abort()  # the server is gone: no closing handshake to wait for
            return events, code, waited

        events, code, waited = asyncio.run(scenario())
        assert proc.wait(30) in (0, -signal.SIGTERM)
        rows = sqlite3.connect(tmp_path / "live.sqlite3").execute("select status from game_match").fetchall()
    kinds = [e["type"] for e in events]
    over = [(e["status"], e["reason"]) for e in events if e["type"] == "match_over"]
    assert rows == [(status,)]
    assert code == protocol.CLOSE["lobby_closed"] and "lobby_closed" in kinds
    if status == "finished":  # played to its end: about 3 s, well before the drain time ran out
        assert over == [("finished", "time_up")] and waited < 6
    else:  # cut at the drain time: its match_over says so, just before lobby_closed (docs/protocol.md)
        assert over == [("aborted", "lobby_shutdown")] and kinds[-2:] == ["match_over", "lobby_closed"]
        assert waited >= 5.5
