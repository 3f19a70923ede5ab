"""The embedded default's channel layer: Channels' in-memory layer, without its per-call sweep.

`channels.layers.InMemoryChannelLayer` sweeps every channel and every group for expired
entries on each `receive` and each `group_send`, and `group_send` starts one task per member
and waits for them all. With hundreds of connected consumers both costs grow with the number
of connections, for every message: under load, a lobby event (a join, the countdown, the
start) took seconds to go round, because the single publisher (`game.runtime`) waited loop
turn after loop turn inside each `group_send` while every consumer's `receive` swept all
channels again. Lobbies then started late, and players learnt of it late.

This subclass keeps the layer's behaviour — the same capacity per channel (`ChannelFull`
dropped for that member, as upstream), the same message expiry and group expiry, a deep copy
per member — but sweeps at most once per ``SWEEP_EVERY_S`` and puts a group's messages on
its members' queues directly, in the order of the calls, without a task per member.

Each channel's queue is a `ChannelQueue` rather than an `asyncio.Queue`: every connected
consumer waits on its channel for as long as it lives, and an `asyncio.Queue` with its three
deques and an `Event` is about 3.5 kB of that socket's memory; upstream's `receive` also made
a new one on every call, only to throw it away when the channel had one.
"""

from __future__ import annotations

import asyncio
import time
from copy import deepcopy
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

SWEEP_EVERY_S = 1.0


class ChannelQueue:
    """A channel's messages: what the in-memory layer uses of `asyncio.Queue` (``put_nowait``,
    ``get``, ``get_nowait``, ``empty``, ``full``, ``qsize``, the oldest item at ``_queue[0]``),
    as a list, with the futures of waiting getters made only while one waits."""

    __slots__ = ("_getters", "_queue", "maxsize")

    def __init__(self, maxsize: int = 0) -> None:
        self.maxsize = maxsize
        self._queue: list[Any] = []
        self._getters: list[asyncio.Future] | None = None

    def empty(self) -> bool:
        return not self._queue

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._queue)

    def qsize(self) -> int:
        return len(self._queue)

    def put_nowait(self, item: Any) -> None:
        if self.full():
            raise asyncio.QueueFull
        self._queue.append(item)
        self._wake_next()

    def get_nowait(self) -> Any:
        if not self._queue:
            raise asyncio.QueueEmpty
        return self._queue.pop(0)

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
        while not self._queue:
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
                if self._queue and not getter.cancelled():  # woken, then cancelled: the next getter takes it
                    self._wake_next()
                raise
        return self._queue.pop(0)


class SweptInMemoryChannelLayer(InMemoryChannelLayer):
    """`InMemoryChannelLayer` whose expiry sweep runs once a second, not per message."""

    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_EVERY_S:
            self._swept_at = now
            super()._clean_expired()

    def _queue_of(self, channel: str) -> ChannelQueue:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = ChannelQueue(self.get_capacity(channel))
        return queue

    async def send(self, channel: str, message: dict) -> None:
        """Upstream's `send`, onto a `ChannelQueue`."""
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        queue = self._queue_of(channel)
        if queue.full():
            raise ChannelFull(channel)
        queue.put_nowait((time.time() + self.expiry, deepcopy(message)))

    async def receive(self, channel: str) -> dict:
        """Upstream's `receive`, without a new queue made (and dropped) on every call."""
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self._queue_of(channel)
        try:
            _, message = await queue.get()
        finally:
            if queue.empty():
                self.channels.pop(channel, None)
        return message

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        members = self.groups.get(group)
        if not members:
            return
        expires = time.time() + self.expiry
        for channel in list(members):
            queue = self._queue_of(channel)
            if queue.full():
                continue  # as upstream: a full member misses the message (its ChannelFull is swallowed)
            queue.put_nowait((expires, deepcopy(message)))
