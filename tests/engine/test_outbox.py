"""A slow client loses stale state frames, never events, and never blocks the sender."""

from __future__ import annotations

import asyncio

from game.engine.outbox import Outbox


class Socket:
    """A send that finishes at once while the gate is open, and waits while it is shut."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed: int | None = None
        self.gate = asyncio.Event()
        self.gate.set()
        self.calls = 0

    async def send(self, data: bytes) -> None:
        self.calls += 1
        if not self.gate.is_set():
            await self.gate.wait()
        self.sent.append(data)

    async def close(self, code: int) -> None:
        self.closed = code


async def settle():
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_send_that_does_not_suspend_is_written_inline():
    sock = Socket()
    box = Outbox(sock.send, sock.close)
    box.push_event(b"e1")
    box.push_state(b"full", full=True)
    assert sock.sent == [b"e1", b"full"]  # no task, no loop turn needed
    assert box.task is None


async def test_events_are_kept_in_order_and_only_the_newest_state_is_sent():
    sock = Socket()
    box = Outbox(sock.send, sock.close)
    sock.gate.clear()  # the client stalls
    box.push_event(b"e1")  # suspends in send
    box.push_state(b"full1", full=True)
    box.push_state(b"full2", full=True)
    box.push_event(b"e2")
    sock.gate.set()
    await settle()
    assert sock.sent == [b"e1", b"e2", b"full2"]
    assert box.dropped_states == 1


async def test_a_delta_never_replaces_an_unsent_frame():
    sock = Socket()
    box = Outbox(sock.send, sock.close)
    box.push_state(b"full", full=True)
    sock.gate.clear()
    box.push_state(b"d1", full=False)  # stuck in send
    box.push_state(b"d2", full=False)
    box.push_state(b"d3", full=False)  # replaces d2: both dropped, a full one is needed
    assert box.needs_full
    box.push_state(b"d4", full=False)  # useless without a full snapshot: ignored
    box.push_state(b"full2", full=True)
    sock.gate.set()
    await settle()
    assert sock.sent == [b"full", b"d1", b"full2"]


async def test_pushing_never_awaits_a_stalled_client():
    sock = Socket()
    box = Outbox(sock.send, sock.close, max_events=1000)
    sock.gate.clear()
    for i in range(500):
        box.push_state(b"s%d" % i, full=True)
        box.push_event(b"e%d" % i)
    assert sock.sent == [] and sock.calls == 1  # one suspended send; the rest waits in the box


async def test_a_client_too_far_behind_is_closed_as_too_slow():
    sock = Socket()
    box = Outbox(sock.send, sock.close, max_events=4)
    sock.gate.clear()
    for i in range(7):
        box.push_event(b"e%d" % i)
    sock.gate.set()
    await settle()
    assert sock.closed == 4008
    assert box.closed


async def test_close_flushes_events_first():
    sock = Socket()
    box = Outbox(sock.send, sock.close)
    box.push_event(b"bye")
    box.close(4005)
    box.push_event(b"late")  # after close: ignored
    await settle()
    assert sock.sent == [b"bye"] and sock.closed == 4005


async def test_a_failing_send_marks_the_connection_closed():
    async def broken(data: bytes) -> None:
        raise ConnectionResetError

    async def close(code: int) -> None:
        pass

    box = Outbox(broken, close)
    box.push_event(b"x")
    assert box.closed


async def test_a_reader_stalled_too_long_is_closed():
    sock = Socket()
    box = Outbox(sock.send, sock.close, stall_limit_s=0.05)
    sock.gate.clear()
    box.push_state(b"s1", full=True)  # suspends
    await asyncio.sleep(0.06)
    box.push_state(b"s2", full=True)
    sock.gate.set()
    await settle()
    assert sock.closed == 4008 and sock.sent == [b"s1"]
