"""What both game websocket protocols share (gameserver/wsprotocol.py for uvicorn,
gameserver/daphneserver.py for daphne): the names of the scope extensions, and the framing of
the hot messages — whole, final, binary frames — read and written without a library."""

from __future__ import annotations

try:  # the C version that websockets ships; the pure-Python one is the fallback
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover
    from websockets.utils import apply_mask

FIN_BINARY = 0x82  # FIN bit + binary opcode, no reserved bits
MASK_BIT = 0x80
#: The scope extension of the hand-over: ``extensions[RECEIVE_NOW](f)`` has the server call
#: ``f(payload)`` for each binary message that finds the receive queue empty (``f(None)`` ends it).
RECEIVE_NOW = "game.receive_now"
#: The scope extension of the direct write: ``extensions[SEND_NOW](payload) -> bool`` writes one
#: binary frame now, or returns False, having written nothing, when it would have to wait.
SEND_NOW = "game.send_now"


def frame_header(length: int) -> bytes:
    """The header of an unmasked, final, binary frame of ``length`` payload bytes."""
    if length < 126:
        return bytes((FIN_BINARY, length))
    if length < 65536:
        return bytes((FIN_BINARY, 126)) + length.to_bytes(2, "big")
    return bytes((FIN_BINARY, 127)) + length.to_bytes(8, "big")


def split_binary_frames(data: bytes, max_size: int | None) -> tuple[list[bytes], int]:
    """The payloads of the whole, final, masked binary frames at the start of ``data``,
    and the offset of the first byte that is not one (``len(data)`` when all were)."""
    payloads: list[bytes] = []
    offset, end = 0, len(data)
    while end - offset >= 6:
        if data[offset] != FIN_BINARY:
            break
        second = data[offset + 1]
        if not second & MASK_BIT:
            break  # unmasked client frame: a protocol error the library reports
        length, head = second & 0x7F, offset + 2
        if length == 126:
            if end - offset < 8:
                break
            length, head = int.from_bytes(data[head:head + 2], "big"), head + 2
        elif length == 127:
            break  # 64-bit lengths are far over any game frame: let the library refuse it
        if max_size is not None and length > max_size:
            break
        start = head + 4
        if start + length > end:
            break  # incomplete: the library buffers it
        payloads.append(apply_mask(data[start:start + length], data[head:start]))
        offset = start + length
    return payloads, offset
