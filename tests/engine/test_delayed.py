"""Spectators of a lobby with ``spectator_delay`` see the match that many seconds late; players
and staff see it live; the end of the match is played out to the delayed spectators."""

from __future__ import annotations

from game.engine.delta import apply

from .helpers import make_loop
from .test_lifecycle import DT, join, run_ticks

DELAY_S = 1  # 20 ticks at 20 Hz


async def delayed_lobby(**kw):
    loop, clock, hooks = make_loop(**kw)
    alice, a = await join(loop, "alice", creator=True)
    bob, b = await join(loop, "bob")
    _, watcher = await join(loop, "watcher", role="spectator")
    _, mod = await join(loop, "mod", role="spectator", staff=True)
    loop.submit_command(alice.id, "settings", {"settings": {"spectator_delay": DELAY_S}})
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    loop.step_tick(DT)
    return loop, hooks, (alice, a), (bob, b), watcher, mod


async def test_spectators_see_the_match_late_and_players_and_staff_live():
    loop, hooks, (alice, a), (bob, b), watcher, mod = await delayed_lobby()
    assert loop.lobby.settings["spectator_delay"] == DELAY_S
    run_ticks(loop, 10)
    assert a.states and mod.states and watcher.states == []  # the delay is filling up
    run_ticks(loop, 30)
    first = watcher.states[0]
    assert first["k"] == "full" and first["last_processed_input"] == {}
    live_tick = a.states[-1]["tick"]
    assert watcher.states[-1]["tick"] == live_tick - DELAY_S * 20
    assert mod.states[-1]["tick"] == live_tick
    by_tick = {s["tick"]: s for s in a.states if s["k"] == "full"}
    late_full = next(s for s in watcher.states if s["k"] == "full" and s["tick"] in by_tick)
    assert late_full["s"] == by_tick[late_full["tick"]]["s"]  # the same game, only later
    ticks = [s["tick"] for s in watcher.states]
    assert ticks == list(range(ticks[0], ticks[0] + len(ticks)))  # every tick, in order


async def test_the_end_of_the_match_is_played_out_to_delayed_spectators():
    loop, hooks, (alice, a), (bob, b), watcher, mod = await delayed_lobby()
    run_ticks(loop, 25)
    for input_seq in range(3):
        loop.submit_input(alice, input_seq, 1)
        loop.step_tick(DT)
    run_ticks(loop, 2)
    assert loop.lobby.phase == "finished"
    final_tick = a.states[-1]["tick"]
    assert watcher.states[-1]["tick"] < final_tick
    run_ticks(loop, DELAY_S * 20 + 5)
    assert watcher.states[-1]["tick"] == final_tick
    view = None
    for frame in watcher.states:  # what the spectator's client rebuilds
        view = frame["s"] if frame["k"] == "full" else apply(view, frame["s"])
    assert view["e"][f"p{alice.id}"]["s"] == 3  # the winning point, seen a second late


async def test_spectator_delay_is_validated():
    loop, clock, hooks = make_loop()
    alice, a = await join(loop, "alice", creator=True)
    for bad in (-1, 31, 2.5, True, "10"):
        loop.submit_command(alice.id, "settings", {"settings": {"spectator_delay": bad}})
        loop.step_tick(DT)
        assert a.errors()[-1] == "bad_field"
    assert "spectator_delay" not in loop.lobby.settings
