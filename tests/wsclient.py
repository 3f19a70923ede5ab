"""A test client over `WebsocketCommunicator` that speaks the binary protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from channels.testing import WebsocketCommunicator

from game import protocol
from game.engine import delta as deltas
from gameserver.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1")
HOST = (b"host", b"127.0.0.1:8000")  # a websocket upgrade without an allowed Host is refused
# How long a wait may take before the test fails: generous for a loaded machine; a wait returns
# as soon as its frame comes, so a passing test is not slowed.
WAIT_S = 10.0


class Client:
    """One connection; `frames` keeps every decoded server frame in arrival order."""

    def __init__(self, code: str, query: str = "") -> None:
        path = f"/ws/lobby/{code}/" + (f"?{query}" if query else "")
        self.comm = WebsocketCommunicator(application, path, headers=[ORIGIN, HOST])
        self.frames: list[dict] = []
        self.close_code: int | None = None
        self.snapshot: dict | None = None
        self.snapshot_tick: int | None = None
        self.history: dict[int, dict] = {}  # tick -> reconstructed snapshot
        self.input_seq = 0

    async def connect(self) -> Client:
        connected, _ = await self.comm.connect(timeout=WAIT_S)
        assert connected
        return self

    async def send(self, kind: str, **fields: Any) -> None:
        await self.comm.send_to(bytes_data=protocol.encode_client(kind, **fields))

    async def send_raw(self, data: bytes | None = None, text: str | None = None) -> None:
        """Send any frame, even an empty one (which `send_to` refuses)."""
        message = {"type": "websocket.receive", "bytes": data} if text is None else \
            {"type": "websocket.receive", "text": text}
        await self.comm.send_input(message)

    async def input(self, payload: dict) -> int:
        self.input_seq += 1
        await self.send("input", input_seq=self.input_seq, d=payload)
        return self.input_seq

    async def _next(self, timeout: float) -> dict | None:
        message = await self.comm.receive_output(timeout)
        if message["type"] == "websocket.close":
            self.close_code = message.get("code")
            return None
        return self._take(message["bytes"])

    def _received(self, data: bytes) -> None:
        """A message's bytes as they came off the socket (kept by a subclass that reads them)."""

    def _take(self, data: bytes) -> dict:
        """Decode one message off the socket, follow the snapshot and keep the frame."""
        self._received(data)
        frame = protocol.decode_server(data)
        self._track(frame)
        self.frames.append(frame)
        return frame

    def _track(self, frame: dict) -> None:
        if frame["k"] == "full":
            self.snapshot, self.snapshot_tick = frame["s"], frame["tick"]
        elif frame["k"] == "delta" and self.snapshot_tick == frame["base"]:
            self.snapshot, self.snapshot_tick = deltas.apply(self.snapshot, frame["s"]), frame["tick"]
        else:
            return
        self.history[self.snapshot_tick] = self.snapshot

    async def until(self, predicate: Callable[[dict], bool], timeout: float = WAIT_S) -> dict:
        """Receive frames until one satisfies ``predicate``; fail on close or timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            assert left > 0, f"no matching frame within {timeout} s; got {[f['k'] for f in self.frames[-10:]]}"
            frame = await self._next(left)
            assert frame is not None, f"closed with {self.close_code} while waiting"
            if predicate(frame):
                return frame

    async def event(self, type_: str, timeout: float = WAIT_S) -> dict:
        frame = await self.until(lambda f: f["k"] == "event" and any(e["type"] == type_ for e in f["e"]), timeout)
        return next(e for e in frame["e"] if e["type"] == type_)

    async def error(self, timeout: float = WAIT_S) -> dict:
        return await self.until(lambda f: f["k"] == "error", timeout)

    async def closed(self, timeout: float = WAIT_S) -> int:
        """Receive until the server closes the socket; returns the close code."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.close_code is None:
            left = deadline - asyncio.get_running_loop().time()
            assert left > 0, "the socket was not closed"
            await self._next(left)
        return self.close_code

    def drain(self) -> None:
        """Decode whatever output is already waiting, without waiting for more."""
        queue = self.comm.output_queue
        while not queue.empty():
            message = queue.get_nowait()
            if message["type"] == "websocket.close":
                self.close_code = message.get("code")
            else:
                self._take(message["bytes"])

    async def disconnect(self) -> None:
        await self.comm.disconnect()
