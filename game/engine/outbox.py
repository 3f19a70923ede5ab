"""How frames leave the server: one small outbox per connection.

The tick loop never awaits a client. It drops bytes into the outbox of each local
connection and returns; a writer task per connection drains the outbox through the
connection's ``send``. The outbox keeps every event frame (in order) but only the newest
state frame: when a client falls behind, stale state is replaced, never queued. A delta
frame cannot replace an unsent frame (the client would miss what the dropped frame
changed), so the outbox drops both and asks the loop for a full snapshot instead.
A client whose unsent events exceed ``max_events`` is too slow to keep and is closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger("game.outbox")

CLOSE_TOO_SLOW = 4008


class Outbox:
    """Frames waiting for one connection, and the task that writes them."""

    def __init__(
        self,
        send: Callable[[bytes], Awaitable[None]],
        close: Callable[[int], Awaitable[None]],
        *,
        max_events: int = 256,
    ) -> None:
        self._send = send
        self._close = close
        self._events: deque[bytes] = deque()
        self._state: bytes | None = None
        self._wake = asyncio.Event()
        self._close_code: int | None = None
        self.max_events = max_events
        self.needs_full = True  # a new connection starts from a full snapshot
        self.dropped_states = 0
        self.sent_frames = 0
        self.sent_bytes = 0
        self.closed = False

    def push_event(self, data: bytes) -> None:
        """Queue an event frame; it is never dropped while the connection lives."""
        if self.closed or self._close_code is not None:
            return
        if len(self._events) >= self.max_events:
            log.warning("closing a connection %d events behind", len(self._events))
            self.close(CLOSE_TOO_SLOW)
            return
        self._events.append(data)
        self._wake.set()

    def push_state(self, data: bytes, *, full: bool) -> None:
        """Offer the newest state frame; an unsent older one is replaced."""
        if self.closed or self._close_code is not None:
            return
        if self._state is not None:
            self.dropped_states += 1
            if not full:
                self._state = None
                self.needs_full = True
                return
        if full:
            self.needs_full = False
        elif self.needs_full:
            return  # a delta is useless until the client has a full snapshot
        self._state = data
        self._wake.set()

    def close(self, code: int) -> None:
        """Send the queued events, then close the connection with ``code``."""
        if self._close_code is None:
            self._close_code = code
            self._state = None
            self._wake.set()

    async def run(self) -> None:
        """The writer task: send frames as they arrive until closed."""
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._events:
                    await self._write(self._events.popleft())
                if self._close_code is not None:
                    self.closed = True
                    await self._close(self._close_code)
                    return
                if self._state is not None:
                    data, self._state = self._state, None
                    await self._write(data)
        finally:
            self.closed = True

    async def _write(self, data: bytes) -> None:
        await self._send(data)
        self.sent_frames += 1
        self.sent_bytes += len(data)
