"""The load tester: a tiny run of the shipped command against a real daphne must work end to
end (it measures; it asserts no speed — benchmarks do that, not tests), and its lean websocket
client must speak RFC 6455 as websockets' own parser and server understand it."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time

import msgpack
import pytest
from websockets.asyncio.server import serve
from websockets.frames import Close, Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from game.loadtest import wire
from game.loadtest.bots import Figures, Inputs, Plan, Window, encode_input, state_time
from game.loadtest.watchers import SAMPLE_EVERY
from tests.liveserver import ROOT, live_server
from tests.waits import until


@pytest.mark.server
@pytest.mark.parametrize(("delay", "client"), [(0, "lean"), (1, "lean"), (0, "full")])
def test_loadtest_command_runs_and_reports(tmp_path, delay, client):
    with live_server(tmp_path, GAME_COUNTDOWN_S="0.2") as base:
        pid = int(subprocess.run(["pgrep", "-f", f"daphne -b 127.0.0.1 -p {base.rsplit(':', 1)[1]}"],
                                 capture_output=True, text=True, check=False).stdout.split()[0])
        env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings"}
        out = subprocess.run(
            [sys.executable, "manage.py", "loadtest", "--url", base, "--lobbies", "2", "--players", "3",
             "--spectators", "1", "--spectator-delay", str(delay), "--duration", "2", "--warmup", str(5 + delay),
             "--processes", "2", "--spectator-client", client, "--quiet",
             "--server-pid", str(pid), "--json", str(tmp_path / "out.json"), "--plot", str(tmp_path / "out.png")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "out.json").read_text())["summary"]
    assert summary["clients"] == 8 and summary["frames"] > 0
    # Spectators apart: both got frames (the delayed feed's, with a delay), each one's share counted.
    assert summary["spectators"] == 2 and 0 < summary["spectator_frames"] < summary["frames"]
    assert 0 < summary["spectator_min_share"] <= summary["spectator_delivered_ratio"] <= 1.05
    assert summary["spectator_latency_ms_p99"] >= 0 and 0 < summary["player_delivered_ratio"] <= 1.05
    assert summary["spectator_client"] == client
    assert summary["spectator_latency_one_in"] == {"lean": SAMPLE_EVERY, "full": 1}[client]
    assert summary["client_errors"] == 0, summary["client_error_samples"]
    assert 0 < summary["delivered_ratio"] <= 1.05
    assert summary["latency_ms_p50"] >= 0 and summary["server_rss_mb_end"] > 0
    assert 0 < summary["inputs_ratio"] <= 1.1  # the bots' own load is measured too
    assert (tmp_path / "out.png").stat().st_size > 10_000
    assert "delivered_ratio" in out.stdout


@pytest.mark.server
def test_matches_of_a_set_length_are_rematched_back_to_back(tmp_path):
    with live_server(tmp_path, GAME_COUNTDOWN_S="0.2") as base:
        env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings"}
        out = subprocess.run(
            [sys.executable, "manage.py", "loadtest", "--url", base, "--lobbies", "1", "--players", "2",
             "--match-s", "1", "--duration", "5", "--warmup", "2", "--quiet", "--json", str(tmp_path / "out.json")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "out.json").read_text())["summary"]
    # The host rematched: more than one match ended, and inputs in flight as one ended were no error.
    assert summary["match_s"] == 1 and summary["matches_ended"] >= 2
    assert summary["client_errors"] == 0, summary["client_error_samples"]
    assert summary["frames"] > 0


# The wire: client frames as websockets' server parses them, server frames as websockets makes them.


class FakeTransport:
    def __init__(self) -> None:
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.written += data

    def close(self) -> None:
        self.closed = True

    abort = close


class Recorder(wire.WebSocketClient):
    """A client past its handshake, on a fake transport, recording what its hooks see."""

    def __init__(self, max_size: int = 2**20) -> None:
        super().__init__(max_size=max_size)
        self.messages: list[bytes | str] = []
        self.closes: list[tuple[int, str]] = []
        self.errors: list[str] = []
        self.connection_made(FakeTransport())
        self._handshaking = False

    def on_message(self, data) -> None:
        self.messages.append(bytes(data))

    def on_text(self, text: str) -> None:
        self.messages.append(text)

    def on_close(self, code: int, reason: str) -> None:
        self.closes.append((code, reason))

    def on_error(self, message: str) -> None:
        self.errors.append(message)

    def sent(self) -> list[Frame]:
        """What the client wrote, parsed by websockets' server side (which insists on masks)."""
        server = ServerProtocol(state=State.OPEN, max_size=None)
        server.receive_data(bytes(self.transport.written))
        assert server.parser_exc is None, server.parser_exc
        return server.events_received()


def server_frame(opcode, data: bytes, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=False)


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 47, 125, 126, 127, 1000, 65535, 65536, 70001])
def test_masked_client_frames_parse_with_websockets(size):
    payload = random.Random(size).randbytes(size)
    for _ in range(3):  # a fresh mask each time
        frame = wire.client_frame(wire.OP_BINARY, payload, random.getrandbits(32))
        assert frame[1] & 0x80, "client frames are masked"
        server = ServerProtocol(state=State.OPEN, max_size=None)
        server.receive_data(frame)
        assert server.parser_exc is None
        (event,) = server.events_received()
        assert event.opcode == Opcode.BINARY and event.fin and event.data == payload


def test_send_and_close_reach_a_websockets_server_as_sent():
    client = Recorder()
    client.send(b"\x81\xa1k\xa5input")
    client.send(b"")
    client.close(1000, "done")
    client.send(b"after the close")  # dropped: the connection is closing
    frames = client.sent()
    assert [(f.opcode, f.data) for f in frames[:2]] == [(Opcode.BINARY, b"\x81\xa1k\xa5input"), (Opcode.BINARY, b"")]
    assert frames[2].opcode == Opcode.CLOSE and Close.parse(frames[2].data) == Close(1000, "done")
    assert len(frames) == 3 and client.transport.closed


@pytest.mark.parametrize("size", [10, 125, 126, 300, 65535, 65536, 70000])
def test_server_frames_of_every_length_encoding(size):
    client = Recorder()
    payload = random.Random(size).randbytes(size)
    client.data_received(server_frame(Opcode.BINARY, payload))
    assert client.messages == [payload] and not client.errors


def test_server_frames_split_anywhere_and_several_per_call():
    rng = random.Random(7)
    payloads = [rng.randbytes(n) for n in (5, 126, 300, 70000, 0, 90)]
    stream = b"".join(server_frame(Opcode.BINARY, p) for p in payloads)
    byte_by_byte = Recorder()  # the first and last frames a byte at a time, the long one between in one call
    for i in range(len(stream)):
        if i < 500 or i >= len(stream) - 200:
            byte_by_byte.data_received(stream[i:i + 1])
        elif i == 500:
            byte_by_byte.data_received(stream[500:len(stream) - 200])
    assert byte_by_byte.messages == payloads
    all_at_once = Recorder()
    all_at_once.data_received(stream)
    assert all_at_once.messages == payloads
    chunks = Recorder()
    pos = 0
    while pos < len(stream):
        step = rng.randint(1, 400)
        chunks.data_received(stream[pos:pos + step])
        pos += step
    assert chunks.messages == payloads and not chunks.errors


def test_fragmented_messages_with_a_ping_between_fragments():
    client = Recorder()
    client.data_received(server_frame(Opcode.BINARY, b"one ", fin=False)
                         + server_frame(Opcode.CONT, b"two ", fin=False))
    client.data_received(server_frame(Opcode.PING, b"are you there"))
    assert client.messages == []
    client.data_received(server_frame(Opcode.CONT, b"three"))
    euro = "t€".encode()  # a character split over two fragments
    client.data_received(server_frame(Opcode.TEXT, "é".encode() + euro[:2], fin=False)
                         + server_frame(Opcode.CONT, euro[2:]))
    assert client.messages == [b"one two three", "ét€"] and not client.errors
    (pong,) = client.sent()
    assert pong.opcode == Opcode.PONG and pong.data == b"are you there"


def test_a_close_from_the_server_is_answered_and_recorded():
    client = Recorder()
    close = Frame(Opcode.CLOSE, Close(4003, "lobby closed").serialize()).serialize(mask=False)
    client.data_received(server_frame(Opcode.BINARY, b"last") + close + server_frame(Opcode.BINARY, b"ignored"))
    assert client.messages == [b"last"] and client.closes == [(4003, "lobby closed")]
    (reply,) = client.sent()
    assert reply.opcode == Opcode.CLOSE and Close.parse(reply.data).code == 4003
    assert client.transport.closed and client.close_code == 4003
    client.connection_lost(None)
    assert client.closes == [(4003, "lobby closed")], "a closed connection is not lost as well"


def test_a_connection_lost_without_a_close_frame_is_a_1006():
    client = Recorder()
    client.connection_lost(ConnectionResetError("reset"))
    assert client.closes == [(1006, "reset")]


@pytest.mark.parametrize(("frame", "code"), [
    (Frame(Opcode.BINARY, b"masked").serialize(mask=True), 1002),
    (bytes([0x82 | 0x40, 2]) + b"rs", 1002),  # a reserved bit, no extension negotiated
    (server_frame(Opcode.CONT, b"orphan"), 1002),
    (bytes([0x83, 1, 0]), 1002),  # an unknown opcode
    (bytes([0x89 & 0x7F, 0]), 1002),  # a fragmented ping
    (server_frame(Opcode.BINARY, b"x" * 2000), 1009),
    (server_frame(Opcode.TEXT, b"\xff\xfe"), 1007),
], ids=["masked", "reserved-bit", "orphan-continuation", "unknown-opcode", "fragmented-ping", "too-big",
        "bad-utf8"])  # named: a masked frame's bytes are random, and every xdist worker must collect the same ids
def test_protocol_errors_are_recorded_and_drop_the_connection(frame, code):
    client = Recorder(max_size=1000)
    client.data_received(frame + server_frame(Opcode.BINARY, b"after"))
    assert len(client.errors) == 1 and client.messages == []
    (reply,) = client.sent()
    assert reply.opcode == Opcode.CLOSE and Close.parse(reply.data).code == code
    assert client.transport.closed


def test_the_upgrade_is_checked():
    host, port, secure, request, accept = wire.upgrade_request("ws://127.0.0.1:8000/ws/lobby/AB/?role=player",
                                                               "http://127.0.0.1:8000")
    assert (host, port, secure) == ("127.0.0.1", 8000, False)
    assert request.startswith(b"GET /ws/lobby/AB/?role=player HTTP/1.1\r\n")
    assert b"\r\nOrigin: http://127.0.0.1:8000\r\n" in request and b"Extensions" not in request
    good = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept)
    wire.check_upgrade(good, accept)
    for bad, why in [(good.replace(b"101 Switching Protocols", b"403 Forbidden"), "HTTP 403"),
                     (good.replace(accept, b"x" + accept[1:]), "Accept"),
                     (good.replace(b"Upgrade: websocket", b"Upgrade: h2c"), "Upgrade"),
                     (good + b"\r\nSec-WebSocket-Extensions: permessage-deflate", "extension")]:
        with pytest.raises(wire.HandshakeError, match=why):
            wire.check_upgrade(bad, accept)


async def test_a_round_trip_with_a_websockets_server():
    seen = {}

    async def echo(ws):
        seen["origin"] = ws.request.headers["Origin"]
        seen["extensions"] = ws.request.headers.get("Sec-WebSocket-Extensions")
        async for message in ws:
            await ws.send(message)
            await ws.send(b"y" * 70000)
            await ws.ping(message[:8])  # answered by the client, unseen by its hooks
        seen["close"] = (ws.close_code, ws.close_reason)

    class Client(wire.WebSocketClient):
        def __init__(self) -> None:
            super().__init__()
            self.got: list[bytes] = []
            self.enough = asyncio.Event()

        def on_message(self, data) -> None:
            self.got.append(bytes(data))
            if len(self.got) == 4:
                self.enough.set()

    async with serve(echo, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        client = Client()
        await asyncio.wait_for(client.connect(f"ws://127.0.0.1:{port}/x?y=1", f"http://127.0.0.1:{port}"), 10)
        client.send(b"hello")
        client.send(bytes(range(256)) * 3)
        await asyncio.wait_for(client.enough.wait(), 10)
        client.close(1000, "bye")
        await asyncio.wait_for(client.done, 10)
        await until(lambda: "close" in seen, "the server saw the close")
    assert client.got == [b"hello", b"y" * 70000, bytes(range(256)) * 3, b"y" * 70000]
    assert seen == {"origin": f"http://127.0.0.1:{port}", "extensions": None, "close": (1000, "bye")}


async def test_a_refused_upgrade_raises():
    async def handler(ws):
        pass

    async with serve(handler, "127.0.0.1", 0, origins=["http://elsewhere"]) as server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(wire.HandshakeError, match="HTTP 403"):
            await asyncio.wait_for(wire.WebSocketClient().connect(f"ws://127.0.0.1:{port}/", "http://here"), 10)


# The bots' own shortcuts: reading a state frame's time, packing inputs, spreading them.


def test_state_time_reads_what_msgpack_reads_or_gives_up():
    stamp = int(time.time() * 1000)
    entities = {"p1": {"x": 1.5, "y": 2.0, "al": True}}
    for frame in [{"v": 2, "k": "delta", "tick": 5, "time": stamp, "base": 4, "s": {"e": entities}},  # baseline
                  {"k": "full", "tick": 70000, "time": stamp, "s": {"e": entities},  # game
                   "last_processed_input": {1: 2}, "v": 2},
                  {"k": "delta", "tick": 2**40, "base": -3, "x": 1.5, "n": None, "time": 12345}]:
        assert state_time(msgpack.packb(frame, use_single_float=True)) == frame["time"]
        assert state_time(bytearray(msgpack.packb(frame))) == frame["time"]
    for frame in [{"k": "event", "tick": 5, "time": stamp, "e": []},  # not a state frame
                  {"k": "welcome", "lobby": {"phase": "waiting"}, "time": stamp},
                  {"s": {"e": entities}, "k": "delta", "time": stamp},  # a container first: decode it all
                  {"k": "delta", "time": 1.5}, {"time": stamp}, {"k": "delta"}]:
        assert state_time(msgpack.packb(frame)) is None
    assert state_time(msgpack.packb({"k": "delta", "time": stamp})[:-3]) is None  # cut short
    assert state_time(msgpack.packb([1, 2])) is None and state_time(b"") is None


def test_inputs_are_packed_as_msgpack_would():
    cases = [(1, 0, 0, 0.0, False), (2**31 - 1, -1, 1, -3.14, True), (70000, 1, -1, 2.5, True)]
    for input_seq, mx, my, aim, fire in cases:
        assert msgpack.unpackb(encode_input(input_seq, mx, my, aim, fire)) == {
            "v": 2, "k": "input", "input_seq": input_seq, "d": {"mx": mx, "my": my, "aim": aim, "fire": fire}}


async def test_one_timer_sends_every_player_its_inputs_spread_over_the_period(monkeypatch):
    """On a clock the timer's own sleeps move (a busy machine delays a real one's turns, and
    late slots then go out together, as they should)."""
    from game.loadtest import bots

    clock = {"now": 0.0}
    wall0 = 1_000_000.0
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        clock["now"] += max(0.0, seconds)
        await real_sleep(0)

    monkeypatch.setattr(bots, "time", type("Clock", (), {"time": staticmethod(lambda: wall0 + clock["now"]),
                                                         "monotonic": staticmethod(lambda: clock["now"])}))
    monkeypatch.setattr(bots, "asyncio", type("Loop", (), {"sleep": staticmethod(sleep)}))

    class Player:
        def __init__(self) -> None:
            self.playing, self.closing, self.input_seq, self.mx, self.my = True, False, 0, 0, 0
            self.transport = self
            self.at: list[float] = []
            self.frames = bytearray()

        def write(self, data: bytes) -> None:
            self.at.append(clock["now"])
            self.frames += data

    plan = Plan(url="http://x", lobbies=1, players=20, spectators=0, tick_rate=20, duration_s=0.6, warmup_s=0,
                game="arena", input_rate=0)
    players = [Player() for _ in range(20)]
    figures = Figures()
    await Inputs(plan, Window(wall0 + 0.1, wall0 + 0.6), figures, players).run()
    counts = [len(p.at) for p in players]
    assert all(11 <= c <= 13 for c in counts), counts  # 20 Hz for 0.6 s, whatever the phase
    assert 9 <= figures.inputs_sent / len(players) <= 11  # inside the 0.5 s window
    phases = {round((p.at[0] - players[0].at[0]) % 0.05, 3) for p in players}
    assert len(phases) >= 8, phases  # spread over the period, not all at once
    server = ServerProtocol(state=State.OPEN)
    server.receive_data(bytes(players[3].frames))
    inputs = [msgpack.unpackb(f.data) for f in server.events_received()]
    assert [i["input_seq"] for i in inputs] == list(range(1, counts[3] + 1))
    assert all(i["k"] == "input" and -3.14 <= i["d"]["aim"] <= 3.14 for i in inputs)


def test_seeded_bots_draw_the_same_inputs_run_after_run():
    """`--seed` (clusterbench passes one): each process's inputs come from the same stream every run."""
    def draws(seed, stream: int) -> list[float]:
        plan = Plan(url="http://x", lobbies=1, players=1, spectators=0, tick_rate=20, duration_s=1, warmup_s=0,
                    game="arena", input_rate=0, seed=seed)
        rng = Inputs(plan, Window(0, 1), Figures(), [], stream=stream).rng
        return [rng.random() for _ in range(8)]

    assert draws(7, 2) == draws(7, 2)
    assert draws(7, 2) != draws(7, 3) and draws(7, 2) != draws(8, 2)
    assert draws(None, 2) != draws(None, 2)  # unseeded: each run its own
