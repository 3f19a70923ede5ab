"""What docs/protocol.md promises a client author, at the lobby loop: effective settings from
the start, settings refused (never clamped) with their bounds named, stale inputs dropped, a
resumed seat's fresh input sequence, match_over before lobby_closed when a close cuts a match
short, ready flags and rematch, and what a spectator's resume token does."""

from __future__ import annotations

import asyncio

import pytest

from game.rules.arena import Arena

from .helpers import make_loop, request
from .test_lifecycle import DT, join, run_ticks, seated_pair


def last_lobby(hooks) -> dict:
    return [f for f in hooks.published if f["k"] == "lobby"][-1]["lobby"]


def errors(conn) -> list[tuple[str, str, str]]:
    return [(e["code"], e["ref"], e["msg"]) for e in conn.events if e["k"] == "error"]


def start(loop, host, *others) -> None:
    for other in others:
        loop.submit_command(other.id, "ready", {"ready": True})
    loop.submit_command(host.id, "start", {})
    run_ticks(loop, 4)
    assert loop.lobby.phase == "playing"


async def test_the_lobby_state_carries_every_setting_with_its_default_from_the_start():
    loop, _clock, hooks = make_loop(game_cls=Arena, max_players=8)
    alice, conn = await join(loop, "alice", creator=True)
    everything = {"score_limit": 10, "time_limit_s": 180, "bots": 0, "bot_difficulty": "normal",
                  "spectator_delay": 0, "broadcast_rate": 0}
    assert conn.events[0]["lobby"]["settings"] == everything
    loop.submit_command(alice.id, "settings", {"settings": {"score_limit": 3}})
    loop.step_tick(DT)
    assert last_lobby(hooks)["settings"] == {**everything, "score_limit": 3}
    assert loop.lobby.settings == {"score_limit": 3}  # what was set; the defaults stay implied


@pytest.mark.parametrize("value", [2.5, 2.0, 0, 3601, 2**64 - 1, -1, "3", True, None])
async def test_a_game_setting_out_of_range_or_of_another_type_is_refused_naming_its_bounds(value):
    loop, _clock, hooks = make_loop(game_cls=Arena, max_players=8)
    alice, conn = await join(loop, "alice", creator=True)
    loop.submit_command(alice.id, "settings", {"settings": {"score_limit": value, "private": True}})
    loop.step_tick(DT)
    assert errors(conn) == [("bad_field", "settings", "score_limit must be an integer in [1, 3600]")]
    assert loop.lobby.settings == {} and loop.lobby.private is False  # nothing changed


async def test_the_bounds_are_inclusive_and_an_unknown_setting_names_the_known_ones():
    loop, _clock, hooks = make_loop(game_cls=Arena, max_players=8)
    alice, conn = await join(loop, "alice", creator=True)
    loop.submit_command(alice.id, "settings", {"settings": {"score_limit": 1, "time_limit_s": 3600}})
    loop.submit_command(alice.id, "settings", {"settings": {"score_limt": 5}})
    loop.step_tick(DT)
    assert loop.lobby.settings == {"score_limit": 1, "time_limit_s": 3600}
    assert errors(conn) == [("bad_field", "settings",
                             "unknown setting 'score_limt'; arena has score_limit, time_limit_s")]


async def test_a_stale_or_repeated_seq_is_dropped_silently_and_not_acknowledged():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    start(loop, alice, bob)
    loop.submit_input(alice, 5, 1)
    loop.step_tick(DT)
    assert loop.match.game.scores[alice.id] == 1 and a.states[-1]["last_processed_input"][alice.id] == 5
    for stale in (5, 4, 0):  # repeated, then going backwards
        assert loop.submit_input(alice, stale, 1) is None  # queued: no error is ever sent
    loop.step_tick(DT)
    assert loop.match.game.scores[alice.id] == 1
    assert a.states[-1]["last_processed_input"][alice.id] == 5 and a.errors() == []
    loop.submit_input(alice, 6, 1)
    loop.step_tick(DT)
    assert loop.match.game.scores[alice.id] == 2 and a.states[-1]["last_processed_input"][alice.id] == 6


async def test_a_resumed_seat_starts_a_new_seq_and_drops_the_old_connections_queued_inputs():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    start(loop, alice, bob)
    loop.submit_input(bob, 40, 0)
    loop.step_tick(DT)
    assert b.states[-1]["last_processed_input"][bob.id] == 40
    loop.submit_input(bob, 41, 1)  # still queued when the seat is taken over
    req, b2 = request("bob")
    req.resume = bob.resume_token
    loop.submit_join(req)
    loop.step_tick(DT)
    assert b.closed == 4012 and bob.pending_inputs == 0 and loop.match.game.scores[bob.id] == 0
    assert b2.states[-1]["last_processed_input"][bob.id] == -1
    loop.submit_input(bob, 0, 1)  # the new connection counts from 0 again
    loop.step_tick(DT)
    assert loop.match.game.scores[bob.id] == 1 and b2.states[-1]["last_processed_input"][bob.id] == 0


async def close_mid_match(closer: str) -> tuple:
    loop, clock, hooks = make_loop()
    task = loop.start()
    people = []
    for name, kw in (("alice", {"creator": True}), ("bob", {}), ("eve", {"role": "spectator"})):
        req, conn = request(name, **kw)
        future = loop.submit_join(req)
        await clock.advance(DT)
        people.append((future.result(), conn))
    (alice, _a), (bob, _b), _eve = people
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    await clock.advance(DT * 4)
    assert loop.lobby.phase == "playing"
    if closer == "shutdown":
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    else:
        loop.submit_command(alice.id, "close", {})
        await clock.advance(DT * 2)
    assert task.done()
    return loop, hooks, people


@pytest.mark.parametrize("closer, reason", [("host", "host"), ("shutdown", "shutdown")])
async def test_a_close_mid_match_sends_everyone_match_over_then_lobby_closed(closer, reason):
    loop, hooks, people = await close_mid_match(closer)
    [saved] = hooks.saved
    assert saved["status"] == "aborted" and saved["reason"] == f"lobby_{reason}"
    for member, conn in people:
        last = conn.events[-1]["e"]
        assert [e["type"] for e in last] == ["match_over", "lobby_closed"] and conn.closed == 4011, member.name
        over = last[0]
        assert over["match"] == saved["match_id"] and over["status"] == "aborted"
        assert over["reason"] == f"lobby_{reason}" and last[1]["reason"] == reason
        assert {r["name"] for r in over["results"]} == {"alice", "bob"}


async def test_a_close_during_the_countdown_saves_nothing_and_sends_no_match_over():
    loop, clock, hooks = make_loop(countdown_s=3.0)
    task = loop.start()
    joined = []
    for name in ("alice", "bob"):
        req, conn = request(name, creator=name == "alice")
        future = loop.submit_join(req)
        await clock.advance(DT)
        joined.append((future.result(), conn))
    (alice, a), (bob, _b) = joined
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    await clock.advance(DT)
    assert loop.lobby.phase == "countdown"
    loop.submit_command(alice.id, "close", {})
    await clock.advance(DT * 2)
    assert task.done() and hooks.saved == []
    assert a.events[-1]["e"] == [{"type": "lobby_closed", "reason": "host"}]


async def test_ready_flags_are_cleared_when_a_match_starts_and_rematch_needs_none():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    start(loop, alice, bob)
    assert bob.ready is False and all(not m["ready"] for m in last_lobby(hooks)["members"])
    for input_seq in range(3):
        loop.submit_input(alice, input_seq, 1)
        loop.step_tick(DT)
    assert loop.lobby.phase == "finished" and bob.ready is False
    loop.submit_command(alice.id, "start", {})  # start again: every other player must be ready
    loop.step_tick(DT)
    assert a.errors() == ["invalid_state"] and loop.lobby.phase == "finished"
    loop.submit_command(alice.id, "rematch", {})  # rematch: nobody needs to be
    loop.step_tick(DT)
    assert loop.lobby.phase == "countdown"


async def test_a_spectator_who_drops_is_gone_and_its_token_then_makes_an_ordinary_join():
    loop, hooks, (alice, a), _bob = await seated_pair()
    eve, e = await join(loop, "eve", role="spectator")
    token = e.events[0]["resume"]
    assert token
    loop.submit_leave(eve.id, e)
    loop.step_tick(DT)
    assert eve.id not in loop.lobby.members  # no grace: spectators hold no seat
    req, e2 = request("eve", role="spectator")
    req.resume = token
    again = loop.submit_join(req)
    loop.step_tick(DT)
    assert again.result().id != eve.id and e2.events[0]["resumed"] is False


async def test_a_spectators_token_takes_over_its_still_open_connection():
    loop, hooks, (alice, a), _bob = await seated_pair()
    eve, e = await join(loop, "eve", role="spectator")
    req, e2 = request("eve", role="spectator")
    req.resume = e.events[0]["resume"]
    again = loop.submit_join(req)
    loop.step_tick(DT)
    assert again.result() is eve and e.closed == 4012
    assert e2.events[0]["resumed"] is True and e2.events[0]["role"] == "spectator"
