"""The embedded channel layer: upstream's in-memory behaviour, without a sweep per message."""

from __future__ import annotations

import asyncio
import time

import pytest

from game import layers
from game.layers import SweptInMemoryChannelLayer


def run(coro):
    return asyncio.run(coro)


def test_group_send_reaches_every_member_in_order_with_a_copy_each():
    async def scenario():
        layer = SweptInMemoryChannelLayer(capacity=10)
        a, b, c = [await layer.new_channel() for _ in range(3)]
        await layer.group_add("lobby", a)
        await layer.group_add("lobby", b)
        await layer.group_add("other", c)
        payload = {"type": "lobby.event", "data": b"x", "list": [1]}
        for n in range(3):
            await layer.group_send("lobby", {**payload, "n": n})
        got_a = [await layer.receive(a) for _ in range(3)]
        got_b = [await layer.receive(b) for _ in range(3)]
        assert [m["n"] for m in got_a] == [0, 1, 2] == [m["n"] for m in got_b]
        got_a[0]["list"].append(2)
        assert got_b[0]["list"] == [1]  # each member has its own copy, as upstream
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await layer.receive(c)
        await layer.group_send("nobody", {"type": "lobby.event"})  # an unknown group: nothing happens
    run(scenario())


def test_a_full_member_misses_the_message_and_the_others_get_it():
    async def scenario():
        layer = SweptInMemoryChannelLayer(capacity=2)
        full, fine = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("g", full)
        await layer.group_add("g", fine)
        for n in range(3):
            await layer.group_send("g", {"type": "e", "n": n})
            if n < 2:
                await layer.receive(fine)
        assert [(await layer.receive(full))["n"] for _ in range(2)] == [0, 1]  # the third was dropped
        assert (await layer.receive(fine))["n"] == 2
    run(scenario())


def test_expired_messages_and_their_channels_are_swept_at_most_once_a_second(monkeypatch):
    async def scenario():
        layer = SweptInMemoryChannelLayer(expiry=0.01)
        stale, other = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("g", stale)
        await layer.group_send("g", {"type": "e"})
        await asyncio.sleep(0.02)  # past the 10 ms expiry (about time: a longer sleep only ages it more)
        monkeypatch.setattr(layers, "SWEEP_EVERY_S", 3600.0)
        layer._swept_at = time.monotonic()
        await layer.group_send("h", {"type": "e"})  # swept recently: the expired message stays
        assert stale in layer.channels and stale in layer.groups["g"]
        monkeypatch.setattr(layers, "SWEEP_EVERY_S", 0.0)
        layer.expiry = 3600  # the message that triggers the sweep must not expire itself on a busy machine
        await layer.send(other, {"type": "e"})
        await layer.receive(other)  # a receive sweeps now: the expired message and membership go
        assert stale not in layer.channels and stale not in layer.groups["g"]
    run(scenario())
