"""A websocket's receive queue and writable flag, for both servers' protocol classes
(gameserver/daphneserver.py, gameserver/wsprotocol.py).

daphne and uvicorn give each connection an `asyncio.Queue` for the application's messages and
uvicorn an `asyncio.Event` for "the socket takes writes": with their deques, about 3 kB and
0.8 kB for each connected socket, most of it empty 64-slot deque blocks. The application only
ever needs ``get``; the protocol ``put_nowait``. `ReceiveQueue` is that: a list of messages (at
most `MAX_QUEUED` and a read's worth before reads pause) and the futures of waiting getters,
made when one waits; under daphne, getting the last message resumes the connection's reads
if they were paused on the backlog. `WritableFlag` is the event's ``set``, ``clear``,
``is_set`` and ``wait``, its waiters' futures made only while one waits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from game.layers import ChannelQueue


class ReceiveQueue(ChannelQueue):
    """An unbounded FIFO for one connection's application, as `asyncio.Queue` behaves for
    ``put_nowait``, ``get``, ``get_nowait``, ``empty`` and ``qsize`` (several getters are
    served in turn): the channel layer's lean queue (game.layers), which also resumes a
    paused daphne connection's reads once its application took the last message."""

    __slots__ = ("protocol",)

    def __init__(self, protocol: Any = None) -> None:
        super().__init__()
        self.protocol = protocol  # None, or daphne's: has `_read_paused` and `resume_reading()`

    async def get(self) -> Any:
        item = await super().get()
        protocol = self.protocol
        if not self._queue and protocol is not None and protocol._read_paused:
            protocol.resume_reading()
        return item


class WritableFlag:
    """`asyncio.Event`'s ``set``, ``clear``, ``is_set`` and ``wait``, set when made."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if not self._set:
            self._set = True
            waiters, self._waiters = self._waiters, None
            for waiter in waiters or ():
                if not waiter.done():
                    waiter.set_result(True)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            return await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
