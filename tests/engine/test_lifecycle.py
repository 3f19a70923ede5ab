"""Lobby lifecycle through the loop: waiting -> countdown -> playing -> finished -> rematch."""

from __future__ import annotations

import pytest

from game.engine.errors import JoinRefused

from .helpers import make_loop, request

DT = 1 / 20


async def join(loop, name, **kw):
    req, conn = request(name, **kw)
    future = loop.submit_join(req)
    loop.step_tick(DT)
    return future.result(), conn


async def seated_pair(**kw):
    loop, clock, hooks = make_loop(**kw)
    alice, a = await join(loop, "alice", creator=True)
    bob, b = await join(loop, "bob")
    return loop, hooks, (alice, a), (bob, b)


def run_ticks(loop, n):
    for _ in range(n):
        loop.step_tick(DT)


def alice_wins(loop, alice, bob):
    """Start a match and let alice reach the counter game's limit of 3."""
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    run_ticks(loop, 4)
    for input_seq in range(3):
        loop.submit_input(alice, input_seq, 1)
        loop.step_tick(DT)


async def test_first_player_gets_a_welcome_and_becomes_host():
    loop, _clock, _hooks = make_loop()
    alice, conn = await join(loop, "alice")
    welcome = conn.events[0]
    assert welcome["k"] == "welcome" and welcome["you"] == alice.id and welcome["host"] is True
    assert welcome["lobby"]["members"][0]["name"] == "alice"
    assert loop.lobby.host_id == alice.id


async def test_creator_claims_host_even_when_not_first():
    loop, _clock, _hooks = make_loop()
    guest, _ = await join(loop, "guest")
    creator, _ = await join(loop, "owner", creator=True)
    assert loop.lobby.host_id == creator.id != guest.id


async def test_host_start_runs_countdown_then_playing():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    loop.step_tick(DT)
    assert loop.lobby.phase == "countdown"
    run_ticks(loop, 3)
    assert loop.lobby.phase == "playing"
    assert "countdown" in hooks.event_types() and "match_start" in hooks.event_types()


async def test_start_refused_until_other_players_are_ready():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(alice.id, "start", {})
    loop.step_tick(DT)
    assert loop.lobby.phase == "waiting"
    assert a.errors() == ["invalid_state"]


async def test_inputs_apply_at_next_tick_and_are_acknowledged():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    run_ticks(loop, 4)
    assert loop.submit_input(alice, 7, 1) is None
    assert loop.match.game.scores[alice.id] == 0  # queued, not applied yet
    loop.step_tick(DT)
    assert loop.match.game.scores[alice.id] == 1
    last = b.states[-1]
    assert last["last_processed_input"][alice.id] == 7
    assert last["ev"] == [{"type": "scored", "id": alice.id}]  # game events ride on the state frame
    assert "scored" not in hooks.event_types()


async def test_finished_match_is_saved_exactly_once_with_results():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    alice_wins(loop, alice, bob)
    run_ticks(loop, 5)
    assert loop.lobby.phase == "finished"
    assert len(hooks.saved) == 1
    record = hooks.saved[0]
    assert record["status"] == "finished" and record["winner"] == alice.id
    assert [r["name"] for r in record["results"]] == ["alice", "bob"]
    over = [e for e in hooks.events() if e["type"] == "match_over"]
    assert len(over) == 1 and over[0]["results"][0]["score"] == 3


async def test_rematch_starts_a_new_match_with_a_new_id():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    alice_wins(loop, alice, bob)
    first = loop.match.id
    loop.submit_command(alice.id, "rematch", {})
    loop.step_tick(DT)
    assert loop.lobby.phase == "countdown" and loop.match.id != first


async def test_full_lobby_refuses_players_but_takes_spectators():
    loop, _clock, _hooks = make_loop(max_players=1)
    await join(loop, "alice")
    req, _ = request("bob")
    future = loop.submit_join(req)
    loop.step_tick(DT)
    with pytest.raises(JoinRefused) as refused:
        future.result()
    assert refused.value.close == "lobby_full"
    spectator, conn = await join(loop, "eve", role="spectator")
    assert spectator.role == "spectator" and conn.events[0]["role"] == "spectator"


async def test_player_joining_mid_match_waits_for_the_next_one():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    run_ticks(loop, 4)
    carol, c = await join(loop, "carol")
    assert carol.in_match is False
    assert loop.submit_input(carol, 1, 1) == "not_in_match"
    loop.step_tick(DT)
    assert c.states and c.states[0]["k"] == "full"  # a late joiner starts from a full snapshot


async def test_empty_lobby_closes_itself():
    loop, _clock, hooks = make_loop(empty_ttl_s=0.2)
    run_ticks(loop, 5)
    assert loop.lobby.phase == "closed" and loop.lobby.close_reason == "empty"
