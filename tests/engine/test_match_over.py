"""Every match that ends is announced: `match_over` with its status and reason reaches each
member, whether the match finished or was cut short (a close, a shutdown, a crash, a lease
lost or expired, a handover), and whoever is welcomed while the lobby is finished hears it too
(docs/protocol.md, "Match-over reasons")."""

from __future__ import annotations

import asyncio

import pytest

from game.engine.match import match_over_event

from .helpers import make_loop, request
from .test_lifecycle import DT, alice_wins, join, run_ticks, seated_pair


async def running_match(**kw) -> tuple:
    """A running loop task, alice (host) and bob playing, eve watching, staff sam watching."""
    loop, clock, hooks = make_loop(**kw)
    task = loop.start()
    people = []
    for name, options in (("alice", {"creator": True}), ("bob", {}), ("eve", {"role": "spectator"}),
                          ("sam", {"role": "spectator", "staff": True})):
        req, conn = request(name, **options)
        future = loop.submit_join(req)
        await clock.advance(DT)
        people.append((future.result(), conn))
    (alice, _a), (bob, _b) = people[:2]
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    await clock.advance(DT * 4)
    assert loop.lobby.phase == "playing"
    return loop, clock, hooks, task, people


def last_match_over(conn) -> dict:
    """The last match_over event this connection was handed."""
    overs = [e for frame in conn.events if frame["k"] == "event" for e in frame["e"] if e["type"] == "match_over"]
    assert overs, "no match_over reached this member"
    return overs[-1]


def crash_the_game(loop) -> None:
    def step(dt):
        raise RuntimeError("a fault in the rules")
    loop.match.game.step = step


@pytest.mark.parametrize("ending, reason", [
    ("host", "lobby_host"), ("staff", "lobby_staff"), ("shutdown", "lobby_shutdown"),
    ("server_error", "lobby_server_error"),
])
async def test_a_lobby_that_closes_mid_match_tells_everyone_match_over_with_its_reason(ending, reason):
    loop, clock, hooks, task, people = await running_match()
    (alice, _), _, _, (sam, _) = people
    if ending == "shutdown":
        task.cancel()
    elif ending == "server_error":
        crash_the_game(loop)
    else:
        loop.submit_command((alice if ending == "host" else sam).id, "close", {})
    await clock.advance(DT * 2)
    await asyncio.gather(task, return_exceptions=True)
    [saved] = hooks.saved
    assert (saved["status"], saved["reason"]) == ("aborted", reason)
    for member, conn in people:
        over = last_match_over(conn)
        assert (over["match"], over["status"], over["reason"]) == (saved["match_id"], "aborted", reason), member.name
        assert conn.events[-1]["e"][-1]["type"] == "lobby_closed" and conn.closed == 4011


@pytest.mark.parametrize("reason", ["lease_lost", "handover"])
async def test_a_match_cut_short_by_a_move_is_told_to_everyone_before_the_cluster_moves_them(reason):
    loop, clock, hooks, task, people = await running_match()
    loop.abandon(reason)  # what the cluster does when its lease is lost, or on SIGTERM
    await clock.advance(DT * 2)
    await asyncio.wait_for(task, 1)
    [saved] = hooks.saved
    assert (saved["status"], saved["reason"]) == ("aborted", reason) and hooks.abandoned == [loop]
    for member, conn in people:
        over = last_match_over(conn)
        assert (over["match"], over["status"], over["reason"]) == (saved["match_id"], "aborted", reason), member.name
        assert {r["name"] for r in over["results"]} == {"alice", "bob"}
        assert conn.closed is None  # the cluster closes them with 4013 once it has handed the lobby over


async def test_a_match_whose_lease_expires_is_told_to_everyone_as_lease_expired():
    loop, clock, hooks, task, people = await running_match()
    loop.lease_deadline = clock.now() + 0.1  # not renewed: the loop stops at its next tick after this
    await clock.advance(0.3)
    await asyncio.wait_for(task, 1)
    [saved] = hooks.saved
    assert (saved["status"], saved["reason"]) == ("aborted", "lease_expired")
    for _member, conn in people:
        assert last_match_over(conn)["reason"] == "lease_expired"


async def test_a_match_still_counting_down_when_the_lobby_moves_is_not_announced():
    loop, clock, hooks = make_loop(countdown_s=3.0)
    task = loop.start()
    req, conn = request("alice", creator=True)
    loop.submit_join(req)
    req2, conn2 = request("bob")
    loop.submit_join(req2)
    await clock.advance(DT)
    loop.submit_command(loop.lobby.members[2].id, "ready", {"ready": True})
    loop.submit_command(loop.lobby.host_id, "start", {})
    await clock.advance(DT * 2)
    assert loop.lobby.phase == "countdown"
    loop.abandon("handover")
    await clock.advance(DT * 2)
    await asyncio.wait_for(task, 1)
    assert hooks.saved == [] and loop.lobby.phase == "waiting"
    assert not [e for c in (conn, conn2) for f in c.events if f["k"] == "event" for e in f["e"]
                if e["type"] == "match_over"]


async def test_a_player_who_resumes_after_the_match_ended_gets_its_match_over_after_welcome():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    run_ticks(loop, 4)
    loop.submit_leave(bob.id, b)  # bob's connection drops; his seat waits for him
    loop.step_tick(DT)
    for input_seq in range(3):
        loop.submit_input(alice, input_seq, 1)
        loop.step_tick(DT)
    assert loop.lobby.phase == "finished"
    [saved] = hooks.saved
    req, again = request("bob")
    req.resume = bob.resume_token
    future = loop.submit_join(req)
    loop.step_tick(DT)
    assert future.result() is bob
    welcome, told = again.events[0], again.events[1]
    assert welcome["k"] == "welcome" and welcome["resumed"] and welcome["lobby"]["phase"] == "finished"
    [over] = told["e"]
    assert (over["type"], over["match"], over["status"], over["reason"]) == \
        ("match_over", saved["match_id"], "finished", "score_limit")
    assert over["winner"] == alice.id


async def test_a_late_spectator_of_a_finished_lobby_hears_how_the_match_ended_but_not_once_a_rematch_begins():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    alice_wins(loop, alice, bob)
    assert loop.lobby.phase == "finished"
    _late, conn = await join(loop, "late", role="spectator")
    assert [f["k"] for f in conn.events[:2]] == ["welcome", "event"]
    assert conn.events[1]["e"][0]["type"] == "match_over"
    loop.countdown_s = 3.0
    loop.submit_command(alice.id, "rematch", {})
    loop.step_tick(DT)
    assert loop.lobby.phase == "countdown"
    _later, conn2 = await join(loop, "later", role="spectator")
    assert not [e for f in conn2.events if f["k"] == "event" for e in f["e"] if e["type"] == "match_over"]


def test_the_match_over_of_a_record_names_the_match_its_end_and_the_public_results():
    record = {"match_id": "m1", "status": "aborted", "reason": "owner_lost", "winner": None,
              "results": [{"id": 3, "name": "Ann", "identity": "u:1", "user_id": 1, "score": 0, "rank": 1,
                           "winner": False}]}
    assert match_over_event(record) == {
        "type": "match_over", "match": "m1", "status": "aborted", "reason": "owner_lost", "winner": None,
        "results": [{"id": 3, "name": "Ann", "score": 0, "rank": 1, "winner": False}]}
