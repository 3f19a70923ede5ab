"""One scheduler runs every lobby loop of a process (game.engine.scheduler): one task, one
wake-up per tick period for any number of lobbies, each lobby on its own fixed timestep, and
a lobby that is slow or raises never stops the others."""

from __future__ import annotations

import asyncio
import math

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from game.engine.clock import FakeClock, MonotonicClock
from game.engine.lobby import Lobby, LobbyConfig
from game.engine.loop import LobbyLoop
from game.engine.scheduler import scheduler_for
from tests.waits import until

from .helpers import CounterGame, FakeHooks, request


def lobbies(clock, rates, **options):
    hooks = FakeHooks()
    options.setdefault("countdown_s", 0.1)
    loops = [LobbyLoop(Lobby(LobbyConfig(code=f"L{i:05d}", name="t", game_cls=CounterGame, max_players=4,
                                         tick_rate_hz=rate)), clock=clock, hooks=hooks, **options)
             for i, rate in enumerate(rates)]
    return loops, hooks


def scheduler_tasks():
    return [t for t in asyncio.all_tasks() if t.get_name() == "lobby-scheduler" and not t.done()]


async def stop(loops):
    for loop in loops:
        loop.task.cancel()
    await asyncio.gather(*(loop.task for loop in loops), return_exceptions=True)


async def test_many_lobbies_share_one_task_and_one_wake_up_a_tick():
    clock = FakeClock()
    loops, _hooks = lobbies(clock, [20] * 50)
    for loop in loops:
        loop.start()
    scheduler = scheduler_for(clock)
    await clock.advance(1.0)
    assert [loop.tick for loop in loops] == [20] * 50
    assert len(scheduler_tasks()) == 1
    assert scheduler.passes == 20  # one pass a period ran every lobby's tick
    await stop(loops)


async def test_rates_keep_their_own_timesteps_and_share_the_instants_they_have_in_common():
    clock = FakeClock()
    loops, _hooks = lobbies(clock, [20, 60, 60, 20])
    for loop in loops:
        loop.start()
    scheduler = scheduler_for(clock)
    for _ in range(10):
        await clock.advance(1.0)
    assert [loop.tick for loop in loops] == [200, 600, 600, 200]
    assert scheduler.passes == 600  # a 20 Hz tick falls on every third 60 Hz one
    await stop(loops)


async def test_a_lobby_started_between_two_ticks_runs_on_the_grid_of_its_period():
    clock = FakeClock()
    first, _ = lobbies(clock, [20])
    first[0].start()
    await clock.advance(0.02)
    second, _ = lobbies(clock, [20])
    second[0].start()
    await clock.advance(0.03)  # the first's first tick: the second's too
    assert (first[0].tick, second[0].tick) == (1, 1)
    await clock.advance(1.0)
    assert (first[0].tick, second[0].tick) == (21, 21)
    assert scheduler_for(clock).passes == 21
    await stop(first + second)


async def test_a_lobby_whose_tick_raises_closes_alone():
    clock = FakeClock()
    loops, hooks = lobbies(clock, [20, 20, 20])
    broken = loops[1]

    def crash(dt):
        raise RuntimeError("boom")

    for loop in loops:
        loop.start()
    await clock.advance(0.5)
    broken.step_tick = crash
    await clock.advance(0.5)
    assert broken.lobby.phase == "closed" and broken.lobby.close_reason == "server_error"
    assert broken.task.done() and broken.task.exception() is None
    assert hooks.closed == [broken.lobby.code]
    assert [loops[0].tick, loops[2].tick] == [20, 20]
    await clock.advance(1.0)
    assert [loops[0].tick, loops[2].tick] == [40, 40]
    await stop([loops[0], loops[2]])


async def test_a_slow_lobby_delays_but_never_stops_the_others():
    clock = FakeClock()
    loops, _hooks = lobbies(clock, [20, 20])
    slow, other = loops
    original = slow.step_tick
    left = {"n": 3}

    def slow_tick(dt):
        original(dt)
        if left["n"]:
            left["n"] -= 1
            clock.burn(0.12)  # more than two periods

    slow.step_tick = slow_tick
    for loop in loops:
        loop.start()
    await clock.advance(2.0)
    assert 39 <= slow.tick <= 41 and 39 <= other.tick <= 41  # both caught up: no time lost
    assert slow.stats.overruns >= 3 and slow.stats.skipped_ticks == 0
    await stop(loops)


async def test_cancelling_one_lobby_closes_it_at_shutdown_and_the_rest_go_on():
    clock = FakeClock()
    loops, hooks = lobbies(clock, [20, 20])
    gone, kept = loops
    for loop in loops:
        loop.start()
    req, _conn = request("alice")
    alice = gone.submit_join(req)
    await clock.advance(0.05)
    gone.submit_command(alice.result().id, "start", {})
    await clock.advance(0.5)
    assert gone.lobby.phase == "playing"
    assert gone.task.cancel()
    results = await asyncio.gather(gone.task, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert gone.lobby.close_reason == "shutdown"
    assert [r["status"] for r in hooks.saved] == ["aborted"]
    before = kept.tick
    await clock.advance(0.5)
    assert kept.tick == before + 10
    await stop([kept])


async def test_a_cancelled_caller_of_run_ends_the_loop_as_a_shutdown():
    clock = FakeClock()
    loops, hooks = lobbies(clock, [20])
    task = asyncio.get_running_loop().create_task(loops[0].run())
    await clock.advance(0.2)
    assert loops[0].tick == 4
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert loops[0].lobby.close_reason == "shutdown" and hooks.closed == [loops[0].lobby.code]
    assert loops[0].task.cancelled()


async def test_the_scheduler_stops_with_its_last_lobby_and_starts_again_with_the_next():
    clock = FakeClock()
    loops, _hooks = lobbies(clock, [20, 20])
    loops[0].start()
    await clock.advance(0.1)
    await stop(loops[:1])
    await clock.advance(0.1)
    assert not scheduler_tasks()
    loops[1].start()
    await clock.advance(0.1)
    assert loops[1].tick == 2 and len(scheduler_tasks()) == 1
    await stop(loops[1:])


async def test_cancelling_the_scheduler_shuts_every_lobby_down():
    clock = FakeClock()
    loops, hooks = lobbies(clock, [20, 60])
    for loop in loops:
        loop.start()
    await clock.advance(0.2)
    scheduler_for(clock).task.cancel()
    await asyncio.gather(*(loop.task for loop in loops), return_exceptions=True)
    assert all(loop.task.cancelled() and loop.lobby.close_reason == "shutdown" for loop in loops)
    assert sorted(hooks.closed) == sorted(loop.lobby.code for loop in loops)


async def test_on_the_real_clock_lobbies_tick_in_one_task():
    loops, _hooks = lobbies(MonotonicClock(), [100, 100, 50])
    for loop in loops:
        loop.start()
    await until(lambda: all(loop.tick >= 5 for loop in loops), "every lobby ticks")
    assert len(scheduler_tasks()) == 1
    await stop(loops)


async def test_the_task_ends_as_soon_as_its_last_lobby_does_even_mid_sleep():
    clock = FakeClock()
    loops, _hooks = lobbies(clock, [20])
    loops[0].start()
    await clock.advance(0.1)
    task = scheduler_for(clock).task
    await stop(loops)
    await asyncio.wait_for(asyncio.shield(task), 5)  # (no clock advance needed)
    assert task.done() and not task.cancelled()


@given(actions=st.lists(st.one_of(st.tuples(st.just("start"), st.sampled_from([10, 20, 30, 60])),
                                  st.tuples(st.just("advance"), st.integers(1, 400)),
                                  st.tuples(st.just("cancel"), st.integers(0, 20))), max_size=25))
@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_mix_of_lobbies_keeps_each_on_its_own_grid(actions):
    async def play():
        clock = FakeClock()
        running = []  # (loop, its grid's start)
        for action, value in actions:
            if action == "start":
                [loop], _hooks = lobbies(clock, [value])
                period = 1.0 / value
                running.append((loop, math.floor(clock.now() / period + 1e-9) * period))
                loop.start()
            elif action == "advance":
                await clock.advance(value / 1000)
            elif running:
                loop, _start = running.pop(value % len(running))
                loop.task.cancel()
                await asyncio.gather(loop.task, return_exceptions=True)
            for loop, start in running:
                period = 1.0 / loop.lobby.tick_rate_hz
                assert loop.tick == math.floor((clock.now() - start) / period + 1e-9)
        await stop([loop for loop, _start in running])
        assert not scheduler_tasks()

    asyncio.run(play())
