"""A lean websocket client for the load tester: one `asyncio.Protocol` per connection.

The bots must cost far less CPU than the server they measure, so this is the least a
client may do (RFC 6455): a hand-written HTTP/1.1 upgrade, then the server's frames parsed
in place from what each ``data_received`` brings (no task, stream or copy per message),
and client frames masked with integer arithmetic and written straight to the transport.
No extensions (no compression), no keepalive pings of its own.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import ssl
import struct
from urllib.parse import urlsplit

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 4.2.2
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_HEAD = 65536  # bytes of an HTTP response head before giving up
_HEAD_7 = struct.Struct(">BBI")  # first byte, masked 7-bit length, mask
_HEAD_16 = struct.Struct(">BBHI")
_HEAD_64 = struct.Struct(">BBQI")
_REPEAT = [sum(1 << (32 * i) for i in range(words)) for words in range(64)]  # times a mask: the mask repeated


class HandshakeError(Exception):
    """The server refused the upgrade or answered it wrongly."""


def client_frame(opcode: int, payload: bytes, mask: int) -> bytes:
    """One final client frame: masked with the 32-bit ``mask``, as clients must (RFC 6455 5.3).
    The payload is XORed as one big integer with the mask repeated to its length."""
    n = len(payload)
    words = (n + 3) >> 2
    repeated = mask * _REPEAT[words] if words < len(_REPEAT) else int.from_bytes(mask.to_bytes(4, "big") * words, "big")
    masked = (int.from_bytes(payload, "big") ^ (repeated >> ((words * 4 - n) << 3))).to_bytes(n, "big")
    first = 0x80 | opcode
    if n < 126:
        return _HEAD_7.pack(first, 0x80 | n, mask) + masked
    if n < 65536:
        return _HEAD_16.pack(first, 0x80 | 126, n, mask) + masked
    return _HEAD_64.pack(first, 0x80 | 127, n, mask) + masked


def upgrade_request(url: str, origin: str) -> tuple[str, int, bool, bytes, bytes]:
    """``(host, port, secure, request, expected Sec-WebSocket-Accept)`` for a ws:// or wss:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a websocket URL: {url}")
    secure = parts.scheme == "wss"
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    key = base64.b64encode(os.urandom(16))
    request = (f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n"
               "User-Agent: game-loadtest\r\n\r\n").encode()
    return parts.hostname, port, secure, request, base64.b64encode(hashlib.sha1(key + GUID).digest())


def check_upgrade(head: bytes, accept: bytes) -> None:
    """Raise HandshakeError unless ``head`` (status line and headers) accepts the upgrade."""
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or not status[0].startswith("HTTP/1.1"):
        raise HandshakeError(f"bad status line {lines[0][:80]!r}")
    if status[1] != "101":
        raise HandshakeError(f"server rejected WebSocket connection: HTTP {' '.join(status[1:])}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("upgrade", "").lower() != "websocket":
        raise HandshakeError("missing Upgrade: websocket")
    if "upgrade" not in [t.strip() for t in headers.get("connection", "").lower().split(",")]:
        raise HandshakeError("missing Connection: Upgrade")
    if headers.get("sec-websocket-accept", "").encode() != accept:
        raise HandshakeError("wrong Sec-WebSocket-Accept")
    if headers.get("sec-websocket-extensions") or headers.get("sec-websocket-protocol"):
        raise HandshakeError("the server chose an extension or subprotocol nobody offered")


def frame_header(data: bytes | bytearray, pos: int, size: int, max_size: int) -> tuple[int, int, int] | None:
    """The frame whose header begins at ``pos`` of ``data[:size]``: ``(first byte, payload
    start, payload end)``, the end possibly past ``size`` (the payload not all here yet); None
    while the header itself is incomplete. Raises `FrameRefused` for a frame a client must
    refuse (RFC 6455 5.1-5.2: a server's frames are unmasked; no extension sets the reserved bits)."""
    if size - pos < 2:
        return None
    first, second = data[pos], data[pos + 1]
    length = second & 0x7F
    if length < 126:
        start = pos + 2
    elif length == 126:
        if size - pos < 4:
            return None
        length, start = (data[pos + 2] << 8) | data[pos + 3], pos + 4
    else:
        if size - pos < 10:
            return None
        length, start = int.from_bytes(data[pos + 2:pos + 10], "big"), pos + 10
    if second & 0x80 or first & 0x70:
        raise FrameRefused(1002, "masked frame from the server" if second & 0x80 else "reserved bits set")
    if length > max_size:
        raise FrameRefused(1009, f"frame of {length} bytes over the limit of {max_size}")
    return first, start, start + length


class FrameRefused(Exception):
    """A server's frame that the client closes the connection for: ``(close code, reason)``."""


class WebSocketClient(asyncio.Protocol):
    """One client connection. Subclasses override ``on_message`` (and ``on_text``, ``on_close``,
    ``on_error``); ``connect`` opens it, ``send`` writes a binary message, ``close`` ends it."""

    def __init__(self, max_size: int = 2**20) -> None:
        self.max_size = max_size
        self.transport: asyncio.Transport | None = None
        self.closing = False  # a close frame went out, or the connection is gone
        self.close_code: int | None = None
        self.close_reason = ""
        self._accept = b""
        self._handshaking = True
        self._buffer = bytearray()  # an incomplete frame (or response head), waiting for more
        self._fragments: list[bytes] | None = None  # a fragmented message being reassembled
        self._text = False
        self._rng = random.Random()  # masks: fresh per frame (they protect proxies, not secrets)
        self._opened: asyncio.Future | None = None
        self.done: asyncio.Future | None = None  # resolved when the connection is lost

    async def connect(self, url: str, origin: str) -> None:
        """Connect and complete the opening handshake (raise on failure; the caller bounds the time)."""
        host, port, secure, request, self._accept = upgrade_request(url, origin)
        loop = asyncio.get_running_loop()
        self._opened, self.done = loop.create_future(), loop.create_future()
        await loop.create_connection(lambda: self, host, port, ssl=ssl.create_default_context() if secure else None)
        self.transport.write(request)
        try:
            await self._opened
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Drop the connection without a closing handshake."""
        self.closing = True
        if self.transport is not None:
            self.transport.abort()

    # Hooks for subclasses.

    def on_message(self, data: bytes | bytearray) -> None:
        """A complete binary message."""

    def on_text(self, text: str) -> None:
        """A complete text message."""

    def on_close(self, code: int, reason: str) -> None:
        """The server closed (or the connection was lost: 1006) before we did."""

    def on_error(self, message: str) -> None:
        """A protocol error or a failing hook; the connection is dropped after it."""

    # Sending.

    def send(self, payload: bytes) -> None:
        """Write one binary message (a single masked frame); nothing is awaited."""
        if not self.closing:
            self.transport.write(client_frame(OP_BINARY, payload, self._rng.getrandbits(32)))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame and close the transport (after what is buffered is written)."""
        if self.closing or self.transport is None:
            return
        self.closing = True
        self.transport.write(client_frame(OP_CLOSE, code.to_bytes(2, "big") + reason.encode(),
                                          self._rng.getrandbits(32)))
        self.transport.close()

    # asyncio.Protocol.

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_result(None)
        if self._opened is not None and not self._opened.done():
            self._opened.set_exception(exc or ConnectionError("connection closed during the opening handshake"))
        elif not self.closing:  # lost without a closing handshake
            self.closing = True
            self.close_code = 1006
            self.on_close(1006, str(exc or ""))

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        if self._handshaking:
            data = self._handshake(data)
            if not data:
                return
        if self._buffer:
            self._buffer += data
            data, self._buffer = self._buffer, bytearray()
        size, pos, max_size = len(data), 0, self.max_size
        while True:
            try:
                head = frame_header(data, pos, size, max_size)
            except FrameRefused as refused:
                return self._fail(*refused.args)
            if head is None:
                break
            first, start, end = head
            if end > size:
                break
            pos = end
            if first == 0x82 and self._fragments is None:  # the hot path: a whole binary message in one frame
                try:
                    self.on_message(data[start:end])
                except Exception as exc:
                    return self._fail(1011, f"{type(exc).__name__}: {exc}")
            else:
                self._frame(first, data[start:end])
            if self.closing:
                return
        if pos < size:  # keep the incomplete frame (as is, when nothing before it was consumed)
            self._buffer = data if pos == 0 and type(data) is bytearray else bytearray(data[pos:])

    # Internals.

    def _handshake(self, data: bytes) -> bytes:
        """Collect the response head; returns what follows it (frames), once it is accepted."""
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD:
                self._refuse(HandshakeError("response head too large"))
            return b""
        head, rest = bytes(self._buffer[:end]), bytes(self._buffer[end + 4:])
        self._buffer = bytearray()
        try:
            check_upgrade(head, self._accept)
        except HandshakeError as exc:
            self._refuse(exc)
            return b""
        self._handshaking = False
        self._opened.set_result(None)
        return rest

    def _refuse(self, exc: Exception) -> None:
        if not self._opened.done():
            self._opened.set_exception(exc)
        self.abort()

    def _frame(self, first: int, payload: bytes | bytearray) -> None:
        """Every frame but an unfragmented binary one: text, fragments, control frames."""
        fin, opcode = first & 0x80, first & 0x0F
        if opcode >= 0x8:
            if not fin or len(payload) > 125:
                return self._fail(1002, "fragmented or long control frame")
            if opcode == OP_PING:
                self.transport.write(client_frame(OP_PONG, bytes(payload), self._rng.getrandbits(32)))
            elif opcode == OP_CLOSE:
                self._closed_by_server(payload)
            elif opcode != OP_PONG:
                self._fail(1002, f"unknown opcode {opcode}")
            return
        if opcode == OP_CONT:
            if self._fragments is None:
                return self._fail(1002, "continuation frame without a message")
            self._fragments.append(bytes(payload))
            if sum(map(len, self._fragments)) > self.max_size:
                return self._fail(1009, f"message over the limit of {self.max_size} bytes")
            if not fin:
                return
            payload, text, self._fragments = b"".join(self._fragments), self._text, None
        elif opcode in (OP_TEXT, OP_BINARY):
            if self._fragments is not None:
                return self._fail(1002, "new message inside a fragmented one")
            text = opcode == OP_TEXT
            if not fin:
                self._fragments, self._text = [bytes(payload)], text
                return
        else:
            return self._fail(1002, f"unknown opcode {opcode}")
        try:
            if text:
                self.on_text(bytes(payload).decode())
            else:
                self.on_message(payload)
        except UnicodeDecodeError:
            self._fail(1007, "text message not UTF-8")
        except Exception as exc:
            self._fail(1011, f"{type(exc).__name__}: {exc}")

    def _closed_by_server(self, payload: bytes | bytearray) -> None:
        """Answer the server's close frame with the same code, then close the transport."""
        if len(payload) == 1:
            return self._fail(1002, "close frame with a one-byte payload")
        code = int.from_bytes(payload[:2], "big") if payload else 1005
        reason = bytes(payload[2:]).decode("utf-8", "replace")
        self.close_code, self.close_reason = code, reason
        self.close(code if 1000 <= code < 5000 and code not in (1004, 1005, 1006, 1015) else 1000)
        self.on_close(code, reason)

    def _fail(self, code: int, message: str) -> None:
        """A protocol error: report it, send a close frame with ``code`` and drop the connection."""
        if self.closing:
            return
        self.close(code)
        self.on_error(message)
