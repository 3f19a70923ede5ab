"""A lobby's simulation rate (``tick_rate``) apart from its broadcast rate (``broadcast_rate``):
the game steps at the one with a fixed timestep, state frames leave every k-th step."""

from __future__ import annotations

from itertools import pairwise

import pytest

from game.engine.delta import apply
from game.engine.errors import CommandError
from game.engine.settings import broadcast_every, clean_lobby_settings

from .helpers import CounterGame, make_loop
from .test_lifecycle import join


def clean(settings, *, tick_rate_hz=60, broadcast_rate=0):
    return clean_lobby_settings(settings, game_cls=CounterGame, max_players=4, humans=1,
                                tick_rate_hz=tick_rate_hz, broadcast_rate=broadcast_rate)


@pytest.mark.parametrize("rate", [0, 5, 10, 20, 30, 60])
def test_broadcast_rates_that_divide_the_tick_rate_are_taken(rate):
    assert clean({"broadcast_rate": rate}) == {"broadcast_rate": rate}


@pytest.mark.parametrize("rate", [-1, 1, 4, 7, 25, 61, 2.0, True, "20", None])
def test_other_broadcast_rates_are_refused_naming_the_bounds(rate):
    with pytest.raises(CommandError) as refused:
        clean({"broadcast_rate": rate})
    assert refused.value.code == "bad_field" and "broadcast_rate" in refused.value.msg


def test_a_broadcast_rate_above_the_tick_rate_is_refused():
    with pytest.raises(CommandError):
        clean({"broadcast_rate": 30}, tick_rate_hz=20)


def test_a_tick_rate_the_kept_broadcast_rate_does_not_divide_is_refused():
    with pytest.raises(CommandError) as refused:
        clean({"tick_rate": 50}, broadcast_rate=20)
    assert "divide" in refused.value.msg
    assert clean({"tick_rate": 40, "broadcast_rate": 20}, broadcast_rate=30) == {
        "tick_rate_hz": 40, "broadcast_rate": 20}
    assert clean({"tick_rate": 50}, broadcast_rate=0) == {"tick_rate_hz": 50}


def test_broadcast_every_is_the_ratio_and_one_by_default():
    assert broadcast_every(60, {"broadcast_rate": 20}) == 3
    assert broadcast_every(60, {"broadcast_rate": 0}) == 1
    assert broadcast_every(60, {}) == 1
    assert broadcast_every(20, {"broadcast_rate": 20}) == 1


async def playing(*, tick_rate=60, broadcast_rate=20, **settings):
    loop, clock, hooks = make_loop(tick_rate=tick_rate, countdown_s=0.05)
    alice, a = await join(loop, "alice", creator=True)
    bob, b = await join(loop, "bob")
    loop.submit_command(alice.id, "settings", {"settings": {"broadcast_rate": broadcast_rate, "limit": 1000,
                                                            **settings}})
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    return loop, clock, hooks, (alice, a), (bob, b)


async def test_the_game_steps_at_the_tick_rate_and_frames_leave_every_kth_step_without_drift():
    loop, clock, _hooks, (alice, a), _bob = await playing(tick_rate=60, broadcast_rate=20)
    loop.start()
    await clock.advance(10.0)
    assert loop.tick - 2 == 600  # two ticks seated alice and bob before the clock started
    assert loop.match.ticks >= 590  # the game stepped at 60 Hz
    ticks = [s["tick"] for s in a.states]
    assert all(t % 3 == 0 for t in ticks)
    assert all(later - earlier == 3 for earlier, later in pairwise(ticks))
    assert 195 <= len(ticks) <= 200  # 20 Hz for 10 s, less the countdown's first steps
    await clock.advance(5.0)
    assert loop.tick - 2 == 900
    loop.task.cancel()


async def test_deltas_apply_to_the_last_broadcast_tick_and_rebuild_the_full_snapshot():
    loop, clock, _hooks, (alice, a), _bob = await playing(tick_rate=60, broadcast_rate=10)
    loop.start()
    await clock.advance(0.5)  # playing by now
    for input_seq in range(40):
        loop.submit_input(alice, input_seq, 1)
        await clock.advance(1 / 60)
    await clock.advance(2.0 + 1 / 120)  # the next deadline would be a broadcast tick
    loop.task.cancel()
    view, tick, deltas = None, None, 0
    for frame in a.states:
        if frame["k"] == "full":
            view = frame["s"]
        else:
            assert frame["base"] == tick == frame["tick"] - 6
            view, deltas = apply(view, frame["s"]), deltas + 1
        tick = frame["tick"]
    assert deltas > 20
    assert tick == loop.tick and view == loop.match.game.snapshot()  # what the deltas rebuilt is the game
    assert view["e"][f"p{alice.id}"]["s"] == 40
    assert frame["last_processed_input"][alice.id] == 39


async def test_game_events_of_the_steps_between_broadcasts_ride_on_the_next_frame():
    loop, clock, _hooks, (alice, a), _bob = await playing(tick_rate=60, broadcast_rate=20)
    loop.start()
    await clock.advance(0.5)  # playing by now
    seen = len(a.states)
    for input_seq in range(9):  # one input a step: three per broadcast
        loop.submit_input(alice, input_seq, 1)
        await clock.advance(1 / 60)
    await clock.advance(0.1)
    scored = [e for frame in a.states[seen:] for e in frame.get("ev", []) if e["type"] == "scored"]
    assert len(scored) == 9
    assert max(sum(e["type"] == "scored" for e in f.get("ev", [])) for f in a.states[seen:]) >= 2
    loop.task.cancel()


async def test_the_welcome_carries_both_rates():
    loop, _clock, _hooks = make_loop(tick_rate=60)
    alice, _a = await join(loop, "alice", creator=True)
    loop.submit_command(alice.id, "settings", {"settings": {"broadcast_rate": 15}})
    loop.step_tick(1 / 60)
    _bob, b = await join(loop, "bob")
    welcome = b.events[0]
    assert welcome["tick_rate"] == 60 and welcome["broadcast_rate"] == 15
    assert welcome["lobby"]["settings"]["broadcast_rate"] == 15


async def test_delayed_spectators_are_late_by_seconds_at_any_broadcast_rate():
    loop, clock, _hooks, (alice, a), _bob = await playing(tick_rate=60, broadcast_rate=20, spectator_delay=1)
    _, watcher = await join(loop, "watcher", role="spectator")
    loop.start()
    await clock.advance(3.0)
    assert watcher.states and a.states[-1]["tick"] - watcher.states[-1]["tick"] == 60
    ticks = [s["tick"] for s in watcher.states]
    assert all(later - earlier == 3 for earlier, later in pairwise(ticks))
    loop.task.cancel()
