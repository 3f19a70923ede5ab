"""A turn-based lobby's loop rests between moves (game.engine.turns): it sleeps until a move,
a command or a join is queued, or until the game's own timer (``wake_in``), and the ticks it
slept through still count for the game and the lobby's clocks."""

from __future__ import annotations

import asyncio

from game.engine.turns import MAX_REST_S

from .test_lifecycle import DT
from .test_views import TurnSecrets, secret_lobby


class TimedSecrets(TurnSecrets):
    """Turn-based, with a turn clock: every 2 s of game time the turn passes by itself."""

    name = "timed_secrets"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.clock, self.turns = 2.0, 0

    def step(self, dt):
        self.clock -= dt
        if self.clock <= 1e-9:
            self.clock, self.turns = 2.0, self.turns + 1
            self.pending.append({"type": "turn", "id": 0})
        return super().step(dt)

    def wake_in(self):
        return self.clock


def count_ticks(loop):
    calls = []
    step = loop.step_tick

    def counted(dt):
        calls.append(loop.tick)
        step(dt)

    loop.step_tick = counted
    return calls


async def running(game_cls):
    loop, hooks, seated, watchers, staff = await secret_lobby(game_cls)
    clock = loop.clock
    calls = count_ticks(loop)
    task = asyncio.get_running_loop().create_task(loop.run())
    return loop, clock, calls, task, seated, watchers


async def test_an_idle_turn_based_lobby_sleeps_through_its_ticks_and_wakes_for_a_move():
    loop, clock, calls, task, seated, watchers = await running(TurnSecrets)
    try:
        first_tick, states = loop.tick, len(watchers[0][1].states())
        await clock.advance(60.0)
        assert loop.tick - first_tick >= 60 / DT - 2  # the ticks passed (the game stepped through them)
        assert loop.match.game.tick >= 60 / DT - 10
        assert len(calls) <= 60 / MAX_REST_S + 3  # but the loop woke only every MAX_REST_S
        assert loop.pacing.rests >= 60 / MAX_REST_S - 1
        assert len(watchers[0][1].states()) == states  # and sent nothing
        member = seated[1][0]
        loop.submit_input(member, 0, 1)
        await clock.advance(DT)
        assert len(watchers[0][1].states()) == states + 1  # the move is out within a tick
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_resting_lobby_wakes_for_a_join_and_at_the_games_own_timer():
    loop, clock, calls, task, seated, watchers = await running(TimedSecrets)
    try:
        await clock.advance(0.5)
        turns = loop.match.game.turns
        await clock.advance(2.0)
        assert loop.match.game.turns == turns + 1  # the timer ran out on time
        woke = len(calls)
        await clock.advance(1.0)
        assert len(calls) - woke <= 2  # and slept again until the next
        states = len(watchers[0][1].states())
        await clock.advance(1.0)
        assert len(watchers[0][1].states()) == states + 1  # the turn passing is a frame
        task2 = asyncio.get_running_loop().create_task(join_raw_waiting(loop, clock))
        member, conn = await task2
        assert member.role == "spectator" and [f["k"] for f in conn.states()] == ["full"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def join_raw_waiting(loop, clock):
    from .helpers import request
    from .test_views import RawConn

    req, _ = request("late", role="spectator")
    req.conn = conn = RawConn()
    future = loop.submit_join(req)
    await clock.advance(DT)
    return future.result(), conn
