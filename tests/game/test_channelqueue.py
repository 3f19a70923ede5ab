"""The embedded channel layer's per-channel queue (game/layers.py `ChannelQueue`) behaves as the
`asyncio.Queue` it replaces for what the layer uses of it."""

from __future__ import annotations

import asyncio

import pytest

from game.layers import ChannelQueue, SweptInMemoryChannelLayer
from tests.waits import loop_turns


def test_a_bounded_fifo_that_wakes_its_getters_in_turn_and_loses_nothing_to_a_cancel():
    async def scenario() -> None:
        queue = ChannelQueue(2)
        queue.put_nowait(1)
        queue.put_nowait(2)
        assert queue.full() and queue.qsize() == 2 and queue._queue[0] == 1
        with pytest.raises(asyncio.QueueFull):
            queue.put_nowait(3)
        assert [await queue.get(), queue.get_nowait()] == [1, 2] and queue.empty()
        with pytest.raises(asyncio.QueueEmpty):
            queue.get_nowait()
        first, second = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
        await loop_turns(2)
        queue.put_nowait("a")
        first.cancel()  # woken, then cancelled before it ran: the second getter takes "a"
        assert await second == "a" and first.cancelled()

    asyncio.run(scenario())


def test_a_waiting_consumer_holds_one_lean_queue_and_gets_what_is_sent():
    async def scenario() -> None:
        layer = SweptInMemoryChannelLayer()
        channel = await layer.new_channel()
        waiting = asyncio.ensure_future(layer.receive(channel))
        await loop_turns(2)
        assert type(layer.channels[channel]) is ChannelQueue
        await layer.send(channel, {"type": "x", "n": 1})
        assert (await waiting)["n"] == 1 and channel not in layer.channels  # emptied: dropped, as upstream

    asyncio.run(scenario())
