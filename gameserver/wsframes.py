"""What both game websocket protocols share (gameserver/wsprotocol.py for uvicorn,
gameserver/daphneserver.py for daphne; the scope extensions they offer are named by the game,
game/extensions.py): the framing of the hot messages — whole, final, binary frames — read and
written without a library, the limits of a hostile or stalled client (the server's close, the
ping budget, the kernel's unsent bytes), and the book of unfinished handshakes."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

try:  # the C version that websockets ships; the pure-Python one is the fallback
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover
    from websockets.utils import apply_mask

FIN_BINARY = 0x82  # FIN bit + binary opcode, no reserved bits
MASK_BIT = 0x80
MAX_QUEUED = 16  # received messages the app may fall behind by before reading pauses
#: Once the server sends a close (the application's, a timeout, or a frame it refuses: 1002,
#: 1007, 1008, 1009), nothing more the client sent is parsed: its bytes are counted and dropped while
#: the server waits for the client to close too. Past this many bytes, or CLOSE_TIMEOUT_S, the
#: connection is aborted.
CLOSE_DISCARD_BYTES = 256 * 1024
CLOSE_TIMEOUT_S = 2.0
#: Websocket ping and pong frames a client may send: CONTROL_BURST at once, then CONTROL_RATE a
#: second; past that, the server closes with 1008. Unlimited, each costs a parse and a pong
#: write that no game limit counts (100,000 pipelined pings: about 0.9 s of daphne's CPU).
CONTROL_BURST = 20
CONTROL_RATE = 5.0
CLOSE_POLICY = 1008


class ControlBudget:
    """One connection's allowance of ping and pong frames (a token bucket)."""

    __slots__ = ("stamp", "tokens")

    def __init__(self) -> None:
        self.tokens, self.stamp = float(CONTROL_BURST), time.monotonic()

    def take(self) -> bool:
        """Called for each ping or pong the client sends: False once it sent too many."""
        now = time.monotonic()
        self.tokens = min(float(CONTROL_BURST), self.tokens + (now - self.stamp) * CONTROL_RATE)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


#: Bytes the kernel may hold not yet sent on a websocket (TCP_NOTSENT_LOWAT). Without it, the
#: kernel takes megabytes for a client that stopped reading (its send buffer grows to
#: net.ipv4.tcp_wmem's maximum): stale frames pile up there, where the outbox cannot replace
#: them, and the server's backpressure starts only minutes later. Data in flight is not
#: counted, so a healthy client's throughput is unchanged. Past it, the server buffers the
#: rest of a frame and has its senders wait until that is written: from then on, the outbox
#: holds the newest state frame only.
UNSENT_LIMIT = 4096


def reset_on_close(sock: object) -> None:
    """Have closing ``sock`` reset the connection (SO_LINGER 0) rather than leave the kernel
    trying to send what it holds, behind a window a client that reads nothing keeps shut."""
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # type: ignore[attr-defined]


def limit_unsent(sock: object) -> None:
    """Set `UNSENT_LIMIT` on a websocket's socket, where the system has the option."""
    option = getattr(socket, "TCP_NOTSENT_LOWAT", None)
    if option is None or sock is None:
        return
    with contextlib.suppress(OSError, AttributeError):  # not TCP (a unix socket), or not a socket
        sock.setsockopt(socket.IPPROTO_TCP, option, UNSENT_LIMIT)  # type: ignore[attr-defined]


def frame_header(length: int) -> bytes:
    """The header of an unmasked, final, binary frame of ``length`` payload bytes."""
    if length < 126:
        return bytes((FIN_BINARY, length))
    if length < 65536:
        return bytes((FIN_BINARY, 126)) + length.to_bytes(2, "big")
    return bytes((FIN_BINARY, 127)) + length.to_bytes(8, "big")


class _FrameCache:
    """The last payload framed and its frame. A lobby offers the same bytes object to each of
    its members' sockets in a row (the tick's delta or keyframe), so the frame — header and
    payload, the bytes that go on the wire — is built once per lobby per tick, not once per
    socket. The payload is held, so no other object can take its identity meanwhile."""

    __slots__ = ("frame", "payload")

    def __init__(self) -> None:
        self.payload: bytes | None = None
        self.frame = b""


_LAST = _FrameCache()


def framed(data: bytes) -> bytes:
    """``data`` as one unmasked, final, binary frame (`frame_header` + ``data``); the same
    bytes object as the call before gets the same frame back, made once."""
    last = _LAST
    if data is last.payload:
        return last.frame
    frame = frame_header(len(data)) + data
    last.payload, last.frame = data, frame
    return frame


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


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class Handshake:
    """One connection's unfinished request, from TCP accept (or, on a kept-alive connection, from
    the first byte of its next request) until the server has the whole request."""

    __slots__ = ("address", "drop", "started", "timer")

    def __init__(self, address: str | None, drop: Callable[[], None], started: float) -> None:
        self.address, self.drop, self.started = address, drop, started
        self.timer: Any = None


class HandshakeGuard:
    """The unfinished handshakes of this server process, for both servers' HTTP protocols.

    Each has ``timeout_s`` to finish; past it, its connection is dropped. An address may have
    ``per_address`` of them; a connection beyond that has only ``grace_s`` (a burst of honest
    connections, accepted before any was read, finishes well within it), and when the address
    already has ``per_address`` unfinished for longer than ``grace_s``, a new connection is
    refused at once. A connection without an address (a unix socket) has the deadline only.
    """

    def __init__(self, timeout_s: float, per_address: int, grace_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_s, self.per_address, self.grace_s, self.clock = timeout_s, per_address, grace_s, clock
        self.pending: dict[str | None, dict[Handshake, None]] = {}  # per address, oldest first

    def begin(self, address: str | None, drop: Callable[[], None],
              call_later: Callable[[float, Callable[[], None]], Any]) -> Handshake | None:
        """Called when a connection is accepted, or a kept-alive one starts its next request;
        None when the connection is refused (the caller drops it), else its `Handshake`."""
        now = self.clock()
        pending = self.pending.setdefault(address, {}) if address is not None else {}
        limit = self.timeout_s
        if address is not None and len(pending) >= self.per_address:
            for old, handshake in enumerate(pending, start=1):  # oldest first
                if now - handshake.started < self.grace_s:
                    break
                if old >= self.per_address:
                    return None
            limit = min(limit, self.grace_s)
        handshake = Handshake(address, drop, now)
        pending[handshake] = None
        handshake.timer = call_later(limit, lambda: self._expire(handshake))
        return handshake

    def end(self, handshake: Handshake | None) -> None:
        """Called when the server has the whole request, or the connection is gone (again: no harm)."""
        if handshake is None:
            return
        timer, handshake.timer = handshake.timer, None
        if timer is not None:
            timer.cancel()
        pending = self.pending.get(handshake.address)
        if pending is not None:
            pending.pop(handshake, None)
            if not pending:
                del self.pending[handshake.address]

    def _expire(self, handshake: Handshake) -> None:
        handshake.timer = None  # fired: nothing to cancel
        self.end(handshake)
        handshake.drop()


def handshake_key(peer: str | None) -> str | None:
    """What the cap on unfinished handshakes counts for a connection's TCP peer: the game's key
    for an address (game.limits: an IPv6 address by its network, as one host holds a /64), or
    None — the deadline only — for one of the game's trusted proxies, whose clients are known
    only once a request is whole."""
    from game.limits import limit_key, trusted_proxies  # read when a connection comes: Django is set up

    try:
        ip = ipaddress.ip_address(peer or "")
    except ValueError:  # none, or not an IP address
        return None
    ip = getattr(ip, "ipv4_mapped", None) or ip
    if any(ip in network for network in trusted_proxies()):
        return None
    return limit_key(str(ip))


#: The process's book, read from the environment once: ``GAME_HANDSHAKE_TIMEOUT_S`` (5 s) and
#: ``GAME_HANDSHAKES_PER_ADDRESS`` (16).
HANDSHAKES = HandshakeGuard(_env_number("GAME_HANDSHAKE_TIMEOUT_S", 5.0),
                            int(_env_number("GAME_HANDSHAKES_PER_ADDRESS", 16)))
