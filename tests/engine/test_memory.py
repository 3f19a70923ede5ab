"""Memory stays flat across matches: what a match holds (its game, its replay log) is given
back when it ends (docs/performance.md, "Memory")."""

from __future__ import annotations

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
