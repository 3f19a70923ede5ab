"""What both game websocket protocol classes (uvicorn's and daphne's) must do alike: each test
feeds the same bytes to the game's class and to the stock one it extends, and compares what
reaches the application and the wire (`same_as_library`, `same_as_daphne`)."""

from __future__ import annotations

import os

import pytest

from tests.gameserver.test_daphneprotocol import same_as_daphne
from tests.gameserver.test_wsprotocol import (
    OP_BINARY,
    OP_CONT,
    OP_PING,
    OP_TEXT,
    client_frame,
    same_as_library,
)

same_as_stock = pytest.mark.parametrize("same_as_stock", [same_as_library, same_as_daphne], ids=["uvicorn", "daphne"])


@same_as_stock
def test_whole_binary_frames_are_unmasked_and_queued_in_order(same_as_stock):
    payloads = [b"", b"a", os.urandom(125), os.urandom(126), os.urandom(3000)]
    messages, written, _ = same_as_stock([b"".join(client_frame(OP_BINARY, p) for p in payloads)])
    assert [m["bytes"] for m in messages] == payloads
    assert written == b""


@same_as_stock
def test_a_frame_split_across_reads_is_buffered_by_the_library(same_as_stock):
    data = client_frame(OP_BINARY, b"x" * 300) + client_frame(OP_BINARY, b"y" * 10)
    for cut in (1, 2, 3, 5, 150, len(data) - 1):
        messages, _, _ = same_as_stock([data[:cut], data[cut:]])
        assert [m["bytes"] for m in messages] == [b"x" * 300, b"y" * 10]


@same_as_stock
def test_pings_text_and_fragments_fall_back_to_the_library(same_as_stock):
    chunks = [client_frame(OP_BINARY, b"one") + client_frame(OP_PING, b"hi") + client_frame(OP_BINARY, b"two"),
              client_frame(OP_TEXT, "héllo".encode()),
              client_frame(OP_BINARY, b"fr", fin=False) + client_frame(OP_CONT, b"ag", fin=False),
              client_frame(OP_CONT, b"ment") + client_frame(OP_BINARY, b"three")]
    messages, written, _ = same_as_stock(chunks)
    assert messages == [{"type": "websocket.receive", "bytes": b"one"},
                        {"type": "websocket.receive", "bytes": b"two"},
                        {"type": "websocket.receive", "text": "héllo"},
                        {"type": "websocket.receive", "bytes": b"fragment"},
                        {"type": "websocket.receive", "bytes": b"three"}]
    assert written == bytes([0x8A, 2]) + b"hi"  # the pong, echoing the ping's payload
