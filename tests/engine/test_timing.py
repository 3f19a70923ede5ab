"""The tick loop keeps a fixed timestep on a monotonic clock: no drift, overruns counted."""

from __future__ import annotations

import asyncio

from .helpers import make_loop, request


async def test_ticks_follow_the_clock_without_drift():
    loop, clock, _hooks = make_loop(tick_rate=20)
    loop.start()
    await clock.advance(10.0)
    assert loop.tick == 200
    await clock.advance(0.049)
    assert loop.tick == 200
    await clock.advance(0.001)
    assert loop.tick == 201
    loop.task.cancel()


async def test_tick_rate_sixty_holds_over_a_minute():
    loop, clock, _hooks = make_loop(tick_rate=60)
    loop.start()
    for _ in range(60):
        await clock.advance(1.0)
    assert abs(loop.tick - 3600) <= 1
    loop.task.cancel()


async def test_slow_ticks_are_counted_as_overruns_and_the_loop_catches_up():
    loop, clock, _hooks = make_loop(tick_rate=20)
    original = loop.step_tick
    slow = {"left": 3}

    def slow_tick(dt):
        original(dt)
        if slow["left"]:
            slow["left"] -= 1
            clock.burn(0.12)  # more than two periods

    loop.step_tick = slow_tick
    loop.start()
    await clock.advance(2.0)
    assert loop.stats.overruns >= 3
    assert loop.stats.skipped_ticks == 0
    assert 39 <= loop.tick <= 41  # late ticks ran back to back: no time was lost
    loop.task.cancel()


async def test_hopelessly_late_loop_skips_instead_of_bursting():
    loop, clock, _hooks = make_loop(tick_rate=20, max_catchup_ticks=5)
    original = loop.step_tick
    once = {"done": False}

    def stall(dt):
        original(dt)
        if not once["done"]:
            once["done"] = True
            clock.burn(2.0)  # a 2 s stall, e.g. a paused process

    loop.step_tick = stall
    loop.start()
    await clock.advance(3.0)
    assert loop.stats.skipped_ticks >= 30
    assert loop.stats.overruns == 1
    loop.task.cancel()


async def test_cancelled_loop_records_a_running_match_as_aborted_once():
    loop, clock, hooks = make_loop(tick_rate=20)
    loop.start()
    req_a, _ = request("alice")
    fa = loop.submit_join(req_a)
    await clock.advance(0.05)
    alice = fa.result()
    loop.submit_command(alice.id, "start", {})
    await clock.advance(0.5)
    assert loop.lobby.phase == "playing"
    loop.task.cancel()
    await asyncio.gather(loop.task, return_exceptions=True)
    assert [r["status"] for r in hooks.saved] == ["aborted"]
    assert hooks.saved[0]["reason"] == "lobby_shutdown"
