"""A player who drops keeps seat, score and role for the grace period and resumes by token."""

from __future__ import annotations

from .helpers import make_loop, request
from .test_lifecycle import DT, join, run_ticks, seated_pair


async def start(loop, alice, bob):
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    run_ticks(loop, 4)


async def test_welcome_carries_a_resume_token():
    loop, _clock, _hooks = make_loop()
    alice, conn = await join(loop, "alice")
    assert conn.events[0]["resume"] == alice.resume_token and conn.events[0]["resumed"] is False


async def test_a_dropped_player_resumes_the_same_seat_and_score():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    await start(loop, alice, bob)
    loop.submit_input(bob, 1, 1)
    loop.step_tick(DT)
    loop.submit_leave(bob.id, b)
    loop.step_tick(DT)
    assert bob.id in loop.lobby.members and not bob.connected and bob.in_match
    assert {"type": "away", "id": bob.id, "name": "bob", "grace_s": loop.grace_s} in hooks.events()
    run_ticks(loop, 20)  # a second away: within the grace
    req, b2 = request("bob")
    req.resume = bob.resume_token
    future = loop.submit_join(req)
    loop.step_tick(DT)
    again = future.result()
    assert again is bob and bob.connected and loop.match.game.scores[bob.id] == 1
    welcome = b2.events[0]
    assert welcome["you"] == bob.id and welcome["resumed"] is True
    assert b2.states and b2.states[0]["k"] == "full"
    assert "back" in hooks.event_types()


async def test_the_host_keeps_the_role_while_away():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_leave(alice.id, a)
    run_ticks(loop, 10)
    assert loop.lobby.host_id == alice.id
    req, a2 = request("alice")
    req.resume = alice.resume_token
    loop.submit_join(req)
    loop.step_tick(DT)
    assert a2.events[0]["host"] is True


async def test_the_seat_is_released_after_the_grace():
    loop, hooks, (alice, a), (bob, b) = await seated_pair(grace_s=1.0)
    await start(loop, alice, bob)
    loop.submit_leave(bob.id, b)
    run_ticks(loop, 21)
    assert bob.id not in loop.lobby.members
    req, b2 = request("bob")
    req.resume = bob.resume_token
    future = loop.submit_join(req)
    loop.step_tick(DT)
    fresh = future.result()
    assert fresh.id != bob.id and b2.events[0]["resumed"] is False and not fresh.in_match


async def test_resuming_on_a_second_connection_replaces_the_first():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    req, b2 = request("bob")
    req.resume = bob.resume_token
    loop.submit_join(req)
    loop.step_tick(DT)
    assert b.closed == 4012 and bob.conn is b2
    loop.submit_leave(bob.id, b)  # the old connection's goodbye arrives late
    loop.step_tick(DT)
    assert bob.connected and bob.conn is b2


async def test_a_dropped_spectator_leaves_at_once():
    loop, _clock, hooks = make_loop()
    eve, conn = await join(loop, "eve", role="spectator")
    loop.submit_leave(eve.id, conn)
    loop.step_tick(DT)
    assert eve.id not in loop.lobby.members


async def test_a_wrong_token_is_just_a_new_join():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    req, c = request("carol")
    req.resume = "not-a-token"
    future = loop.submit_join(req)
    loop.step_tick(DT)
    assert future.result().id not in (alice.id, bob.id)
