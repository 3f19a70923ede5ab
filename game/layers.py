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
"""

from __future__ import annotations

import asyncio
import time
from copy import deepcopy

from channels.layers import InMemoryChannelLayer

SWEEP_EVERY_S = 1.0


class SweptInMemoryChannelLayer(InMemoryChannelLayer):
    """`InMemoryChannelLayer` whose expiry sweep runs once a second, not per message."""

    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_EVERY_S:
            self._swept_at = now
            super()._clean_expired()

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        members = self.groups.get(group)
        if not members:
            return
        expires = time.time() + self.expiry
        for channel in list(members):
            queue = self.channels.get(channel)
            if queue is None:
                queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
            if queue.full():
                continue  # as upstream: a full member misses the message (its ChannelFull is swallowed)
            queue.put_nowait((expires, deepcopy(message)))
