"""uvicorn's sans-io websocket protocol with a short path for the game's two hot messages.

    uvicorn gameserver.asgi:application --loop uvloop --ws gameserver.wsprotocol:GameWebSocketProtocol

Every state frame out and every input in is one small, whole, binary websocket frame. The
stock protocol (`uvicorn.protocols.websockets.websockets_sansio_impl`) runs each through
the general machinery of `websockets`: a generator parser fed through a stream reader and
a `Frame` object per message in, a `Frame` built and serialized per message out, and a
`pause_reading`/`resume_reading` pair around every message received. That is about a third
of the server's CPU per frame at full load (docs/performance.md). This subclass takes a
shorter way for exactly those frames and leaves everything else to the library:

- **In**: when the parser sits idle between frames (suspended where it waits for a frame's
  first byte, its buffer empty, no fragmented message under way, state OPEN, no extension),
  each complete, final, masked binary frame at the start of the received bytes is unmasked
  here and queued as ``websocket.receive``. The
  first byte that is not such a frame (a ping, a close, text, a fragment, a partial frame,
  one over ``--ws-max-size``) and everything after it go to the library's parser, which is
  then at a frame boundary with an empty buffer — exactly where it would have been.
- **Out**: ``websocket.send`` of bytes on an open, writable connection without extensions
  writes the frame header and payload straight to the transport. The scope extension
  ``game.send_now`` offers the same write as a plain function ``f(bytes) -> bool`` that
  returns False, having written nothing, when the frame would have to wait (the transport
  asked to stop writing — backpressure — or the connection is closing): the lobby's outbox
  writes state frames with it, with no coroutine or message dict per frame, and falls back
  to ``send`` when it says False.
- **Reading** is paused only when the app falls ``MAX_QUEUED`` messages behind, not after
  every message; the backlog a client can build is still bounded.
- **Handing over** (optional): the scope carries the extension ``game.receive_now``, a
  function the application may call with a plain function ``f(bytes)``. From then on a binary
  message that finds the receive queue empty is given to ``f`` at once, inside
  ``data_received``, instead of waking the application's task through the queue; messages
  keep their order (the queue is used while it holds anything) and everything else still
  comes through ``receive()``. The lobby consumer uses it for its frames, whose handling
  never awaits (game/consumers.py); ``f(None)`` hands the messages back to the queue.

The application still sends ordinary ASGI messages: the consumer calls
``send(bytes_data=...)`` as under daphne. Anything unusual falls back to the parent class,
so behaviour (close codes, size limits, pings, protocol errors) is the library's.

- **Memory**: the receive queue and the writable flag are the lean ones of
  gameserver/connqueue.py, and once the accept is sent the handshake's request and response
  (their headers) are let go; uvicorn kept them for the connection's life.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

from game.extensions import RECEIVE_NOW, SEND_NOW
from gameserver.connqueue import ReceiveQueue, WritableFlag
from gameserver.wsframes import (
    CLOSE_DISCARD_BYTES,
    CLOSE_POLICY,
    CLOSE_TIMEOUT_S,
    HANDSHAKES,
    MAX_QUEUED,
    ControlBudget,
    framed,
    handshake_key,
    limit_unsent,
    reset_on_close,
    split_binary_frames,
)

LIBRARY_SLICE = 4096  # bytes given to the library's parser at a time
AT_EOF = StreamReader.at_eof.__code__  # where the library's parser waits between frames

log = logging.getLogger("gameserver.wsprotocol")


def parser_between_frames(conn: Any) -> bool:
    """Whether the library's parser waits for the first byte of a frame.

    An empty buffer alone does not say so: a frame split after its mask key leaves the parser
    waiting for the payload with nothing buffered, and masked payload bytes can look like a
    frame. Where the parser is suspended does: in `StreamReader.at_eof` between frames, in
    `read_exact` inside one (reached through the server's and the base protocol's `parse`).
    Were the library to change this, the answer is False, and every byte takes the slow path.
    """
    waiting_in = getattr(conn, "parser", None)
    for _ in range(4):
        inner = getattr(waiting_in, "gi_yieldfrom", None)
        if inner is None:
            break
        waiting_in = inner
    return getattr(waiting_in, "gi_code", None) is AT_EOF


class GameWebSocketProtocol(WebSocketsSansIOProtocol):
    """`WebSocketsSansIOProtocol` with a short path for whole binary frames (module docstring)."""

    receive_now: Callable[[bytes], None] | None = None
    _idle: bool | None = None  # `_parser_idle`'s answer about the parser, while it holds
    _closing = False  # the server sent its close: input is dropped unparsed (`_stop_reading`)
    _discarded = 0  # bytes dropped since
    _control: ControlBudget | None = None  # the client's pings and pongs (made at the first)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = ReceiveQueue()  # type: ignore[assignment]  # (reads are resumed by `receive`)
        self.writable = WritableFlag()  # type: ignore[assignment]

    def connection_made(self, transport: Any) -> None:
        """Runs when uvicorn hands the upgraded socket over: the kernel holds little unsent for
        it (`limit_unsent`), and `send_now` says no while the transport holds anything, so
        that backpressure reaches the outbox at once."""
        super().connection_made(transport)
        limit_unsent(transport.get_extra_info("socket"))
        # Senders wait as soon as the transport buffers anything the kernel did not take.
        with contextlib.suppress(AttributeError, NotImplementedError):
            transport.set_write_buffer_limits(high=0)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # none when the handshake was refused
        if scope is not None:
            scope["extensions"][RECEIVE_NOW] = self._set_receive_now
            scope["extensions"][SEND_NOW] = self.send_now

    def _set_receive_now(self, handler: Callable[[bytes], None] | None) -> None:
        self.receive_now = handler

    def _parser_idle(self) -> bool:
        """State OPEN, no close sent, and the library's parser between two frames of no
        fragmented message. The parser's part is kept until the library reads again (or
        `send` takes the library's path, as an accept does): the short path never moves it."""
        if self.conn.state is not State.OPEN or self.close_sent:
            return False
        idle = self._idle
        if idle is None:
            conn = self.conn
            idle = self._idle = (conn.current_size is None and not conn.reader.buffer and not conn.extensions
                                 and self.handshake_complete and parser_between_frames(conn))
        return idle

    def data_received(self, data: bytes) -> None:
        if self._parser_idle():
            payloads, offset = split_binary_frames(data, self.conn.max_message_size)
            for payload in payloads:
                self._deliver(payload)
                if self.close_sent:
                    return  # the handler closed the connection: the rest is discarded
            if offset == len(data):
                return
            data = data[offset:]
        elif self._closing:
            self._discard(len(data))
            return
        self._idle = None  # the library's parser moves
        # The library parses all it is given before its events are seen: given in slices, it
        # parses at most one slice past a frame that makes the server close.
        for start in range(0, len(data), LIBRARY_SLICE):
            if self._closing or self.transport.is_closing():
                self._discard(len(data) - start)
                return
            super().data_received(data[start:start + LIBRARY_SLICE] if len(data) > LIBRARY_SLICE else data)

    def handle_ping(self) -> None:
        """Runs for each ping the library parsed (it queued the pong): answered while within
        `ControlBudget`, else closed with 1008."""
        if self._closing:
            return
        if self._control_allowed():
            super().handle_ping()

    def handle_pong(self, event: Any) -> None:
        """A pong the library parsed: counted like a ping."""
        if not self._closing and self._control_allowed():
            super().handle_pong(event)

    def _control_allowed(self) -> bool:
        budget = self._control = self._control or ControlBudget()
        if budget.take():
            return True
        self.conn.fail(CLOSE_POLICY, "too many ping or pong frames")
        self.handle_parser_exception()
        return False

    def _deliver(self, payload: bytes) -> None:
        handler = self.receive_now
        if handler is not None and self.queue.empty():
            try:
                handler(payload)
            except Exception:  # the app's bug must not stop this connection's reads silently
                log.exception("the application's receive_now handler failed; closing the connection")
                self.receive_now = None
                self.conn.fail(1011)
                self.handle_parser_exception()
            return
        self._enqueue({"type": "websocket.receive", "bytes": payload})

    def _enqueue(self, message: Any) -> None:
        """Queue a message for ``receive()``, pausing reads only on a backlog."""
        self.queue.put_nowait(message)
        if not self.read_paused and self.queue.qsize() >= MAX_QUEUED:
            self.read_paused = True
            self.transport.pause_reading()

    def send_receive_event_to_app(self) -> None:
        """The library's path for a message it parsed: queue it, pausing only on a backlog."""
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        self.frames = []
        if self.close_sent:
            return  # past `websocket.close`: the parent discards late messages too
        if self.curr_msg_data_type == "text":
            try:
                text = data.decode()
            except UnicodeDecodeError:
                self.logger.exception("Invalid UTF-8 sequence received from client.")
                self.conn.send_close(1007)
                self.handle_parser_exception()
                return
            message: Any = {"type": "websocket.receive", "text": text}
        else:
            message = {"type": "websocket.receive", "bytes": data}
        self._enqueue(message)

    def send_now(self, data: bytes) -> bool:
        """Write ``data`` as one binary frame now if the connection takes it without waiting
        (open, writable, no extension); False, having done nothing, otherwise."""
        if (self.writable.is_set() and not self.disconnected and self.initial_response is None
                and self.conn.state is State.OPEN and not self.close_sent and not self.conn.extensions):
            self.transport.write(framed(data))
            return True
        return False

    async def send(self, message: Any) -> None:
        if message["type"] == "websocket.send":
            if (data := message.get("bytes")) is not None and self.send_now(data):
                return
        elif message["type"] == "websocket.close" and self._close_now(message):
            return
        self._idle = None  # an accept or a close changes what the parser may be given
        await super().send(message)
        if self.handshake_complete and getattr(self, "response", None) is not None:
            self._forget_handshake()

    def _forget_handshake(self) -> None:
        """Once the accept is sent: uvicorn's request and response (with their headers) are let
        go, and so is the library's handshake parser, whose suspended frame holds the request
        too. Between frames, a new frame parser takes its place, where the old one would have
        continued (`ServerProtocol.parse` goes on into the base protocol's); mid-frame (a client
        that sent frames before it saw the accept), the old one stays."""
        self.request = self.response = None
        conn = self.conn
        if (conn.state is State.OPEN and conn.current_size is None and not conn.reader.buffer
                and parser_between_frames(conn)):
            old, conn.parser = conn.parser, super(ServerProtocol, conn).parse()
            next(conn.parser)  # (to its first wait, as the library starts its parsers)
            old.close()
            self._idle = None

    # -- closing ---------------------------------------------------------------------------
    def _close_now(self, message: Any) -> bool:
        """The application's ``websocket.close`` on an open connection: the close frame goes
        out at once, even while the transport asks writers to wait (the library's `send` would
        wait for it, forever for a client that stopped reading), and reading stops."""
        if (self.close_sent or self.disconnected or not self.handshake_complete or self.initial_response is not None
                or self.conn.state is not State.OPEN or self.transport.is_closing()):
            return False
        code, reason = message.get("code", 1000), message.get("reason") or ""
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self._stop_reading()
        return True

    def handle_parser_exception(self) -> None:
        """Runs when the library refused a frame (1002, 1007, 1009: its close frame is ready) or the
        hand-over failed (1011). Unlike the library's way, the socket is not closed at once with
        the client's bytes unread (which resets the connection, and the client may never see the
        close frame): it is half-closed after the close frame, as any close the server starts."""
        sent = self.conn.close_sent
        code, reason = (sent.code, sent.reason) if sent is not None else (1006, "")
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self._stop_reading()

    def _stop_reading(self) -> None:
        """Runs once the server has sent its close frame: nothing the client sent after it is
        parsed or handed to the application, the socket is half-closed once the frame is
        written, and the connection is aborted after `CLOSE_TIMEOUT_S` or `CLOSE_DISCARD_BYTES`
        unless the client closes first."""
        self._closing = True
        transport = self.transport
        if transport.is_closing():
            return
        if self.read_paused:  # reads go on, to see the client's end of the connection
            self.read_paused = False
            transport.resume_reading()
        can_write_eof = getattr(transport, "can_write_eof", None)
        if can_write_eof is None or not can_write_eof():
            transport.close()  # no half-close: closed once the frame is written
            return
        transport.write_eof()
        self.loop.call_later(CLOSE_TIMEOUT_S, self._abort)

    def keepalive_timeout(self) -> None:
        """Runs when the client did not answer a ping in time. The library's close ends with
        `transport.close()`, which waits for the buffer to be written, forever for a client that
        reads nothing: past `CLOSE_TIMEOUT_S`, the connection is aborted."""
        super().keepalive_timeout()
        self.loop.call_later(CLOSE_TIMEOUT_S, self._abort)

    def handle_close(self, event: Any) -> None:
        """The client's close frame: the library answers and closes; aborted as in `keepalive_timeout`."""
        super().handle_close(event)
        self.loop.call_later(CLOSE_TIMEOUT_S, self._abort)

    def _discard(self, size: int) -> None:
        self._discarded += size
        if self._discarded > CLOSE_DISCARD_BYTES:
            self._abort()

    def _abort(self) -> None:
        if not self.disconnected:
            reset_on_close(self.transport.get_extra_info("socket"))  # uvloop's abort alone sends no reset
            self.transport.abort()


class GameH11Protocol(H11Protocol):
    """uvicorn's h11 HTTP protocol with a deadline and a per-address cap on unfinished requests
    (`gameserver.wsframes.HANDSHAKES`), which uvicorn does not have: a request — a websocket
    upgrade included — must be whole within ``GAME_HANDSHAKE_TIMEOUT_S`` of the connection's
    accept (or, kept alive, of its next request's first byte), else the connection is dropped.

        uvicorn ... --http gameserver.wsprotocol:GameH11Protocol
    """

    _handshake: Any = None  # the unfinished request's `Handshake`; None once it is whole

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._begin_request()

    def _begin_request(self) -> None:
        address = handshake_key(self.client[0] if self.client else None)
        self._handshake = HANDSHAKES.begin(address, self.transport.abort, self.loop.call_later)
        if self._handshake is None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        """Runs for each read: the first byte of a kept-alive connection's next request starts
        its deadline; the request's end (a whole request, an upgrade) ends it."""
        if self._handshake is None and self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._begin_request()
        super().data_received(data)
        if self._handshake is not None and self.conn.their_state is not h11.IDLE \
                and self.conn.their_state is not h11.SEND_BODY:
            HANDSHAKES.end(self._handshake)
            self._handshake = None

    def handle_websocket_upgrade(self, event: Any) -> None:
        HANDSHAKES.end(self._handshake)  # the request is whole: the websocket's own rules apply
        self._handshake = None
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        HANDSHAKES.end(self._handshake)
        self._handshake = None
        super().connection_lost(exc)
