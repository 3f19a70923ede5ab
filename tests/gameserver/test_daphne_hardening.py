"""Against real daphne (`make run`) and uvicorn (`make run-uvicorn`): what a hostile client
gets. A frame over the size limit is closed with 1009; nothing a client sent after the server
decided to close is parsed; unfinished handshakes have a deadline and a per-address cap.
(A client that stops reading: tests/game/test_paused_reader.py.)"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import time

import pytest

import tests.liveserver as liveserver
from game import protocol
from tests.gameserver.test_wsprotocol import OP_BINARY, OP_PING, client_frame
from tests.liveserver import create_lobby, live_server_process

OP_PONG = 0xA

pytestmark = pytest.mark.server
SERVERS = pytest.mark.parametrize("kind", ["daphne", "uvicorn"])


@pytest.fixture(scope="module", autouse=True)
def _make_run_uvicorn():
    """uvicorn as `make run-uvicorn` starts it: with the game's HTTP protocol class."""
    command = liveserver.server_command

    def with_http_class(kind: str, port: int, tick_rate: int) -> list[str]:
        argv = command(kind, port, tick_rate)
        if kind == "uvicorn" and "--http" not in argv:
            argv += ["--http", "gameserver.wsprotocol:GameH11Protocol"]
        return argv
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(liveserver, "server_command", with_http_class)
        yield


@pytest.fixture(scope="module", params=["daphne", "uvicorn"])
def served(request, tmp_path_factory, _make_run_uvicorn):
    """One server of each kind with the default settings, shared by the tests that need no other
    (a server's start is most of such a test's time)."""
    with live_server_process(tmp_path_factory.mktemp(request.param), request.param) as (base, proc):
        yield base, proc


def address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


class RawSocket:
    """A websocket client by hand: it sends exactly the bytes it is given."""

    def __init__(self, base: str, path: str) -> None:
        self.sock = socket.create_connection(address(base), timeout=20)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {address(base)[0]}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"Origin: {base}\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert b" 101 " in head.split(b"\r\n")[0], head

    def _read(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        return data

    def frame(self) -> tuple[int, bytes]:
        """The next frame ``(opcode, payload)``; EOFError at the server's orderly end."""
        while True:
            if len(self.buffer) >= 2:
                length, head = self.buffer[1] & 0x7F, 2
                if length >= 126:
                    size = 2 if length == 126 else 8
                    length, head = int.from_bytes(self.buffer[2:2 + size], "big"), 2 + size
                if len(self.buffer) >= head + length:
                    opcode, payload = self.buffer[0] & 0x0F, self.buffer[head:head + length]
                    self.buffer = self.buffer[head + length:]
                    return opcode, payload
            self.buffer += self._read()

    def join(self) -> RawSocket:
        """Read until the lobby's welcome, then until the answer to a ping: the consumer then
        takes frames straight from the server's read (``game.receive_now``)."""
        awaited = "welcome"
        while True:
            opcode, payload = self.frame()
            if opcode == OP_BINARY and protocol.decode_server(payload)["k"] == awaited:
                if awaited == "pong":
                    return self
                awaited = "pong"
                self.sock.sendall(client_frame(OP_BINARY, protocol.encode_client("ping", id=0, ct=0)))

    def close_code_and_end(self) -> tuple[int, str, list[int]]:
        """The code of the server's close frame, how the connection ended then (``"eof"``: the
        server's orderly end, or ``"reset"``), and the opcodes of the frames before the close."""
        before = []
        while (frame := self.frame())[0] != 0x8:
            before.append(frame[0])
        code = int.from_bytes(frame[1][:2], "big")
        try:
            while True:
                self.frame()
        except EOFError:
            return code, "eof", before
        except ConnectionResetError:
            return code, "reset", before


def cpu_seconds(pid: int) -> float:
    """CPU time of all the threads of a process so far (nanosecond resolution)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as stats:
                total += int(stats.read().split()[0])
        except FileNotFoundError:  # a thread that just ended
            pass
    return total / 1e9


@pytest.mark.parametrize("length", [65537, 2**40])
def test_a_frame_over_the_size_limit_is_closed_with_1009(served, length):
    base, _proc = served
    code = create_lobby(base, game="arena")["code"]
    client = RawSocket(base, f"/ws/lobby/{code}/?name=big").join()
    # A bare header that announces the payload: nothing of it is sent, none is awaited.
    client.sock.sendall(bytes([0x82, 0xFF]) + length.to_bytes(8, "big") + os.urandom(4))
    assert client.close_code_and_end()[:2] == (1009, "eof")


def flood(pings: int) -> bytes:
    """In one write: frames the error budget refuses (the 21st closes the socket with 4029), a
    websocket ping, and game pings."""
    return (client_frame(OP_BINARY, b"\xc1") * 25 + client_frame(OP_PING, b"after the refusal")
            + client_frame(OP_BINARY, protocol.encode_client("ping", id=1, ct=0)) * pings)


def test_nothing_sent_after_a_refusal_is_parsed(served):
    base, proc = served
    code = create_lobby(base, game="arena")["code"]
    cpu = []
    for pings in (0, 40000):
        client = RawSocket(base, f"/ws/lobby/{code}/?name=flood").join()
        before = cpu_seconds(proc.pid)
        with contextlib.suppress(OSError):  # past 256 KiB unread, the server aborts the connection
            client.sock.sendall(flood(pings))
        close, _end, frames = client.close_code_and_end()
        cpu.append(cpu_seconds(proc.pid) - before)
        client.sock.close()
        assert close == 4029
        assert OP_PONG not in frames  # the ping after the refusing frame was never parsed
    # 40,000 pipelined game pings after the refusal: before, 0.5 s of daphne's CPU, 0.13 s of uvicorn's
    assert cpu[1] - cpu[0] < 0.05


def held_open(socks: list[socket.socket]) -> list[socket.socket]:
    """The sockets the server has not closed (a read finds neither data nor an end)."""
    alive = []
    for sock in socks:
        try:
            if sock.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK):
                continue  # an answer: the request was not held unfinished
        except BlockingIOError:
            alive.append(sock)
        except OSError:
            pass
    return alive


def wait_for(condition, timeout: float, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)
    return result


@SERVERS
def test_unfinished_handshakes_have_a_deadline_and_a_cap_per_address(tmp_path, kind):
    with live_server_process(tmp_path, kind, GAME_HANDSHAKE_TIMEOUT_S="6") as (base, _proc):
        code = create_lobby(base, game="arena")["code"]
        socks = []
        started = time.monotonic()
        for i in range(40):  # half send nothing, half a request line and never the end of the headers
            sock = socket.create_connection(address(base))
            if i % 2:
                sock.sendall(f"GET /ws/lobby/{code}/ HTTP/1.1\r\nHost: x\r\n".encode())
            socks.append(sock)
        # Beyond 16 per address, a connection has a second to finish its request (the deadline is
        # far enough that a busy machine still tells the two apart).
        wait_for(lambda: len(held_open(socks)) <= 16, timeout=5)
        assert time.monotonic() - started < 5  # well before the 6 s deadline
        survivors = held_open(socks)
        assert len(survivors) == 16
        # While the address holds 16 that old, another connection from it is dropped at once.
        with socket.create_connection(address(base)) as late:
            wait_for(lambda: not held_open([late]), timeout=2)
        # The 16 have the deadline; then the address is served again.
        wait_for(lambda: not held_open(survivors), timeout=10)
        assert time.monotonic() - started > 5.0
        RawSocket(base, f"/ws/lobby/{code}/?name=fine").join().sock.close()
        for sock in socks:
            sock.close()


def read_response(sock: socket.socket) -> bytes:
    """One whole HTTP response (with a Content-Length) from a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += sock.recv(65536)
    return head


@SERVERS
def test_a_kept_alive_connection_has_the_deadline_for_its_next_request(tmp_path, kind):
    with live_server_process(tmp_path, kind, GAME_HANDSHAKE_TIMEOUT_S="2") as (base, _proc):
        host = address(base)[0]
        with socket.create_connection(address(base)) as sock:
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            assert b" 200 " in read_response(sock).split(b"\r\n")[0]
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n".encode())  # never finished
            started = time.monotonic()
            wait_for(lambda: not held_open([sock]), timeout=8)
            assert time.monotonic() - started > 1.5
