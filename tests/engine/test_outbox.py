"""A slow client loses stale state frames, never events, and never blocks the sender."""

from __future__ import annotations

import asyncio

from game.engine.outbox import Outbox


class Socket:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed: int | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def send(self, data: bytes) -> None:
        await self.gate.wait()
        self.sent.append(data)

    async def close(self, code: int) -> None:
        self.closed = code


async def settle():
    for _ in range(10):
        await asyncio.sleep(0)


async def test_events_are_kept_in_order_and_only_the_newest_state_is_sent():
    sock = Socket()
    box = Outbox(sock.send, sock.close)
    task = asyncio.create_task(box.run())
    sock.gate.clear()  # the client stalls
    box.push_event(b"e1")
    await settle()
    box.push_state(b"full1", full=True)
    box.push_state(b"full2", full=True)
    box.push_event(b"e2")
    sock.gate.set()
    await settle()
    assert sock.sent == [b"e1", b"e2", b"full2"]
    assert box.dropped_states == 1
    task.cancel()


async def test_a_delta_never_replaces_an_unsent_frame():
    sock = Socket()
    box = Outbox(sock.send, sock.close)
    task = asyncio.create_task(box.run())
    box.push_state(b"full", full=True)
    await settle()
    sock.gate.clear()
    box.push_state(b"d1", full=False)
    await settle()  # d1 is stuck in send
    box.push_state(b"d2", full=False)
    box.push_state(b"d3", full=False)  # replaces d2: both dropped, a full one is needed
    assert box.needs_full
    box.push_state(b"d4", full=False)  # useless without a full snapshot: ignored
    box.push_state(b"full2", full=True)
    sock.gate.set()
    await settle()
    assert sock.sent == [b"full", b"d1", b"full2"]
    task.cancel()


async def test_pushing_never_awaits_a_stalled_client():
    sock = Socket()
    box = Outbox(sock.send, sock.close, max_events=1000)
    task = asyncio.create_task(box.run())
    sock.gate.clear()
    for i in range(500):
        box.push_state(b"s%d" % i, full=True)
        box.push_event(b"e%d" % i)
    assert len(sock.sent) == 0  # nothing blocked the caller: it returned 1,000 times
    task.cancel()


async def test_a_client_too_far_behind_is_closed_as_too_slow():
    sock = Socket()
    box = Outbox(sock.send, sock.close, max_events=4)
    task = asyncio.create_task(box.run())
    sock.gate.clear()
    for i in range(6):
        box.push_event(b"e%d" % i)
    sock.gate.set()
    await settle()
    assert sock.closed == 4008
    assert task.done()
