"""Roles are enforced by the lobby: host commands, staff, kicks, bans, locks, transfer."""

from __future__ import annotations

import pytest

from game.engine.errors import JoinRefused

from .helpers import make_loop, request
from .test_lifecycle import DT, join, seated_pair


async def test_host_command_from_a_player_is_forbidden():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(bob.id, "kick", {"target": alice.id})
    loop.step_tick(DT)
    assert b.errors() == ["forbidden"] and alice.id in loop.lobby.members


async def test_host_kicks_a_player_who_is_told_and_disconnected():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(alice.id, "kick", {"target": bob.id})
    loop.step_tick(DT)
    assert bob.id not in loop.lobby.members
    assert b.closed == 4005
    assert b.events[-1]["e"][0]["type"] == "kicked"
    assert "kicked" in hooks.event_types()


async def test_banned_identity_cannot_rejoin():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(alice.id, "ban", {"target": bob.id})
    loop.step_tick(DT)
    assert b.closed == 4006
    req, _ = request("bob")
    future = loop.submit_join(req)
    loop.step_tick(DT)
    with pytest.raises(JoinRefused) as refused:
        future.result()
    assert refused.value.close == "banned"


async def test_locked_lobby_refuses_new_players():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(alice.id, "lock", {})
    loop.step_tick(DT)
    req, _ = request("carol")
    future = loop.submit_join(req)
    loop.step_tick(DT)
    with pytest.raises(JoinRefused) as refused:
        future.result()
    assert refused.value.close == "lobby_locked"
    loop.submit_command(alice.id, "unlock", {})
    loop.step_tick(DT)
    carol, _ = await join(loop, "carol")
    assert carol.id in loop.lobby.members


async def test_host_leaving_hands_the_role_to_another_player_after_the_grace():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    await join(loop, "eve", role="spectator")
    loop.submit_leave(alice.id)
    loop.step_tick(DT)
    assert loop.lobby.host_id == alice.id  # the seat and the role wait for her
    for _ in range(round(loop.grace_s / DT)):
        loop.step_tick(DT)
    assert loop.lobby.host_id == bob.id and alice.id not in loop.lobby.members
    assert {"type": "host", "id": bob.id} in hooks.events()


async def test_transfer_host_to_a_player_only():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    eve, _ = await join(loop, "eve", role="spectator")
    loop.submit_command(alice.id, "transfer", {"target": eve.id})
    loop.step_tick(DT)
    assert a.errors() == ["invalid_state"] and loop.lobby.host_id == alice.id
    loop.submit_command(alice.id, "transfer", {"target": bob.id})
    loop.step_tick(DT)
    assert loop.lobby.host_id == bob.id


async def test_settings_change_only_before_start_and_validated():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(alice.id, "settings", {"settings": {"limit": 5, "tick_rate": 30, "name": "x"}})
    loop.step_tick(DT)
    assert loop.lobby.settings["limit"] == 5 and loop.lobby.tick_rate_hz == 30
    loop.submit_command(alice.id, "settings", {"settings": {"tick_rate": 500}})
    loop.submit_command(alice.id, "settings", {"settings": {"max_players": 1}})
    loop.submit_command(alice.id, "settings", {"settings": {"bogus": 1}})
    loop.step_tick(DT)
    assert a.errors() == ["bad_field", "bad_field", "bad_field"]


async def test_staff_may_moderate_any_lobby():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    mod, m = await join(loop, "mod", role="spectator", staff=True)
    loop.submit_command(mod.id, "kick", {"target": alice.id})
    loop.step_tick(DT)
    assert a.closed == 4005 and loop.lobby.host_id == bob.id


async def test_spectator_cannot_ready_and_is_not_seated():
    loop, _clock, _hooks = make_loop()
    eve, conn = await join(loop, "eve", role="spectator")
    loop.submit_command(eve.id, "ready", {"ready": True})
    loop.step_tick(DT)
    assert conn.errors() == ["forbidden"]
    assert loop.submit_input(eve, 1, 1) == "not_in_match"


async def test_host_close_disconnects_everyone_with_lobby_closed():
    loop, clock, hooks = make_loop()
    task = loop.start()
    req, a = request("alice")
    future = loop.submit_join(req)
    await clock.advance(DT)
    alice = future.result()
    loop.submit_command(alice.id, "close", {})
    await clock.advance(DT * 2)
    assert task.done() and a.closed == 4011
    assert a.events[-1]["e"][0] == {"type": "lobby_closed", "reason": "host"}
    assert hooks.closed == ["TEST01"]


async def test_a_kicked_player_leaves_the_running_match():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    for _ in range(4):
        loop.step_tick(DT)
    loop.submit_command(alice.id, "kick", {"target": bob.id})
    loop.step_tick(DT)
    assert bob.id not in loop.match.game.scores and not bob.in_match
    assert bob.id not in a.states[-1]["last_processed_input"]
