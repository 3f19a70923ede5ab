"""A lobby's state frame is framed once per tick: the websocket frame (header and payload) is
built for the first socket and handed again to the others, under both servers."""

from __future__ import annotations

import pytest

from gameserver import wsframes
from gameserver.wsframes import frame_header, framed


@pytest.mark.parametrize("size", [0, 1, 125, 126, 300, 65535, 65536, 70000])
def test_a_frame_is_its_header_and_payload(size):
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert framed(payload) == frame_header(size) + payload


def test_the_same_payload_is_framed_once_and_another_afresh():
    tick = b"\x82\xa1k\xa5delta" + bytes(200)
    first = framed(tick)
    assert framed(tick) is first  # the other sockets of the lobby get the very same bytes
    same_bytes = bytes(bytearray(tick))  # equal, yet another frame's payload
    again = framed(same_bytes)
    assert again == first and again is not first
    other = framed(b"next tick")
    assert other == frame_header(9) + b"next tick"
    assert wsframes._LAST.payload is not tick  # nothing older than the last payload is held


def test_both_servers_write_the_framed_bytes():
    from gameserver import daphneprotocol, wsprotocol

    assert daphneprotocol.framed is framed and wsprotocol.framed is framed
