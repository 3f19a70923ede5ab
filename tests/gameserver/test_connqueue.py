"""`make run`'s receive queue (gameserver/connqueue.py) behaves as `asyncio.Queue` does for
what daphne and the application use of it."""

from __future__ import annotations

import asyncio

from gameserver.connqueue import ReceiveQueue
from tests.waits import loop_turns


class Protocol:
    def __init__(self) -> None:
        self._read_paused = False
        self.resumed = 0

    def resume_reading(self) -> None:
        self._read_paused = False
        self.resumed += 1


def test_messages_come_out_in_order_and_a_waiting_getter_is_woken():
    async def scenario() -> None:
        queue = ReceiveQueue(Protocol())
        queue.put_nowait(1)
        queue.put_nowait(2)
        assert queue.qsize() == 2 and not queue.empty()
        assert [await queue.get(), await queue.get()] == [1, 2] and queue.empty()
        waiting = asyncio.ensure_future(queue.get())
        await loop_turns(3)
        assert not waiting.done()
        queue.put_nowait(3)
        assert await waiting == 3

    asyncio.run(scenario())


def test_a_cancelled_getter_loses_nothing_and_several_getters_are_served_in_turn():
    async def scenario() -> None:
        queue = ReceiveQueue(Protocol())
        first, second = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
        await loop_turns(2)
        queue.put_nowait("a")  # wakes the first getter...
        first.cancel()  # ...which is cancelled before it runs: the second one takes "a"
        assert await second == "a"
        assert first.cancelled() and queue.empty()
        third, fourth = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
        await loop_turns(2)
        third.cancel()  # cancelled while waiting
        await loop_turns(2)
        queue.put_nowait("b")
        assert await fourth == "b"

    asyncio.run(scenario())


def test_taking_the_last_message_resumes_paused_reads():
    async def scenario() -> None:
        protocol = Protocol()
        queue = ReceiveQueue(protocol)
        queue.put_nowait(1)
        queue.put_nowait(2)
        protocol._read_paused = True
        await queue.get()
        assert protocol.resumed == 0
        await queue.get()
        assert protocol.resumed == 1

    asyncio.run(scenario())


def test_the_writable_flag_wakes_every_waiter_when_set():
    from gameserver.connqueue import WritableFlag

    async def scenario() -> None:
        flag = WritableFlag()
        assert flag.is_set() and await flag.wait()
        flag.clear()
        waiters = [asyncio.ensure_future(flag.wait()) for _ in range(3)]
        cancelled = asyncio.ensure_future(flag.wait())
        await loop_turns(2)
        assert not any(w.done() for w in waiters)
        cancelled.cancel()
        await loop_turns(2)
        flag.set()
        assert await asyncio.gather(*waiters) == [True, True, True] and cancelled.cancelled()

    asyncio.run(scenario())
