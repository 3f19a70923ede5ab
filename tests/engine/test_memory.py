"""Memory stays flat across matches: what a match holds (its game, its replay log) is given
back when it ends (docs/performance.md, "Memory")."""

from __future__ import annotations

import asyncio
import gc
import random
import tracemalloc

from game.engine.lobby import NullConnection
from game.rules import get_game

from .helpers import make_loop, request
from .test_lifecycle import DT


def play_a_match(loop, members, cls, rng, ticks: int) -> None:
    loop.submit_command(members[0].id, "start" if loop.lobby.phase == "waiting" else "rematch", {})
    for t in range(ticks):
        for m in members:
            loop.submit_input(m, t, cls.parse_input({"mx": rng.choice([-1, 0, 1]), "my": rng.choice([-1, 0, 1]),
                                                     "aim": rng.uniform(-3.1, 3.1), "fire": rng.random() < 0.1}))
        loop.step_tick(DT)
    loop.match.game.finished = True  # the time limit, early
    loop.step_tick(DT)
    assert loop.lobby.phase == "finished"


async def test_what_a_match_holds_is_given_back_when_it_ends():
    cls = get_game("arena")
    loop, clock, hooks = make_loop(game_cls=cls, max_players=4)
    members = []
    for i in range(4):
        req, _ = request(f"p{i}", creator=i == 0)
        req.conn = NullConnection()  # frames go nowhere: only what the server keeps counts
        future = loop.submit_join(req)
        loop.step_tick(DT)
        members.append(future.result())
    for m in members[1:]:
        loop.submit_command(m.id, "ready", {"ready": True})
    rng = random.Random(7)
    play_a_match(loop, members, cls, rng, 200)  # warm every cache up
    hooks.saved.clear()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        play_a_match(loop, members, cls, rng, 1200)  # a minute of play
        during = tracemalloc.get_traced_memory()[0]
        hooks.saved.clear()  # the runtime's writer lets go of a record once it is saved
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert during - base > 20_000  # the match's replay log, at least
    assert after - base < 64_000, f"{after - base} bytes kept after the match"


async def test_an_outbox_is_small_and_keeps_no_queue_while_its_socket_keeps_up():
    """One outbox per connected socket: slots, and an event queue only while frames wait."""
    from game.engine.outbox import Outbox

    written, taking, gate = [], [True], asyncio.Event()

    def send_now(data: bytes) -> bool:
        if taking[0]:
            written.append(data)
        return taking[0]

    async def send(data: bytes) -> None:  # the server's coroutine: waits while the socket is backed up
        if not taking[0]:
            await gate.wait()
        written.append(data)

    async def close(code: int) -> None:
        pass

    box = Outbox(send, close, send_now=send_now)
    assert not hasattr(box, "__dict__")
    box.push_event(b"e1")
    box.push_state(b"s1", full=True)
    assert written == [b"e1", b"s1"] and box._events is None
    taking[0] = False  # the socket backs up: events wait, in order, behind the state frame
    box.push_state(b"s2", full=True)
    box.push_event(b"e2")
    box.push_event(b"e3")
    assert written == [b"e1", b"s1"] and box.pending_frames == 2  # s2 is in the suspended send
    taking[0] = True
    gate.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert written == [b"e1", b"s1", b"s2", b"e2", b"e3"] and box._events is None
    box.push_event(b"e4")  # caught up: straight through again
    assert written[-1] == b"e4" and box.task.done()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        boxes = [Outbox(send, close, send_now=send_now) for _ in range(1000)]
        for one in boxes:
            one.push_event(b"joined")
            one.push_state(b"full", full=True)
        per_box = (tracemalloc.get_traced_memory()[0] - base) / len(boxes)
    finally:
        tracemalloc.stop()
    assert per_box < 400, f"{per_box:.0f} bytes per outbox"  # 1,145 with a dict and a deque each
