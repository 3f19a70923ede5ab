"""The attacker's and the observer's sockets: the load tester's lean websocket client
(`game.loadtest.wire`) recording what the server answered — the welcome, error frames, state
frames, the close code — plus raw TCP for what no websocket client would send."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import struct
import time
from collections.abc import Callable

import msgpack

from game.hostile.http import open_stream, parse_head
from game.hostile.target import Target
from game.loadtest.wire import HandshakeError, WebSocketClient, client_frame, upgrade_request
from game.protocol import PROTOCOL_VERSION


def pack(kind: str, **fields) -> bytes:
    return msgpack.packb({"v": PROTOCOL_VERSION, "k": kind, **fields}, use_bin_type=True)


def lobby_path(code: str, query: str) -> str:
    return f"/ws/lobby/{code}/" + (f"?{query}" if query else "")


class Probe(WebSocketClient):
    """One websocket that remembers what came: ``welcome``, ``lobby`` (the newest lobby state),
    ``errors`` (codes of error frames), state frames (count, newest tick, arrival), the close."""

    def __init__(self, *, on_state: Callable[[Probe, dict, float], None] | None = None,
                 rcvbuf: int | None = None) -> None:
        super().__init__(max_size=4 << 20)
        self.on_state = on_state
        self.rcvbuf = rcvbuf  # a small receive buffer, set before connecting (the window stays small)
        self.welcome: dict | None = None
        self.lobby: dict | None = None
        self.errors: list[str] = []  # the codes of error frames, as they came
        self.error_refs: set[tuple[str, str]] = set()  # (code, ref) of each error frame
        self.events: list[dict] = []
        self.state_frames = 0
        self.last_tick = -1
        self.last_state_at = 0.0  # time.monotonic() of the newest state frame
        self.closed_at: float | None = None
        self.protocol_error = ""
        self.changed = asyncio.Event()

    async def connect(self, url: str, origin: str) -> None:
        if self.rcvbuf is None:
            return await super().connect(url, origin)
        # As WebSocketClient.connect, on a socket whose receive buffer is set before the SYN: set
        # later, the window the peer saw first stays its measure, and reading on crawls.
        host, port, secure, request, self._accept = upgrade_request(url, origin)
        loop = asyncio.get_running_loop()
        self._opened, self.done = loop.create_future(), loop.create_future()
        sock = await raw_connection(Target("https" if secure else "http", host, port), rcvbuf=self.rcvbuf)
        context = ssl.create_default_context() if secure else None
        await loop.create_connection(lambda: self, sock=sock, ssl=context, server_hostname=host if context else None)
        self.transport.write(request)
        try:
            await self._opened
        except BaseException:
            self.abort()
            raise

    # What came.

    def on_message(self, data: bytes | bytearray) -> None:
        frame = msgpack.unpackb(data, raw=False, strict_map_key=False)
        kind = frame.get("k") if isinstance(frame, dict) else None
        if kind in ("full", "delta"):
            now = time.monotonic()
            self.state_frames += 1
            self.last_tick, self.last_state_at = frame.get("tick", -1), now
            if self.on_state is not None:
                self.on_state(self, frame, now)
        elif kind == "welcome":
            self.welcome, self.lobby = frame, frame.get("lobby")
        elif kind == "lobby":
            self.lobby = frame.get("lobby")
        elif kind == "error":
            self.errors.append(str(frame.get("code")))
            self.error_refs.add((str(frame.get("code")), str(frame.get("ref"))))
        elif kind == "event":
            self.events.extend(e for e in frame.get("e", []) if isinstance(e, dict))
        self.changed.set()

    def on_close(self, code: int, reason: str) -> None:
        self.closed_at = time.monotonic()
        self.changed.set()

    def on_error(self, message: str) -> None:
        self.protocol_error = message
        self.changed.set()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.closed_at is None:
            self.closed_at = time.monotonic()
        self.changed.set()

    # Waiting and sending.

    @property
    def gone(self) -> bool:
        return self.done is not None and self.done.done()

    async def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds (checked whenever something comes); False at ``timeout``."""
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                return predicate()
        return True

    async def wait_closed(self, timeout: float) -> int | None:
        """The close code once the server closed (1006: dropped without one); None at ``timeout``."""
        await self.wait(lambda: self.close_code is not None or self.gone, timeout)
        return self.close_code if self.close_code is not None else (1006 if self.gone else None)

    def send_kind(self, kind: str, **fields) -> None:
        self.send(pack(kind, **fields))

    def write_raw(self, data: bytes) -> None:
        """Bytes as they are: hand-made frames, many frames at once."""
        if not self.closing and self.transport is not None:
            self.transport.write(data)

    def tcp_state(self) -> int | None:
        return tcp_state(self.transport.get_extra_info("socket")) if self.transport else None


def handshake_status(exc: BaseException) -> int:
    """The HTTP status of a refused upgrade (0 when the server gave none)."""
    found = re.search(r"HTTP (\d{3})", str(exc))
    return int(found.group(1)) if found else 0


async def open_probe(target: Target, path: str, *, origin: str | None = None, timeout: float = 5.0,
                     on_state=None, rcvbuf: int | None = None) -> Probe:
    """A websocket to ``path`` on the target, its opening handshake done; raises
    `HandshakeError` (see `handshake_status`), OSError or TimeoutError."""
    probe = Probe(on_state=on_state, rcvbuf=rcvbuf)
    try:
        await asyncio.wait_for(probe.connect(target.ws_url(path), origin or target.origin), timeout)
    except BaseException:
        probe.abort()
        raise
    return probe


async def open_joined(target: Target, code: str, query: str, *, timeout: float = 5.0, on_state=None,
                      rcvbuf: int | None = None) -> Probe:
    """A websocket that joined lobby ``code`` (its welcome came); raises RuntimeError with the
    close code when the server refused it."""
    probe = await open_probe(target, lobby_path(code, query), timeout=timeout, on_state=on_state, rcvbuf=rcvbuf)
    if not await probe.wait(lambda: probe.welcome is not None or probe.gone or probe.close_code is not None,
                            timeout):
        probe.abort()
        raise RuntimeError(f"no welcome in {timeout:.0f} s")
    if probe.welcome is None:
        raise RuntimeError(f"refused with close {probe.close_code}")
    return probe


def masked_frame(opcode: int, payload: bytes, mask: int = 0x1A2B3C4D) -> bytes:
    return client_frame(opcode, payload, mask)


def bare_header(length: int, opcode: int = 0x2) -> bytes:
    """A final, masked frame's header announcing ``length`` payload bytes, without the payload."""
    return struct.pack(">BBQI", 0x80 | opcode, 0x80 | 127, length, 0x1A2B3C4D)


async def upgrade_status(target: Target, path: str, *, origin: str | None, host: str | None = None,
                         timeout: float = 5.0) -> int:
    """Send an upgrade request (with ``Origin: origin`` unless None, and another ``Host`` when
    given) and return the HTTP status of the answer (0: none came)."""
    _h, _p, _s, request, _accept = upgrade_request(target.ws_url(path), origin or "")
    lines = request.decode("latin-1").split("\r\n")
    lines = [line for line in lines if not (origin is None and line.startswith("Origin:"))]
    if host is not None:
        lines = [f"Host: {host}" if line.startswith("Host:") else line for line in lines]
    reader, writer = await asyncio.wait_for(open_stream(target), timeout)
    try:
        writer.write("\r\n".join(lines).encode("latin-1"))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        return parse_head(head[:-4])[0]
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError, TimeoutError):
        return 0
    finally:
        writer.transport.abort()


# Raw TCP: the state of a socket, seen from this end.

TCP_ESTABLISHED = 1


def tcp_state(sock) -> int | None:
    """The kernel's TCP state of ``sock`` (1: established; otherwise the peer closed or reset
    it), None where TCP_INFO is not available."""
    option = getattr(socket, "TCP_INFO", None)
    if option is None or sock is None:
        return None
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, option, 8)[0]
    except OSError:
        return None


def peer_dropped(sock: socket.socket) -> str | None:
    """Without consuming anything: "closed" when the server closed the connection, "reset"
    when it reset it, "answered" when it sent bytes; None while it keeps it open in silence."""
    try:
        data = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return "reset"
    return "answered" if data else "closed"


async def raw_connection(target: Target, timeout: float = 5.0, *, rcvbuf: int | None = None) -> socket.socket:
    """A plain, non-blocking TCP connection to the target (with ``rcvbuf``: that receive buffer)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setblocking(False)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    try:
        await asyncio.wait_for(loop.sock_connect(sock, address), timeout)
    except BaseException:
        sock.close()
        raise
    return sock


__all__ = ["HandshakeError", "Probe", "bare_header", "handshake_status", "lobby_path", "masked_frame",
           "open_joined", "open_probe", "pack", "peer_dropped", "raw_connection", "tcp_state", "upgrade_status"]
