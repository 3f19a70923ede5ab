"""In-process, the pieces behind tests/gameserver/test_daphne_hardening.py: the book of unfinished
handshakes, daphne's backpressure, what both protocol classes do once the server closes, the
ping budget, and the outbox's close."""

from __future__ import annotations

import asyncio

import tests.gameserver.test_daphneprotocol as daphne_harness
import tests.gameserver.test_wsprotocol as uvicorn_harness
from game.engine.outbox import Outbox
from gameserver import wsframes
from gameserver.connqueue import ReceiveQueue
from gameserver.daphneprotocol import GameDaphneProtocol
from gameserver.daphneserver import GameDaphneServer
from gameserver.wsframes import CLOSE_DISCARD_BYTES, CONTROL_BURST, HandshakeGuard
from gameserver.wsprotocol import GameWebSocketProtocol
from tests.gameserver.test_wsprotocol import OP_BINARY, OP_PING, client_frame
from tests.waits import loop_turns, outbox_clock, until

# -- unfinished handshakes ------------------------------------------------------------------------


class Timers:
    """A clock and a call_later that the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pending: list[list] = []

    def call_later(self, delay: float, callback):
        timer = [self.now + delay, callback, True]
        self.pending.append(timer)

        class Handle:
            @staticmethod
            def cancel() -> None:
                timer[2] = False
        return Handle()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for timer in [t for t in self.pending if t[2] and t[0] <= self.now]:
            timer[2] = False
            timer[1]()


def test_a_handshake_past_its_deadline_is_dropped_and_one_that_finishes_is_not():
    timers, dropped = Timers(), []
    guard = HandshakeGuard(5.0, 16, clock=lambda: timers.now)
    slow = guard.begin("10.0.0.1", lambda: dropped.append("slow"), timers.call_later)
    quick = guard.begin("10.0.0.1", lambda: dropped.append("quick"), timers.call_later)
    guard.end(quick)
    timers.advance(4.9)
    assert dropped == []
    timers.advance(0.2)
    assert dropped == ["slow"] and guard.pending == {}
    guard.end(slow)  # again, after the deadline: no harm


def test_an_address_over_its_cap_gets_a_second_then_nothing():
    timers, dropped = Timers(), []
    guard = HandshakeGuard(5.0, 16, grace_s=1.0, clock=lambda: timers.now)
    held = [guard.begin("10.0.0.1", lambda i=i: dropped.append(i), timers.call_later) for i in range(16)]
    burst = [guard.begin("10.0.0.1", lambda i=i: dropped.append(i), timers.call_later) for i in range(16, 20)]
    assert all(held) and all(burst)  # a burst, accepted before any was read: a second each
    guard.end(burst[0])  # one of them finished in time
    timers.advance(1.1)
    assert sorted(dropped) == [17, 18, 19]
    assert guard.begin("10.0.0.1", lambda: None, timers.call_later) is None  # 16 older than a second
    assert guard.begin("10.0.0.2", lambda: None, timers.call_later) is not None  # another address
    assert guard.begin(None, lambda: None, timers.call_later) is not None  # no address: deadline only
    guard.end(held[0])
    assert guard.begin("10.0.0.1", lambda: None, timers.call_later) is not None


def test_the_cap_counts_an_ipv6_network_as_one_address_and_never_a_trusted_proxy(settings):
    settings.GAME = {**settings.GAME, "TRUSTED_PROXIES": ["10.0.0.0/8"], "IPV6_PREFIX_BITS": 64}
    assert wsframes.handshake_key("192.0.2.7") == "192.0.2.7"
    assert wsframes.handshake_key("2001:db8::1") == wsframes.handshake_key("2001:db8::ffff") == "2001:db8::/64"
    assert wsframes.handshake_key("10.1.2.3") is None  # a proxy: its clients are known later
    assert wsframes.handshake_key(None) is None and wsframes.handshake_key("not an address") is None


# -- daphne -------------------------------------------------------------------------------------


def test_daphne_waits_to_send_while_the_socket_is_backed_up():
    proto, _ = daphne_harness.open_protocol(GameDaphneProtocol)
    assert proto.transport.producer is proto  # the socket's streaming producer
    server = GameDaphneServer.__new__(GameDaphneServer)
    server.connections = {proto: {}}

    async def scenario() -> None:
        proto.pauseProducing()  # what Twisted calls when it holds too much
        assert not proto.send_now(b"state")
        send = asyncio.create_task(server.handle_reply(proto, {"type": "websocket.send", "bytes": b"event"}))
        await loop_turns()
        assert not send.done() and proto.transport.value() == b""
        proto.resumeProducing()  # Twisted wrote all it held
        await send
        assert proto.transport.value().endswith(b"event") and proto.send_now(b"state")

    asyncio.run(scenario())


def test_daphne_pauses_sending_when_the_kernel_takes_only_part_of_a_frame():
    proto, _ = daphne_harness.open_protocol(GameDaphneProtocol)
    proto.transport = transport = daphne_harness.FakeTcpTransport([3])
    assert proto.send_now(b"payload")
    assert proto._write_paused and transport.producerPaused  # Twisted calls resumeProducing when drained
    assert not proto.send_now(b"next")
    proto.resumeProducing()
    assert proto.send_now(b"next")


def test_daphne_reads_nothing_after_the_application_closes():
    proto, server = daphne_harness.open_protocol(GameDaphneProtocol)
    taken: list[bytes] = []
    proto.set_receive_now(taken.append)
    proto.handle_reply({"type": "websocket.close", "code": 4029})
    written = proto.transport.value()
    assert written.startswith(b"\x88\x02\x0f\xbd")  # the close frame, 4029
    proto.dataReceived(client_frame(OP_BINARY, b"late") + client_frame(OP_PING, b"late"))
    assert taken == [] and server.queue.empty() and proto.transport.value() == written  # no pong
    proto.dataReceived(b"\x00" * (CLOSE_DISCARD_BYTES + 1))  # too much after the close: aborted
    assert proto.state == proto.STATE_CLOSED


def test_daphne_stops_at_the_frame_that_makes_the_application_close():
    proto, _ = daphne_harness.open_protocol(GameDaphneProtocol)
    taken: list[bytes] = []

    def handler(payload: bytes) -> None:
        taken.append(payload)
        if payload == b"last":
            proto.handle_reply({"type": "websocket.close", "code": 4029})
    proto.set_receive_now(handler)
    proto.dataReceived(client_frame(OP_BINARY, b"first") + client_frame(OP_BINARY, b"last")
                       + client_frame(OP_PING, b"") + client_frame(OP_BINARY, b"never"))
    assert taken == [b"first", b"last"] and proto.data == b""


def test_daphne_answers_pings_within_the_budget_then_closes_with_1008():
    proto, _ = daphne_harness.open_protocol(GameDaphneProtocol)
    proto.dataReceived(client_frame(OP_PING, b"p") * (CONTROL_BURST + 10))
    written = proto.transport.value()
    assert CONTROL_BURST <= written.count(b"\x8a\x01p") <= CONTROL_BURST + 1  # pongs
    assert written.endswith(b"too many ping or pong frames") and b"\x88" in written
    assert proto._closing


def test_daphne_pauses_reading_on_a_backlog_and_resumes_when_the_application_catches_up():
    proto, _ = daphne_harness.open_protocol(GameDaphneProtocol)

    async def scenario() -> None:
        proto.application_queue = receive = ReceiveQueue(proto)
        for i in range(wsframes.MAX_QUEUED):
            proto.dataReceived(client_frame(OP_BINARY, b"%d" % i))
        assert proto.transport.producerState == "paused"
        while not receive.empty():
            await receive.get()
        assert proto.transport.producerState == "producing"

    asyncio.run(scenario())


def test_the_launcher_limits_messages_to_64_kib_and_daphne_builds_the_guarded_http_channel():
    from daphne.http_protocol import HTTPFactory

    from gameserver.daphnehttp import GameHTTPChannel
    from gameserver.daphneserver import GameCommandLine

    args = GameCommandLine().parser.parse_args(["gameserver.asgi:application"])
    assert args.websocket_max_message_size == args.websocket_max_frame_size == 65536  # daphne's: 1 MiB
    server = GameDaphneServer.__new__(GameDaphneServer)
    server.http_factory = factory = HTTPFactory(server)  # what `Server.run` does
    assert server.http_factory is factory
    assert isinstance(factory.buildProtocol(None)._channel, GameHTTPChannel)


# -- uvicorn ------------------------------------------------------------------------------------


class HalfClosingTransport(uvicorn_harness.FakeTransport):
    """A transport that can half-close, like uvloop's."""

    def __init__(self) -> None:
        super().__init__()
        self.eof = self.aborted = False

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def abort(self) -> None:
        self.aborted = self.closed = True


def open_uvicorn() -> GameWebSocketProtocol:
    proto = uvicorn_harness.open_protocol(GameWebSocketProtocol)
    proto.transport = HalfClosingTransport()
    return proto


def test_uvicorn_closes_at_once_even_while_backed_up_and_then_reads_nothing():
    proto = open_uvicorn()
    proto.writable.clear()  # the transport asked writers to wait: the library's send would too
    asyncio.run(asyncio.wait_for(proto.send({"type": "websocket.close", "code": 4008}), 1))
    written = bytes(proto.transport.written)
    assert written.startswith(b"\x88\x02\x0f\xa8") and proto.transport.eof  # close frame, half-closed
    assert proto.queue.get_nowait()["type"] == "websocket.disconnect"
    proto.data_received(client_frame(OP_BINARY, b"late") + client_frame(OP_PING, b"late"))
    assert proto.queue.empty() and bytes(proto.transport.written) == written
    proto.data_received(b"\x00" * CLOSE_DISCARD_BYTES)
    assert proto.transport.aborted


def test_uvicorn_half_closes_after_the_librarys_1009():
    proto = open_uvicorn()
    proto.data_received(client_frame(OP_BINARY, b"x" * (uvicorn_harness.MAX_SIZE + 1)))
    written = bytes(proto.transport.written)
    assert written[0] == 0x88 and int.from_bytes(written[2:4], "big") == 1009
    assert proto.transport.eof and not proto.transport.closed  # the client reads the close frame, then the end


def test_uvicorn_answers_pings_within_the_budget_then_closes_with_1008():
    proto = open_uvicorn()
    proto.data_received(client_frame(OP_PING, b"p") * (CONTROL_BURST + 10))
    written = bytes(proto.transport.written)
    assert b"\x88" in written and b"too many ping or pong frames" in written
    assert proto._closing and proto.queue.get_nowait()["code"] == 1008


# -- the outbox ---------------------------------------------------------------------------------


class StuckSocket:
    """A send that waits until released; a close that never waits."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.sent: list[bytes] = []
        self.closed: int | None = None

    async def send(self, data: bytes) -> None:
        await self.gate.wait()
        self.sent.append(data)

    async def close(self, code: int) -> None:
        self.closed = code


async def test_a_close_runs_before_close_returns():
    sock = StuckSocket()
    sock.gate.set()
    box = Outbox(sock.send, sock.close)
    box.push_event(b"bye")
    box.close(4029)
    assert sock.sent == [b"bye"] and sock.closed == 4029  # no loop turn: the server stops reading now


async def test_too_slow_closes_at_once_past_a_stuck_send():
    sock = StuckSocket()
    box = Outbox(sock.send, sock.close, max_events=2)
    for i in range(4):
        box.push_event(b"e%d" % i)  # the first is stuck; the fourth is one too many
    assert sock.closed == 4008 and box.closed


async def test_another_close_waits_for_a_stuck_send_at_most_the_stall_limit(monkeypatch):
    clock = outbox_clock(monkeypatch)
    sock = StuckSocket()
    box = Outbox(sock.send, sock.close, stall_limit_s=0.05)
    box.push_event(b"stuck")
    box.close(4011)
    # Past the close's timer (set for the limit, 0.05 s): on the outbox's clock no time passed,
    # so the timer finds no stall and waits on. The test is about that timer: it sleeps.
    await asyncio.sleep(0.1)
    assert sock.closed is None  # the client may yet read
    clock.now += 0.06
    await until(lambda: sock.closed == 4011, "the close once the stall limit passed")


async def test_the_stall_clock_restarts_with_each_frame_the_socket_takes(monkeypatch):
    clock = outbox_clock(monkeypatch)
    taken = asyncio.Semaphore(0)  # a client that reads one frame now and then
    sent: list[bytes] = []
    closed: list[int] = []

    async def send(data: bytes) -> None:
        await taken.acquire()
        sent.append(data)

    async def close(code: int) -> None:
        closed.append(code)

    box = Outbox(send, close, stall_limit_s=0.1, max_events=100)
    for i in range(10):
        box.push_event(b"e%d" % i)  # the first send waits; the rest queue behind it
    for i in range(6):  # 0.24 s in all on the outbox's clock, a frame taken every 0.04 s
        clock.now += 0.04
        taken.release()
        await loop_turns()
        box.push_state(b"s%d" % i, full=True)  # where the stall is checked
    assert closed == [] and len(sent) == 6  # slow, not stalled
