"""A slow client loses stale state frames, never events, and never blocks the sender."""

from __future__ import annotations

import asyncio

import pytest

from game.engine.outbox import Outbox
from tests.waits import outbox_clock


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

    def send_now(self, data: bytes) -> bool:
        """The server's plain write (uvicorn's ``game.send_now``): takes the frame only while
        the gate is open."""
        if not self.gate.is_set():
            return False
        self.sent.append(data)
        return True

    async def close(self, code: int) -> None:
        self.closed = code


@pytest.fixture(params=["send", "send_now"])
def box_for(request):
    """Every behaviour holds whether the outbox writes through the server's coroutine alone
    or tries its plain write first."""
    def make(sock: Socket, **options) -> Outbox:
        send_now = sock.send_now if request.param == "send_now" else None
        return Outbox(sock.send, sock.close, send_now=send_now, **options)
    return make


async def settle():
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_send_that_does_not_suspend_is_written_inline(box_for):
    sock = Socket()
    box = box_for(sock)
    box.push_event(b"e1")
    box.push_state(b"full", full=True)
    assert sock.sent == [b"e1", b"full"]  # no task, no loop turn needed
    assert box.task is None


async def test_events_are_kept_in_order_and_only_the_newest_state_is_sent(box_for):
    sock = Socket()
    box = box_for(sock)
    sock.gate.clear()  # the client stalls
    box.push_event(b"e1")  # suspends in send
    box.push_state(b"full1", full=True)
    box.push_state(b"full2", full=True)
    box.push_event(b"e2")
    sock.gate.set()
    await settle()
    assert sock.sent == [b"e1", b"e2", b"full2"]
    assert box.dropped_states == 1


async def test_a_delta_never_replaces_an_unsent_frame(box_for):
    sock = Socket()
    box = box_for(sock)
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


async def test_pushing_never_awaits_a_stalled_client(box_for):
    sock = Socket()
    box = box_for(sock, max_events=1000)
    sock.gate.clear()
    for i in range(500):
        box.push_state(b"s%d" % i, full=True)
        box.push_event(b"e%d" % i)
    assert sock.sent == [] and sock.calls == 1  # one suspended send; the rest waits in the box


async def test_a_client_too_far_behind_is_closed_as_too_slow(box_for):
    sock = Socket()
    box = box_for(sock, max_events=4)
    sock.gate.clear()
    for i in range(7):
        box.push_event(b"e%d" % i)
    sock.gate.set()
    await settle()
    assert sock.closed == 4008
    assert box.closed


async def test_close_flushes_events_first(box_for):
    sock = Socket()
    box = box_for(sock)
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


async def test_a_reader_stalled_too_long_is_closed(box_for, monkeypatch):
    clock = outbox_clock(monkeypatch)
    sock = Socket()
    box = box_for(sock, stall_limit_s=0.05)
    sock.gate.clear()
    box.push_state(b"s1", full=True)  # suspends
    clock.now += 0.06
    box.push_state(b"s2", full=True)
    sock.gate.set()
    await settle()
    assert sock.closed == 4008 and sock.sent == [b"s1"]


async def test_a_plain_write_that_takes_the_frame_makes_no_coroutine():
    sock = Socket()
    box = Outbox(sock.send, sock.close, send_now=sock.send_now)
    box.push_event(b"e1")
    box.push_state(b"full", full=True)
    assert sock.sent == [b"e1", b"full"] and sock.calls == 0
    assert (box.sent_frames, box.sent_bytes) == (2, 6)
    sock.gate.clear()  # backpressure: the plain write says no, the coroutine waits
    box.push_state(b"d1", full=False)
    assert sock.calls == 1 and box.task is not None
    sock.gate.set()
    await settle()
    assert sock.sent == [b"e1", b"full", b"d1"] and box.sent_frames == 3


async def test_a_failing_plain_write_marks_the_connection_closed():
    sock = Socket()

    def broken(data: bytes) -> bool:
        raise ConnectionResetError

    box = Outbox(sock.send, sock.close, send_now=broken)
    box.push_event(b"x")
    assert box.closed and sock.calls == 0
    box = Outbox(sock.send, sock.close, send_now=broken)
    box.push_state(b"s", full=True)
    assert box.closed and sock.calls == 0 and box.sent_frames == 0
