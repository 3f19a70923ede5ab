"""The receive queue of a websocket under `make run` (gameserver/daphneserver.py).

daphne gives each application an `asyncio.Queue`: with its getter, putter and item deques and
its `Event`, about 3 kB for each connected socket, most of it four empty 64-slot deque blocks.
The application only ever needs ``get``; daphne's protocol ``put_nowait``. `ReceiveQueue` is
that: a list of messages (at most `MAX_QUEUED` and a read's worth before reads pause) and the
futures of waiting getters, made when one waits. Getting the last message resumes the
connection's reads if they were paused on the backlog.
"""

from __future__ import annotations

import asyncio
from typing import Any


class ReceiveQueue:
    """An unbounded FIFO for one connection's application, as `asyncio.Queue` behaves for
    ``put_nowait``, ``get``, ``empty`` and ``qsize`` (several getters are served in turn)."""

    __slots__ = ("_getters", "_items", "protocol")

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol  # has `_read_paused` and `resume_reading()`
        self._items: list[Any] = []
        self._getters: list[asyncio.Future] | None = None

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._wake_next()

    def _wake_next(self) -> None:
        getters = self._getters
        while getters:
            getter = getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                break
        if not getters:
            self._getters = None

    async def get(self) -> Any:
        items = self._items
        while not items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()  # (done already when it was woken)
                if self._getters is not None and getter in self._getters:
                    self._getters.remove(getter)
                if items and not getter.cancelled():  # woken, then cancelled: the next getter takes it
                    self._wake_next()
                raise
        item = items.pop(0)
        if not items and self.protocol._read_paused:
            self.protocol.resume_reading()
        return item
