"""Lean spectators (`game.loadtest.watchers`): they count what a full bot would count, frames
split or merged anyhow, and time one state frame in SAMPLE_EVERY."""

from __future__ import annotations

import asyncio
import random
import time

import msgpack
from websockets.frames import Close, Frame, Opcode

from game import protocol
from game.loadtest import watchers
from game.loadtest.bots import Figures, Plan, Window
from game.loadtest.watchers import SAMPLE_EVERY, Tally, Watcher
from tests.loadtest.test_loadtest import FakeTransport, server_frame


def watcher(window: Window | None = None, offset: int = 0) -> tuple[Watcher, list[float], list[str]]:
    latencies, errors = [], []
    now = time.time()
    w = Watcher("ws://127.0.0.1:1/ws/lobby/AB/?role=spectator", "http://127.0.0.1:1", offset=offset,
                latencies=latencies, window=window or Window(now - 60, now + 60), errors=errors)
    w.connection_made(FakeTransport())
    w._handshaking = False
    return w, latencies, errors


def stream(count: int, stamp: int) -> tuple[bytes, int]:
    """``count`` state frames (full and delta, as the server packs them) with a lobby frame,
    an event and a ping among them; returns the bytes and the state frames' payload bytes."""
    frames, state_bytes = [], 0
    for tick in range(count):
        if tick % 10 == 0:
            payload = protocol.encode_full(tick=tick, time=stamp, snapshot={"e": {"p1": {"x": 1.5}}},
                                           last_processed_input={})
        else:
            payload = protocol.encode_delta(tick=tick, time=stamp, base=tick - 1, delta={"e": {}},
                                            last_processed_input={1: tick}, ev=[{"k": "shot"}] if tick % 7 else None)
        state_bytes += len(payload)
        frames.append(server_frame(Opcode.BINARY, payload))
        if tick == 3:
            frames.append(server_frame(Opcode.BINARY, protocol.encode_lobby(lobby={"phase": "playing"}, time=stamp)))
            frames.append(server_frame(Opcode.PING, b"hi"))
        if tick == 5:
            frames.append(server_frame(Opcode.BINARY, protocol.encode_events(tick=5, time=stamp, events=[])))
    return b"".join(frames), state_bytes


def test_state_frames_are_counted_however_the_stream_is_cut():
    stamp = int(time.time() * 1000) - 5
    data, state_bytes = stream(100, stamp)
    rng = random.Random(3)
    for cut in ("whole", "bytes", "chunks"):
        w, latencies, errors = watcher()
        if cut == "whole":
            w.data_received(data)
        elif cut == "bytes":
            for i in range(len(data)):
                w.data_received(data[i:i + 1])
        else:
            pos = 0
            while pos < len(data):
                step = rng.randint(1, 300)
                w.data_received(data[pos:pos + step])
                pos += step
        assert (w.frames, w.bytes) == (100, state_bytes), cut
        assert len(latencies) == -(-100 // SAMPLE_EVERY) and all(5 <= ms < 5000 for ms in latencies)
        assert not errors
        assert bytes(w.transport.written)[:2] == b"\x8a\x82"  # the ping answered: a masked pong of 2 bytes


def test_a_state_frame_with_its_keys_in_another_order_counts_too():
    w, latencies, _errors = watcher(offset=0)  # samples its first frame
    stamp = int(time.time() * 1000)
    w.data_received(server_frame(Opcode.BINARY, msgpack.packb({"v": 2, "k": "delta", "tick": 1, "time": stamp})))
    w.data_received(server_frame(Opcode.BINARY, msgpack.packb({"v": 2, "k": "welcome", "time": stamp})))
    assert w.frames == 1 and len(latencies) == 1


def test_watchers_sample_in_turn_and_only_inside_the_window():
    now = time.time()
    later = Window(now + 60, now + 120)
    data, _ = stream(SAMPLE_EVERY, int(now * 1000))
    sampled = []
    for offset in range(SAMPLE_EVERY):
        w, latencies, _ = watcher(offset=offset)
        w.data_received(data)
        sampled.append(len(latencies))
    assert sampled == [1] * SAMPLE_EVERY
    w, latencies, _ = watcher(window=later)
    w.data_received(data)
    assert w.frames == SAMPLE_EVERY and latencies == []


def test_error_frames_closes_and_protocol_errors_are_recorded():
    w, _, errors = watcher()
    error = protocol.encode_error(code="bad", msg="no", ref="x")
    close = Frame(Opcode.CLOSE, Close(4003, "lobby closed").serialize()).serialize(mask=False)
    w.data_received(server_frame(Opcode.BINARY, error) + close)
    assert errors == ["error frame: bad no (x)", "closed by the server with 4003 lobby closed"]
    w, _, errors = watcher()
    w.data_received(Frame(Opcode.BINARY, b"masked").serialize(mask=True))
    assert errors == ["protocol error: masked frame from the server"] and w.transport.closed


async def test_the_tally_counts_each_watchers_frames_inside_the_window():
    now = time.time()
    window = Window(now + 0.05, now + 0.25)
    figures = Figures()
    ws = [watcher(window)[0] for _ in range(3)]
    tally = Tally(ws, window, figures)
    task = asyncio.create_task(tally.run())
    ws[0].frames = 5  # before the window: not counted
    await asyncio.sleep(window.start + 0.02 - time.time())  # inside the window (no timing asserted)
    ws[0].frames += 2
    ws[2].frames += 7
    await task
    assert [e - s for s, e in zip(tally.at_start, tally.at_end, strict=True)] == [2, 0, 7]
    assert figures.per_second == {0: 9}


def test_the_url_is_a_spectators():
    assert watchers.watcher_url("http://127.0.0.1:8000", "AB12", "watch3") == \
        "ws://127.0.0.1:8000/ws/lobby/AB12/?role=spectator&name=watch3"


async def test_watchers_watch_a_server_that_only_broadcasts():
    """End to end on a loopback server (`game.loadtest.fanout`): every watcher connects, is
    counted over the window and samples its latency; counts only, no timing asserted."""
    from game.loadtest import fanout
    from game.loadtest.bench import _port

    port = _port()
    server = asyncio.create_task(fanout.serve(port, 20))
    try:
        await until_listening(port)
        url = f"http://127.0.0.1:{port}"
        plan = Plan(url=url, lobbies=1, players=0, spectators=20, tick_rate=20, duration_s=1.0, warmup_s=1.0,
                    game="arena", input_rate=0)
        start = time.time() + 3.0  # 20 handshakes before the window, on a busy machine too
        figures = await watchers.watch(plan, [({"code": "X", "base": url}, i) for i in range(20)],
                                       Window(start, start + 1.0))
    finally:
        server.cancel()
    assert figures.clients == 20 and len(figures.spectator_shares) == 20 and not figures.errors
    assert figures.frames == figures.spectator_frames == sum(figures.per_second.values()) > 0
    assert figures.spectator_latencies_ms and figures.spectator_sample_every == SAMPLE_EVERY
    assert figures.spectators_late == 0


async def until_listening(port: int) -> None:
    for _ in range(500):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.01)
