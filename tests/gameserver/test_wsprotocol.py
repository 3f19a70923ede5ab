"""The game's uvicorn websocket protocol: its short path gives exactly what the library gives.

Each test drives the stock `WebSocketsSansIOProtocol` and `GameWebSocketProtocol` with the
same bytes, split the same way, and compares what reaches the application and the wire.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.utils import apply_mask

from gameserver.wsframes import frame_header
from gameserver.wsprotocol import (
    MAX_QUEUED,
    GameWebSocketProtocol,
    parser_between_frames,
    split_binary_frames,
)
from tests.waits import until

MAX_SIZE = 4096
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING = 0x0, 0x1, 0x2, 0x8, 0x9  # RFC 6455 opcodes


class FakeTransport:
    def __init__(self) -> None:
        self.written = bytearray()
        self.paused = 0
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def pause_reading(self) -> None:
        self.paused += 1

    def resume_reading(self) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, key, default=None):
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(key, default)


def client_frame(opcode, data: bytes, *, fin: bool = True, masked: bool = True, mask: bytes | None = None) -> bytes:
    """A client's frame on the wire (masked, as RFC 6455 requires of clients; a random key
    unless one is given)."""
    length = len(data)
    header = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if masked else 0
    if length < 126:
        header += bytes([mask_bit | length])
    elif length < 65536:
        header += bytes([mask_bit | 126]) + length.to_bytes(2, "big")
    else:
        header += bytes([mask_bit | 127]) + length.to_bytes(8, "big")
    if not masked:
        return header + data
    mask = os.urandom(4) if mask is None else mask
    return header + mask + apply_mask(data, mask)


def mixed_reads(frames: list[tuple[str, bytes, bytes]], cuts: list[int]) -> list[bytes]:
    """The client frames ``(kind, data, mask key)`` on the wire, cut into reads at ``cuts``
    (taken modulo the length). The mask keys are drawn too: the bytes are the example."""
    wire = b""
    for kind, data, mask in frames:
        if kind == "bin":
            wire += client_frame(OP_BINARY, data, mask=mask)
        elif kind == "text":
            wire += client_frame(OP_TEXT, data.hex().encode(), mask=mask)
        elif kind == "ping":
            wire += client_frame(OP_PING, data[:125], mask=mask)
        else:
            wire += (client_frame(OP_BINARY, data[:1], fin=False, mask=mask)
                     + client_frame(OP_CONT, data[1:], mask=mask))
    points = sorted({c % (len(wire) + 1) for c in cuts})
    return [wire[a:b] for a, b in zip([0, *points], [*points, len(wire)], strict=True) if a < b]


LOOPS: list[asyncio.AbstractEventLoop] = []


@pytest.fixture(autouse=True)
def _close_loops():
    yield
    while LOOPS:
        LOOPS.pop().close()


def open_protocol(cls):
    """A protocol past its handshake, on a fake transport."""
    LOOPS.append(asyncio.new_event_loop())
    config = Config(app=None, interface="asgi3", ws_max_size=MAX_SIZE, ws_per_message_deflate=False)
    config.loaded, config.loaded_app = True, None
    proto = cls(config, ServerState(), {}, _loop=LOOPS[-1])
    proto.connection_made(FakeTransport())
    proto.conn.state = State.OPEN  # as after `accept`: the parser then reads frames
    proto.conn.parser = proto.conn.parse()
    next(proto.conn.parser)
    proto.handshake_complete = True
    return proto


def run(cls, chunks: list[bytes]):
    proto = open_protocol(cls)
    for chunk in chunks:
        proto.data_received(chunk)
    messages = []
    while not proto.queue.empty():
        messages.append(proto.queue.get_nowait())
    return messages, bytes(proto.transport.written), proto


def same_as_library(chunks: list[bytes]):
    ours = run(GameWebSocketProtocol, chunks)
    stock = run(WebSocketsSansIOProtocol, chunks)
    assert ours[0] == stock[0]
    assert ours[1] == stock[1]
    return ours


@pytest.mark.parametrize("bad", [
    client_frame(OP_BINARY, b"x" * (MAX_SIZE + 1)),  # over --ws-max-size: 1009
    client_frame(OP_BINARY, b"abc", masked=False),  # an unmasked client frame: 1002
    bytes([0x82 | 0x40, 0x83]) + b"\0\0\0\0abc",  # a reserved bit without an extension: 1002
    client_frame(OP_BINARY, b"x" * 70000),  # a 64-bit length
])
def test_bad_frames_get_the_librarys_close_frame(bad):
    # (The stock protocol drops valid messages that share a read with a bad frame: a separate read.)
    messages, written, proto = same_as_library([client_frame(OP_BINARY, b"ok"), bad + client_frame(OP_BINARY, b"late")])
    assert messages[0] == {"type": "websocket.receive", "bytes": b"ok"}
    assert messages[1]["type"] == "websocket.disconnect" and messages[1]["code"] in (1002, 1009)
    assert len(messages) == 2  # nothing after the bad frame is delivered
    assert written[0] == 0x88 and proto.transport.closed


def test_a_close_frame_is_answered_by_the_library():
    messages, written, _ = same_as_library([client_frame(OP_BINARY, b"x") + client_frame(OP_CLOSE, b"\x03\xe8bye")])
    assert messages[1] == {"type": "websocket.disconnect", "code": 1000, "reason": "bye"}
    assert written.startswith(b"\x88")


def test_reading_pauses_only_on_a_backlog():
    proto = open_protocol(GameWebSocketProtocol)
    for i in range(MAX_QUEUED - 1):
        proto.data_received(client_frame(OP_BINARY, b"%d" % i))
    assert proto.transport.paused == 0 and not proto.read_paused
    proto.data_received(client_frame(OP_BINARY, b"one too many"))
    assert proto.transport.paused == 1 and proto.read_paused


@settings(max_examples=150, deadline=None)
@given(frames=st.lists(st.tuples(st.sampled_from(["bin", "text", "ping", "frag"]), st.binary(max_size=300),
                                 st.binary(min_size=4, max_size=4)), max_size=8),
       cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=6))
def test_any_mix_of_frames_and_splits_matches_the_library(frames, cuts):
    same_as_library(mixed_reads(frames, cuts))


def test_a_frame_split_after_its_mask_key_is_not_read_as_frames():
    # The masked payload of this frame is itself a whole binary frame. Split after the mask
    # key, the parser waits for the payload with an empty buffer: the rest is payload.
    inner = client_frame(OP_BINARY, b"evil", mask=b"\1\2\3\4")
    key = b"\x5a\xa5\x0f\xf0"
    outer = client_frame(OP_BINARY, apply_mask(inner, key), mask=key)
    after_key = len(outer) - len(inner)
    for chunks in ([outer[:after_key], outer[after_key:]],
                   [client_frame(OP_PING, b"p") + outer[:after_key], outer[after_key:]]):
        messages, _, _ = same_as_library(chunks)
        assert messages[-1] == {"type": "websocket.receive", "bytes": apply_mask(inner, key)}


def test_the_parser_of_a_real_handshake_is_seen_between_frames():
    # After a real opening handshake, at a frame boundary, the short path is taken; inside a
    # frame it is not. A websockets release that moves where its parser waits fails here
    # instead of making every frame take the slow path without a word.
    conn = ServerProtocol(max_size=MAX_SIZE)
    conn.receive_data(b"GET /ws/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    [request] = conn.events_received()
    conn.send_response(conn.accept(request))
    assert conn.state is State.OPEN and parser_between_frames(conn)
    frame = client_frame(OP_BINARY, b"payload")
    for cut in range(1, len(frame)):
        conn.receive_data(frame[:cut])
        assert not parser_between_frames(conn)
        conn.receive_data(frame[cut:])
        assert parser_between_frames(conn)
    assert [f.data for f in conn.events_received()] == [b"payload"] * (len(frame) - 1)


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536])
def test_sent_frames_have_the_librarys_encoding(length):
    data = os.urandom(length)
    ours, stock = open_protocol(GameWebSocketProtocol), open_protocol(WebSocketsSansIOProtocol)
    for proto in (ours, stock):
        asyncio.run(proto.send({"type": "websocket.send", "bytes": data}))
    assert bytes(ours.transport.written) == bytes(stock.transport.written)
    assert frame_header(length) + data == bytes(ours.transport.written)


def test_split_stops_at_the_first_frame_it_does_not_take():
    data = client_frame(OP_BINARY, b"a") + client_frame(OP_PING, b"") + client_frame(OP_BINARY, b"b")
    payloads, offset = split_binary_frames(data, MAX_SIZE)
    assert payloads == [b"a"] and offset == len(client_frame(OP_BINARY, b"a"))


def test_the_hand_over_takes_frames_while_the_queue_is_empty_and_keeps_their_order():
    proto = open_protocol(GameWebSocketProtocol)
    proto.scope = {"extensions": {}}
    taken: list[bytes] = []
    proto.data_received(client_frame(OP_BINARY, b"queued"))  # before the app asks: queued
    proto._set_receive_now(taken.append)
    proto.data_received(client_frame(OP_BINARY, b"behind the queued one"))
    assert taken == [] and proto.queue.qsize() == 2  # the queue still held a message
    proto.queue.get_nowait(), proto.queue.get_nowait()
    proto.data_received(client_frame(OP_BINARY, b"a") + client_frame(OP_PING, b"") + client_frame(OP_BINARY, b"b"))
    assert taken == [b"a"]  # "b" came after the ping, through the library, so through the queue
    assert proto.queue.get_nowait()["bytes"] == b"b"
    proto.data_received(client_frame(OP_BINARY, b"c"))
    assert taken == [b"a", b"c"] and proto.queue.empty()
    proto._set_receive_now(None)
    proto.data_received(client_frame(OP_BINARY, b"d"))
    assert taken == [b"a", b"c"] and proto.queue.get_nowait()["bytes"] == b"d"


def test_a_failing_hand_over_closes_the_connection_with_1011():
    proto = open_protocol(GameWebSocketProtocol)

    def broken(data: bytes) -> None:
        raise RuntimeError("bug")
    proto._set_receive_now(broken)
    proto.data_received(client_frame(OP_BINARY, b"x") + client_frame(OP_BINARY, b"never seen"))
    message = proto.queue.get_nowait()
    assert message["type"] == "websocket.disconnect" and message["code"] == 1011
    assert proto.queue.empty() and proto.transport.closed
    assert bytes(proto.transport.written).startswith(b"\x88\x02\x03\xf3")  # close frame, code 1011


def test_the_plain_write_takes_a_frame_only_when_it_need_not_wait():
    proto = open_protocol(GameWebSocketProtocol)
    assert proto.send_now(b"state") and bytes(proto.transport.written) == frame_header(5) + b"state"
    proto.writable.clear()  # the transport asked to stop writing (backpressure)
    assert not proto.send_now(b"later") and bytes(proto.transport.written) == frame_header(5) + b"state"
    proto.writable.set()
    proto.close_sent = True
    assert not proto.send_now(b"after close")
    assert bytes(proto.transport.written) == frame_header(5) + b"state"


def test_the_handshake_request_and_response_are_let_go_once_accepted():
    loop = asyncio.new_event_loop()
    LOOPS.append(loop)
    accepted: list[bool] = []

    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        accepted.append(True)
        await receive()

    config = Config(app=app, interface="asgi3", ws_max_size=MAX_SIZE, ws_per_message_deflate=False)
    config.loaded, config.loaded_app = True, app
    proto = GameWebSocketProtocol(config, ServerState(), {}, _loop=loop)
    proto.connection_made(FakeTransport())
    proto.data_received(b"GET /ws/lobby/ABC/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    loop.run_until_complete(until(lambda: accepted, "the accept"))
    assert b"101 Switching Protocols" in proto.transport.written and proto.handshake_complete
    assert proto.request is None and proto.response is None  # uvicorn kept both, headers and all
    assert "request" not in proto.conn.parser.gi_frame.f_locals  # nor does the library's parser now
    assert parser_between_frames(proto.conn)
    proto.data_received(client_frame(OP_BINARY, b"after"))
    assert proto.queue.get_nowait() == {"type": "websocket.receive", "bytes": b"after"}
    split = client_frame(OP_BINARY, b"in two reads")  # the library's parser, the new one, takes these
    proto.data_received(client_frame(OP_PING, b"p") + split[:5])
    proto.data_received(split[5:])
    assert proto.queue.get_nowait() == {"type": "websocket.receive", "bytes": b"in two reads"}
    assert proto.transport.written.endswith(b"\x8a\x01p")  # the pong
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
