"""daphne with the game's short path for its two hot messages (what `make run` starts).

    python -m gameserver.rundaphne -b 127.0.0.1 -p 8000 gameserver.asgi:application

It is daphne — its command line, its `Server`, Twisted and autobahn — with one protocol
subclass, the counterpart of gameserver/wsprotocol.py under uvicorn. Profiled under load,
stock daphne spent most of a frame's CPU outside the game: autobahn building each frame
(with log calls whose arguments are formatted even when nothing logs), Twisted registering
the socket for writing and unregistering it around every write, autobahn's parser for each
input, and a queue and a task wake-up per input on the way to the consumer
(docs/performance.md). `GameDaphneProtocol`:

- **In**: when autobahn's parser is between frames (no frame under way, nothing buffered, no
  fragmented message, state OPEN, no compression), each whole, final, masked binary frame at
  the start of the received bytes is unmasked here; the first byte that is not one (a ping,
  a close, text, a fragment, a partial frame, one over the size limit) and all after it go to
  autobahn, which is then exactly where it would have been.
- **Handing over**: the scope extension ``game.receive_now`` (gameserver/wsframes.py), as
  under uvicorn: a binary message that finds the application's queue empty is given to the
  consumer's plain function at once, instead of through the queue and a task wake-up.
- **Out**: the scope extension ``game.send_now`` writes one binary frame (header + payload)
  on an open connection without compression; when Twisted holds nothing unsent for the
  socket it goes to the socket at once (what Twisted's next write-ready callback would have
  done, without registering the socket for it), and anything the kernel does not take is
  left to Twisted. Daphne has no backpressure, so it never says "wait" for a full buffer
  (docs/performance.md, "Daphne versus uvicorn").

Everything else — the handshake, accept and close, pings, timeouts, text frames, errors — is
daphne's and autobahn's own path. `rundaphne` also runs Twisted's asyncio reactor on uvloop
(``GAME_DAPHNE_UVLOOP=0`` keeps asyncio's own loop).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol

from gameserver.wsframes import RECEIVE_NOW, SEND_NOW, frame_header, split_binary_frames

log = logging.getLogger("gameserver.daphneserver")


class GameDaphneProtocol(WebSocketProtocol):
    """daphne's websocket protocol with a short path for whole binary frames (module docstring)."""

    receive_now: Callable[[bytes], None] | None = None
    _limit: int | None = None  # `_size_limit`, worked out once

    def set_receive_now(self, handler: Callable[[bytes], None] | None) -> None:
        self.receive_now = handler

    # -- in --------------------------------------------------------------------------------
    def _size_limit(self) -> int | None:
        """The largest payload the short path takes: autobahn's frame and message limits (0: none)."""
        limit = self._limit
        if limit is None:
            sizes = [size for size in (self.maxFramePayloadSize, self.maxMessagePayloadSize) if size > 0]
            limit = self._limit = min(sizes) if sizes else 0
        return limit or None

    def _parser_idle(self) -> bool:
        return (self.state == self.STATE_OPEN and self.current_frame is None and not self.data
                and not self.inside_message and self._perMessageCompress is None and not self.muted)

    def dataReceived(self, data: bytes) -> None:
        if self._parser_idle():
            payloads, offset = split_binary_frames(data, self._size_limit())
            if payloads:
                self.last_ping = time.time()  # what daphne's onMessage notes for its ping check
                for payload in payloads:
                    self._deliver(payload)
                    if self.state != self.STATE_OPEN:
                        return  # the handler failed the connection: the rest is discarded
            if offset == len(data):
                return
            data = data[offset:]
        super().dataReceived(data)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        """A message autobahn parsed (split across reads, fragmented, text): binary ones take
        the same hand-over as the short path, so messages keep their order."""
        if isBinary and not self.muted:
            self.last_ping = time.time()
            self._deliver(payload)
        else:
            super().onMessage(payload, isBinary)

    def _deliver(self, payload: bytes) -> None:
        handler = self.receive_now
        if handler is not None and self.application_queue.empty():
            try:
                handler(payload)
            except Exception:  # the app's bug must not stop this connection's reads silently
                log.exception("the application's receive_now handler failed; closing the connection")
                self.receive_now = None
                self.sendCloseFrame(code=1011)  # as daphne does when the application fails
            return
        self.application_queue.put_nowait({"type": "websocket.receive", "bytes": payload})

    # -- out -------------------------------------------------------------------------------
    def send_now(self, data: bytes) -> bool:
        """Write ``data`` as one binary frame now; False, having written nothing, unless the
        connection is open, sends no fragmented message, compresses nothing and ``data`` is
        within the message size limit."""
        if (self.state != self.STATE_OPEN or self.send_state != self.SEND_STATE_GROUND or self.send_queue
                or self._perMessageCompress is not None or self.muted
                or 0 < self.maxMessagePayloadSize < len(data)):  # over the limit: autobahn's error, as before
            return False
        self._write(frame_header(len(data)) + data)
        return True

    def _write(self, frame: bytes) -> None:
        """Give ``frame`` to the socket at once when Twisted has nothing of this connection's
        waiting to be written (its order is kept); Twisted buffers what the kernel leaves."""
        transport = self.transport
        try:
            idle = (not transport._tempDataBuffer and len(transport.dataBuffer) == transport.offset
                    and transport.connected and not transport.disconnecting and not transport._writeDisconnected)
            sock = transport.socket if idle else None
        except AttributeError:  # not a plain TCP transport (TLS, a test's fake): Twisted writes
            sock = None
        if sock is not None:
            try:
                sent = sock.send(frame)
            except OSError:  # full (EAGAIN), or failing: Twisted's own write waits, or finds out and reports it
                sent = 0
            if sent == len(frame):
                return
            frame = frame[sent:]
        transport.write(frame)


class GameDaphneServer(Server):
    """daphne's `Server`, building `GameDaphneProtocol` connections and giving their
    applications the two scope extensions."""

    _ws_factory: Any = None

    @property
    def ws_factory(self) -> Any:
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory: Any) -> None:
        # `Server.run` makes daphne's factory here; its connections are the game's protocol.
        if factory is not None:
            factory.protocol = GameDaphneProtocol
        self._ws_factory = factory

    def create_application(self, protocol: Any, scope: dict) -> Any:
        if isinstance(protocol, GameDaphneProtocol):
            scope["extensions"] = {**(scope.get("extensions") or {}), RECEIVE_NOW: protocol.set_receive_now,
                                   SEND_NOW: protocol.send_now}
        return super().create_application(protocol, scope)


class GameCommandLine(CommandLineInterface):
    """daphne's command line, running `GameDaphneServer`."""

    server_class = GameDaphneServer
