"""The game's daphne protocol: its short path gives exactly what daphne and autobahn give.

Each test opens the stock `daphne.ws_protocol.WebSocketProtocol` and `GameDaphneProtocol`
through a real opening handshake on Twisted's `StringTransport`, feeds both the same bytes,
split the same way, and compares what reaches the application and the wire.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.testing import StringTransport

from game.extensions import RECEIVE_NOW, SEND_NOW
from gameserver import rundaphne
from gameserver.daphneprotocol import HANDSHAKE_ATTRIBUTES, GameDaphneProtocol
from gameserver.daphneserver import GameDaphneServer
from gameserver.wsframes import frame_header
from tests.gameserver.test_wsprotocol import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_TEXT,
    client_frame,
    mixed_reads,
)

MAX_SIZE = 4096
HANDSHAKE = (b"GET /ws/lobby/ABC/?role=player HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


class StubServer:
    """What daphne's protocol asks of daphne's `Server` (the application is a queue)."""

    root_path = ""
    proxy_forwarded_address_header = None

    def __init__(self) -> None:
        self.queue: asyncio.Queue | None = None
        self.scope: dict | None = None

    def protocol_connected(self, protocol) -> None:
        pass

    def protocol_disconnected(self, protocol) -> None:
        pass

    def log_action(self, *args) -> None:
        pass

    def create_application(self, protocol, scope: dict) -> asyncio.Queue:
        self.scope, self.queue = scope, asyncio.Queue()
        return self.queue


class Transport(StringTransport):
    """Twisted's string transport, letting autobahn drop a producer it never registered."""

    def unregisterProducer(self) -> None:
        self.producer = None


def open_protocol(cls, max_size: int = MAX_SIZE, factory=None):
    """A protocol past a real opening handshake and daphne's accept, on a string transport
    (built by ``factory`` when given: one a `GameDaphneServer` adapted)."""
    if factory is None:
        factory = WebSocketFactory(StubServer(), server="test")
        factory.setProtocolOptions(maxMessagePayloadSize=max_size, maxFramePayloadSize=max_size,
                                   openHandshakeTimeout=0, allowNullOrigin=True)
        factory.protocol = cls
    server = factory.server_class
    proto = factory.buildProtocol(("127.0.0.1", 5000))
    proto._raw_query_string = b"role=player"  # what daphne's HTTP protocol hands over
    proto.makeConnection(Transport())
    proto.dataReceived(HANDSHAKE)
    proto.handle_reply({"type": "websocket.accept"})
    assert proto.state == proto.STATE_OPEN
    assert server.queue.get_nowait() == {"type": "websocket.connect"}
    proto.transport.clear()
    return proto, server


def run(cls, chunks: list[bytes]):
    proto, server = open_protocol(cls)
    for chunk in chunks:
        proto.dataReceived(chunk)
    messages = []
    while not server.queue.empty():
        messages.append(server.queue.get_nowait())
    return messages, proto.transport.value(), proto


def same_as_daphne(chunks: list[bytes]):
    ours = run(GameDaphneProtocol, chunks)
    stock = run(WebSocketProtocol, chunks)
    assert ours[0] == stock[0]
    assert ours[1] == stock[1]
    assert ours[2].state == stock[2].state
    return ours


@pytest.mark.parametrize(("bad", "code"), [
    (client_frame(OP_BINARY, b"x" * (MAX_SIZE + 1)), 1009),  # over the size limit
    (client_frame(OP_BINARY, b"abc", masked=False), 1002),  # an unmasked client frame
    (bytes([0x82 | 0x40, 0x83]) + b"\0\0\0\0abc", 1002),  # a reserved bit without an extension
    (client_frame(OP_BINARY, b"x" * 70000), 1009),  # a 64-bit length
])
def test_bad_frames_get_a_close_frame_where_daphne_resets(bad, code):
    chunks = [client_frame(OP_BINARY, b"ok"), bad + client_frame(OP_BINARY, b"late")]
    messages, written, proto = run(GameDaphneProtocol, chunks)
    stock_messages, stock_written, stock = run(WebSocketProtocol, chunks)
    # nothing after the bad frame is delivered, with either class
    assert messages == stock_messages == [{"type": "websocket.receive", "bytes": b"ok"}]
    # stock daphne's autobahn drops the TCP connection: the client never sees the code
    assert stock_written == b"" and stock.state == stock.STATE_CLOSED
    # the game's class sends autobahn's close frame, and parses nothing more
    assert written[0] == 0x88 and int.from_bytes(written[2:4], "big") == code
    assert proto.state == proto.STATE_CLOSING and proto.data == b"" and proto.transport.disconnecting


def test_a_close_frame_is_answered_by_autobahn():
    messages, written, proto = same_as_daphne([client_frame(OP_BINARY, b"x") + client_frame(OP_CLOSE, b"\x03\xe8bye")])
    assert messages == [{"type": "websocket.receive", "bytes": b"x"}]
    assert written.startswith(b"\x88") and proto.state != proto.STATE_OPEN


@settings(max_examples=150, deadline=None)
@given(frames=st.lists(st.tuples(st.sampled_from(["bin", "text", "ping", "frag"]), st.binary(max_size=300),
                                 st.binary(min_size=4, max_size=4)), max_size=8),
       cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=6))
def test_any_mix_of_frames_and_splits_matches_daphne(frames, cuts):
    same_as_daphne(mixed_reads(frames, cuts))


@pytest.mark.parametrize("length", [1, 125, 126, 65535, 65536])  # (daphne sends no empty message)
def test_the_plain_write_gives_autobahns_encoding(length):
    data = os.urandom(length)
    ours, _ = open_protocol(GameDaphneProtocol, max_size=70000)
    stock, _ = open_protocol(WebSocketProtocol, max_size=70000)
    assert ours.send_now(data)
    stock.handle_reply({"type": "websocket.send", "bytes": data})
    assert ours.transport.value() == stock.transport.value() == frame_header(length) + data


def test_a_message_over_the_size_limit_is_left_to_autobahn():
    proto, _ = open_protocol(GameDaphneProtocol)
    assert not proto.send_now(b"x" * (MAX_SIZE + 1)) and proto.transport.value() == b""
    with pytest.raises(Exception, match="exceeding payload limit"):  # what daphne's send then raises
        proto.handle_reply({"type": "websocket.send", "bytes": b"x" * (MAX_SIZE + 1)})


def test_the_plain_write_refuses_once_the_connection_closes():
    proto, _ = open_protocol(GameDaphneProtocol)
    assert proto.send_now(b"state")
    proto.handle_reply({"type": "websocket.close", "code": 4005})
    written = proto.transport.value()
    assert not proto.send_now(b"after close") and proto.transport.value() == written


def test_the_hand_over_takes_frames_while_the_queue_is_empty_and_keeps_their_order():
    proto, server = open_protocol(GameDaphneProtocol)
    taken: list[bytes] = []
    proto.dataReceived(client_frame(OP_BINARY, b"queued"))  # before the app asks: queued
    proto.set_receive_now(taken.append)
    proto.dataReceived(client_frame(OP_BINARY, b"behind the queued one"))
    assert taken == [] and server.queue.qsize() == 2  # the queue still held a message
    server.queue.get_nowait(), server.queue.get_nowait()
    proto.dataReceived(client_frame(OP_BINARY, b"a") + client_frame(OP_PING, b"") + client_frame(OP_BINARY, b"b"))
    assert taken == [b"a", b"b"]  # "b" came through autobahn, after the ping: handed over too
    proto.dataReceived(client_frame(OP_TEXT, b"t") + client_frame(OP_BINARY, b"c"))
    assert taken == [b"a", b"b"] and server.queue.get_nowait()["text"] == "t"
    assert server.queue.get_nowait()["bytes"] == b"c"  # behind the text in the queue: keeps its place
    proto.set_receive_now(None)
    proto.dataReceived(client_frame(OP_BINARY, b"d"))
    assert taken == [b"a", b"b"] and server.queue.get_nowait()["bytes"] == b"d"


def test_a_failing_hand_over_closes_the_connection_with_1011():
    proto, server = open_protocol(GameDaphneProtocol)

    def broken(data: bytes) -> None:
        raise RuntimeError("bug")
    proto.set_receive_now(broken)
    proto.dataReceived(client_frame(OP_BINARY, b"x") + client_frame(OP_BINARY, b"never seen"))
    assert server.queue.empty() and proto.state != proto.STATE_OPEN
    assert proto.transport.value().startswith(b"\x88\x02\x03\xf3")  # close frame, code 1011


class FakeSocket:
    def __init__(self, takes: list) -> None:
        self.takes, self.sent = takes, b""

    def send(self, data: bytes) -> int:
        take = self.takes.pop(0) if self.takes else len(data)
        if isinstance(take, Exception):
            raise take
        self.sent += data[:take]
        return take


class FakeTcpTransport:
    """The parts of Twisted's `tcp.Connection` the plain write looks at."""

    def __init__(self, takes: list) -> None:
        self.socket = FakeSocket(takes)
        self._tempDataBuffer: list[bytes] = []
        self.dataBuffer, self.offset = b"", 0
        self.connected, self.disconnecting, self._writeDisconnected = True, False, False

    def write(self, data: bytes) -> None:
        self._tempDataBuffer.append(data)


@pytest.mark.parametrize(("takes", "direct", "buffered"), [
    ([], 9, 0),  # the kernel takes it all: nothing for Twisted
    ([4], 4, 5),  # a part: Twisted writes the rest
    ([BlockingIOError()], 0, 9),  # the socket is full
    ([ConnectionResetError()], 0, 9),  # failing: Twisted's own write reports it
])
def test_the_plain_write_goes_to_the_socket_and_leaves_the_rest_to_twisted(takes, direct, buffered):
    proto, _ = open_protocol(GameDaphneProtocol)
    proto.transport = transport = FakeTcpTransport(takes)
    assert proto.send_now(b"payload")  # 2 bytes of header + 7
    frame = frame_header(7) + b"payload"
    assert transport.socket.sent == frame[:direct]
    assert b"".join(transport._tempDataBuffer) == frame[direct:]
    assert len(b"".join(transport._tempDataBuffer)) == buffered


def test_the_plain_write_queues_behind_what_twisted_still_holds():
    proto, _ = open_protocol(GameDaphneProtocol)
    proto.transport = transport = FakeTcpTransport([])
    transport._tempDataBuffer.append(b"older")
    assert proto.send_now(b"newer")
    assert transport.socket.sent == b"" and transport._tempDataBuffer == [b"older", frame_header(5) + b"newer"]


def test_the_server_builds_the_game_protocol_and_offers_both_extensions():
    server = GameDaphneServer.__new__(GameDaphneServer)
    factory = WebSocketFactory(server, server="test")
    server.ws_factory = factory  # what `Server.run` does
    assert server.ws_factory is factory and isinstance(factory.buildProtocol(("127.0.0.1", 1)), GameDaphneProtocol)
    proto, _ = open_protocol(GameDaphneProtocol)
    seen = {}

    async def application(scope, receive, send):
        seen.update(scope)

    server.application, server.connections = application, {proto: {}}
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        server.create_application(proto, {"type": "websocket"})
        loop.run_until_complete(server.connections[proto]["application_instance"])
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert seen["extensions"][SEND_NOW] == proto.send_now
    assert seen["extensions"][RECEIVE_NOW] == proto.set_receive_now


def test_the_launcher_runs_twisted_on_uvloop_unless_told_not_to(monkeypatch):
    pytest.importorskip("uvloop")
    before = asyncio.get_event_loop_policy()
    try:
        monkeypatch.setenv("GAME_DAPHNE_UVLOOP", "0")
        assert not rundaphne.use_uvloop() and asyncio.get_event_loop_policy() is before
        monkeypatch.delenv("GAME_DAPHNE_UVLOOP")
        assert rundaphne.use_uvloop() and type(asyncio.get_event_loop_policy()).__module__.startswith("uvloop")
    finally:
        asyncio.set_event_loop_policy(before)


def test_an_open_connection_keeps_neither_the_handshake_nor_a_copy_of_the_options():
    server = GameDaphneServer.__new__(GameDaphneServer)
    factory = WebSocketFactory(StubServer(), server="test")
    server.ws_factory = factory  # adapted: the options are the class's, from the factory
    factory.setProtocolOptions(maxMessagePayloadSize=MAX_SIZE, maxFramePayloadSize=MAX_SIZE,
                               openHandshakeTimeout=0, allowNullOrigin=True)
    proto, stub = open_protocol(GameDaphneProtocol, factory=factory)
    kept = vars(proto)
    assert not set(GameDaphneProtocol.CONFIG_ATTRS) & set(kept)
    assert proto.maxMessagePayloadSize == MAX_SIZE and proto.perMessageCompressionAccept([]) is None
    assert not set(HANDSHAKE_ATTRIBUTES) & set(kept) and len(kept) < 40  # (about 100 before)
    assert proto.http_headers is None and proto.wasClean is False and proto.localCloseCode is None
    assert proto.request.path == "/ws/lobby/ABC/" and proto.clean_headers  # (the scope's headers)
    proto.dataReceived(client_frame(OP_BINARY, b"still reads"))
    assert stub.queue.get_nowait() == {"type": "websocket.receive", "bytes": b"still reads"}
    factory.setProtocolOptions(maxMessagePayloadSize=MAX_SIZE // 2)  # new options: a new class
    assert factory.buildProtocol(("127.0.0.1", 1)).maxMessagePayloadSize == MAX_SIZE // 2

