"""The websocket protocol of `make run`'s daphne (gameserver/daphneserver.py runs it).

It is daphne's and autobahn's protocol with a short path for the game's two hot messages,
the counterpart of gameserver/wsprotocol.py under uvicorn. Stock daphne spent most
of a frame's CPU outside the game (docs/performance.md). `GameDaphneProtocol`:

- **In**: while autobahn's parser is between frames, each whole, final, masked binary frame
  at the start of a read is unmasked here; from the first byte that is not one (a ping, text,
  a fragment, a partial frame, one over the size limit) on, autobahn parses, from exactly
  where it would have been.
- **Handing over** (``game.receive_now``, game/extensions.py), as under uvicorn: a binary
  message that finds the application's queue empty is given to the consumer's plain function.
- **Out** (``game.send_now``): one binary frame, straight to the socket when Twisted holds
  nothing unsent for it (without registering the socket for writing); Twisted keeps the rest.

What daphne lacks, for clients that attack or fall behind (docs/protocol.md, Limits):

- **Backpressure**: the protocol is its socket's streaming producer. Once the kernel holds all
  it may unsent (`limit_unsent`) and Twisted has to keep some of a frame, ``send_now`` says no
  and daphne's send waits until Twisted has written it all: the outbox keeps the newest state
  frame only and closes a client too far behind (4008), as under uvicorn. Reading pauses
  while the application is `MAX_QUEUED` messages behind.
- **Closing**: once the server sends a close (the application's, a timeout, or a frame autobahn
  refuses: 1002, 1007, 1008, 1009 — autobahn would reset the connection), nothing more the
  client sent is parsed or handed over (`_stop_reading`).
- **Memory**: once open, a connection lets go of what only its handshake needed
  (`_forget_handshake`), and autobahn's send queue is a list (`_SendQueue`).

The rest — the handshake, accept, timeouts, text frames — is daphne's and autobahn's own path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from autobahn.util import encode_truncate
from daphne.ws_protocol import WebSocketProtocol

from gameserver.wsframes import (
    CLOSE_DISCARD_BYTES,
    CLOSE_POLICY,
    CLOSE_TIMEOUT_S,
    MAX_QUEUED,
    ControlBudget,
    framed,
    limit_unsent,
    split_binary_frames,
)

log = logging.getLogger("gameserver.daphneserver")  # (the name it has always logged under)


#: What autobahn (the request's bytes, headers, query, response, key) and daphne (the
#: application's creation) keep from the handshake, let go once the socket is open.
HANDSHAKE_ATTRIBUTES = ("http_request_data", "http_response_data", "http_headers", "http_status_line",
                        "http_request_uri", "http_request_path", "http_request_params", "http_request_host",
                        "websocket_origin", "websocket_extensions", "_wskey", "application_deferred")
#: Attributes autobahn and daphne set on every connection which, while it is open, hold their
#: starting value until something rare (a close, a timeout, a compressed message) changes
#: them: once open, a connection that still has that value reads it from its class instead
#: (whatever changes it sets it on the connection again). None of them is asked about with
#: ``hasattr``, and none is an option autobahn copies from its factory.
OPEN_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(HANDSHAKE_ATTRIBUTES),
    **dict.fromkeys(("_perMessageCompress", "trackedTimings", "wasNotCleanReason", "localCloseCode",
                     "localCloseReason", "remoteCloseCode", "remoteCloseReason", "openHandshakeTimeoutCall",
                     "closeHandshakeTimeoutCall", "autoPingTimeoutCall", "autoPingPending", "autoPingPendingCall",
                     "autoPingPendingSent", "protocol_to_accept", "websocket_protocol_in_use")),
    **dict.fromkeys(("wasMaxFramePayloadSizeExceeded", "wasMaxMessagePayloadSizeExceeded", "closedByMe",
                     "failedByMe", "droppedByMe", "wasClean", "wasServerConnectionDropTimeout",
                     "wasOpenHandshakeTimeout", "wasCloseHandshakeTimeout", "wasServingFlashSocketPolicyFile"),
                    False),
    "autoPingPendingSeq": 0,
}


class _SendQueue(list):
    """autobahn's queue of data to write (``append``, ``popleft``, ``len``), as a list: it is
    empty but for the moments a frame is written in pieces, and an empty deque is 760 bytes."""

    __slots__ = ()

    def popleft(self) -> Any:
        return self.pop(0)


class _OpenedRequest:
    """What is left of daphne's `ConnectionRequest` once the socket is open: its path."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


class GameDaphneProtocol(WebSocketProtocol):
    """daphne's websocket protocol with a short path for whole binary frames (module docstring)."""

    receive_now: Callable[[bytes], None] | None = None
    _limit: int | None = None  # `_size_limit`, worked out once
    _closing = False  # the server sent its close: input is dropped unparsed (`_stop_reading`)
    _discarded = 0  # bytes dropped since
    _read_paused = False  # reading paused on the application's backlog
    _write_paused = False  # the socket is backed up (`_write`, `pauseProducing`): senders wait
    _producing = False  # registered as the transport's producer
    _waiters: list[asyncio.Future] | None = None  # senders waiting for `resumeProducing`
    _control: ControlBudget | None = None  # the client's pings and pongs (made at the first)

    def set_receive_now(self, handler: Callable[[bytes], None] | None) -> None:
        self.receive_now = handler

    # -- connection ------------------------------------------------------------------------
    def connectionMade(self) -> None:
        """Runs when daphne hands the upgraded socket over: the protocol becomes the socket's
        streaming producer, in place of daphne's HTTP channel (idle from now on), and the
        kernel holds little unsent for it (`limit_unsent`)."""
        super().connectionMade()
        self.send_queue = _SendQueue()  # autobahn's deque: 760 bytes, empty nearly always
        transport = self.transport
        limit_unsent(getattr(transport, "socket", None))
        try:
            if transport.producer is not None:
                transport.unregisterProducer()
            transport.registerProducer(self, True)
            self._producing = True
        except (AttributeError, RuntimeError):  # a transport without it: no backpressure
            log.debug("no producer registered for %r", transport)

    def connectionLost(self, reason: Any) -> None:
        """Runs when the TCP connection is gone: waiting senders go on, and find it closed."""
        self._wake_writers()
        super().connectionLost(reason)

    def onOpen(self) -> None:
        """Runs once the handshake is answered: what only the handshake needed is let go."""
        super().onOpen()
        self._forget_handshake()

    def _forget_handshake(self) -> None:
        """autobahn keeps the request's bytes, headers (a dict), query and response, and daphne
        the parsed request, for the connection's life (about 2.5 kB a socket); neither reads them
        once open. daphne's request is reduced to its path (its close and reject log it); the
        scope's headers, client and query string stay (gameserver.asgi's stack keeps what the
        game reads later). Then the attributes at their `OPEN_DEFAULTS` leave the connection's
        attribute dict, made again at its new size: about 30 entries instead of 70."""
        request = self.__dict__.get("request")
        if request is not None:
            self.request = _OpenedRequest(request.path)
        kept = self.__dict__
        self.__dict__ = {name: value for name, value in kept.items()
                         if name not in OPEN_DEFAULTS or (value is not OPEN_DEFAULTS[name]
                                                          and name not in HANDSHAKE_ATTRIBUTES)}

    # -- in --------------------------------------------------------------------------------
    def _size_limit(self) -> int | None:
        """The largest payload the short path takes: autobahn's frame and message limits (0: none)."""
        limit = self._limit
        if limit is None:
            sizes = [size for size in (self.maxFramePayloadSize, self.maxMessagePayloadSize) if size > 0]
            limit = self._limit = min(sizes) if sizes else 0
        return limit or None

    def dataReceived(self, data: bytes) -> None:
        """Runs for each read once the socket is a websocket (module docstring, **In**)."""
        # autobahn's parser sits between frames (no frame under way, nothing buffered, no
        # fragmented message), the socket is open and uncompressed: the short path may read.
        if (self.state == self.STATE_OPEN and self.current_frame is None and not self.data
                and not self.inside_message and self._perMessageCompress is None and not self.muted):
            limit = self._limit
            payloads, offset = split_binary_frames(data, (limit or None) if limit is not None else self._size_limit())
            if payloads:
                self.last_ping = time.time()  # what daphne's onMessage notes for its ping check
                for payload in payloads:
                    self._deliver(payload)
                    if self.state != self.STATE_OPEN:
                        return  # the handler closed or failed the connection: nothing more is read
            if offset == len(data):
                return
            data = data[offset:]
        elif self._closing:
            self._discarded += len(data)
            if self._discarded > CLOSE_DISCARD_BYTES:
                self.dropConnection(abort=True)
            return
        super().dataReceived(data)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        """A message autobahn parsed (split across reads, fragmented, text): binary ones take
        the same hand-over as the short path, so messages keep their order."""
        if self.muted:
            return
        self.last_ping = time.time()
        if isBinary:
            self._deliver(payload)
        else:
            self._queue({"type": "websocket.receive", "text": payload.decode("utf8")})

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
        self._queue({"type": "websocket.receive", "bytes": payload})

    def onPing(self, payload: bytes) -> None:
        """Runs for each ping autobahn parsed: answered while within `ControlBudget`, else closed with 1008."""
        if self._control_allowed():
            super().onPing(payload)

    def onPong(self, payload: bytes) -> None:
        """Runs for each pong autobahn parsed: counted like a ping."""
        self._control_allowed()

    def _control_allowed(self) -> bool:
        budget = self._control = self._control or ControlBudget()
        if budget.take():
            return True
        self._fail_connection(CLOSE_POLICY, "too many ping or pong frames")
        return False

    def _queue(self, message: dict) -> None:
        """Queue a message for the application, pausing reads only on a backlog."""
        queue = self.application_queue
        queue.put_nowait(message)
        if not self._read_paused and queue.qsize() >= MAX_QUEUED:
            self._read_paused = True
            self.transport.pauseProducing()

    def resume_reading(self) -> None:
        """Called when the application took the last queued message."""
        if self._read_paused:
            self._read_paused = False
            self.transport.resumeProducing()

    # -- closing ---------------------------------------------------------------------------
    def sendCloseFrame(self, code: int | None = None, reasonUtf8: bytes | None = None, isReply: bool = False) -> None:
        """autobahn's close frame, for every close this side sends; when it starts the close
        (the application's, daphne's timeout, a failure) rather than answering one, reading stops."""
        starting = self.state == self.STATE_OPEN and not isReply
        super().sendCloseFrame(code=code, reasonUtf8=reasonUtf8, isReply=isReply)
        if starting:
            self._stop_reading()

    def _fail_connection(self, code: int = 1001, reason: str = "going away") -> None:
        """Runs when autobahn refuses what the client sent (1002, 1007, 1009; 1008 here). It would
        drop the TCP connection (the client sees a reset, not the code): the close frame goes out."""
        if self.state != self.STATE_OPEN:
            super()._fail_connection(code, reason)
            return
        self.failedByMe = True
        self.wasClean, self.wasNotCleanReason = False, reason
        self.sendCloseFrame(code=code, reasonUtf8=encode_truncate(reason, 123))

    def dropConnection(self, abort: bool = False) -> None:
        """autobahn's end of the TCP connection. The orderly one waits for Twisted to write all
        it holds, forever for a client that reads nothing: aborted after `CLOSE_TIMEOUT_S`."""
        super().dropConnection(abort)
        if not abort:
            self.factory._batched_timer.call_later(CLOSE_TIMEOUT_S, self._abort_if_connected)

    def _abort_if_connected(self) -> None:
        if getattr(self.transport, "connected", False):
            self.transport.abortConnection()

    def _stop_reading(self) -> None:
        """Runs once the server has sent its close frame: nothing the client sent after it is
        parsed or handed over (autobahn's unparsed input is dropped), the socket is half-closed
        once the frame is written, and autobahn's close timeout (`CLOSE_TIMEOUT_S`) or
        `CLOSE_DISCARD_BYTES` of input aborts it unless the client closes first."""
        self._closing = True
        self.data = b""
        transport = self.transport
        if self._producing:  # a paused producer would hold the half-close back
            self._producing = False
            transport.unregisterProducer()
        self._wake_writers()
        self.resume_reading()  # reads go on, to see the client's end of the connection
        lose_write = getattr(transport, "loseWriteConnection", None)
        if lose_write is not None:
            lose_write()
        else:  # no half-close: closed once the frame is written
            transport.loseConnection()

    # -- out -------------------------------------------------------------------------------
    def send_now(self, data: bytes) -> bool:
        """Write ``data`` as one binary frame now; False, having written nothing, unless the
        connection is open, Twisted takes writes (`pauseProducing`), no fragmented message is
        being sent, nothing is compressed and ``data`` is within the message size limit."""
        if (self._write_paused or self.state != self.STATE_OPEN or self.send_state != self.SEND_STATE_GROUND
                or self.send_queue
                or self._perMessageCompress is not None or self.muted
                or 0 < self.maxMessagePayloadSize < len(data)):  # over the limit: autobahn's error, as before
            return False
        self._write(framed(data))
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
            sock = idle = None
        if sock is not None:
            try:
                sent = sock.send(frame)
            except OSError:  # full (EAGAIN), or failing: Twisted's own write waits, or finds out and reports it
                sent = 0
            if sent == len(frame):
                return
            frame = frame[sent:]
        transport.write(frame)
        if idle is not None and self._producing:
            # Twisted holds some: the kernel took all it may (`limit_unsent`). Senders wait
            # until Twisted has written it, which then calls `resumeProducing`.
            self._write_paused = transport.producerPaused = True

    def pauseProducing(self) -> None:
        """Called by Twisted when it holds more than its buffer size (64 KiB) for this socket."""
        self._write_paused = True

    def resumeProducing(self) -> None:
        """Called by Twisted once it has written all it held for this socket."""
        self._write_paused = False
        self._wake_writers()

    def stopProducing(self) -> None:
        """Called by Twisted when the connection is lost."""
        self._wake_writers()

    def writable(self) -> asyncio.Future:
        """A future that is done when Twisted takes writes again or the connection goes away."""
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        return waiter

    def _wake_writers(self) -> None:
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)


for _name, _value in OPEN_DEFAULTS.items():  # what a connection reads once it has let go of its own
    setattr(GameDaphneProtocol, _name, _value)
