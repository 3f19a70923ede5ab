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
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State
from websockets.streams import StreamReader

from gameserver.wsframes import RECEIVE_NOW, SEND_NOW, frame_header, split_binary_frames

MAX_QUEUED = 16  # received messages the app may fall behind by before reading pauses
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
        self._idle = None  # the library's parser moves
        super().data_received(data)

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
            self.transport.write(frame_header(len(data)) + data)
            return True
        return False

    async def send(self, message: Any) -> None:
        if (message["type"] == "websocket.send" and (data := message.get("bytes")) is not None
                and self.send_now(data)):
            return
        self._idle = None  # an accept or a close changes what the parser may be given
        await super().send(message)
