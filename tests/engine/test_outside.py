"""Commands from outside a lobby (staff dashboard, matchmaker) and seats reserved by matchmaking."""

from __future__ import annotations

import pytest

from game.engine.clock import FakeClock
from game.engine.errors import JoinRefused
from game.engine.lobby import JoinRequest, Lobby, LobbyConfig
from game.engine.loop import LobbyLoop
from game.engine.outside import OUTSIDE_ID

from .helpers import CounterGame, FakeConn, FakeHooks, request
from .test_lifecycle import DT, run_ticks, seated_pair

SEATS = {"tok-ann": "g:ann", "tok-bob": "g:bob"}


def matchmade_loop(min_players: int = 2) -> tuple[LobbyLoop, FakeHooks]:
    game = type("PairGame", (CounterGame,), {"min_players": min_players})
    config = LobbyConfig(code="MATCH1", name="match", game_cls=game, max_players=2, private=True,
                         reserved_seats=dict(SEATS))
    hooks = FakeHooks()
    return LobbyLoop(Lobby(config), clock=FakeClock(), hooks=hooks, countdown_s=0.1), hooks


def try_join(loop: LobbyLoop, name: str, *, identity: str, token: str | None = None,
             role: str = "player"):
    conn = FakeConn()
    req = JoinRequest(name=name, role=role, identity=identity, conn=conn, host_token=token)
    future = loop.submit_join(req)
    loop.step_tick(DT)
    return future, conn


async def test_staff_kick_from_outside_removes_even_the_host_and_closes_with_4005():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    assert loop.submit_staff_command("kick", {"target": alice.id}, actor="moderator")
    loop.step_tick(DT)
    assert alice.id not in loop.lobby.members and a.closed == 4005
    kicked = next(e for e in hooks.events() if e["type"] == "kicked")
    assert kicked == {"type": "kicked", "id": alice.id, "name": "alice", "by": OUTSIDE_ID}
    assert loop.lobby.host_id == bob.id  # the host role moved on as after any kick


async def test_staff_close_from_outside_closes_with_reason_staff():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_staff_command("close", {}, actor="moderator")
    loop.step_tick(DT)
    assert loop.lobby.phase == "closed" and loop.lobby.close_reason == "staff"


async def test_outside_kick_of_a_missing_member_changes_nothing_and_tells_nobody():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    before = (len(a.events), len(b.events))
    loop.submit_staff_command("kick", {"target": 99}, actor="moderator")
    loop.step_tick(DT)
    assert len(loop.lobby.members) == 2 and (len(a.events), len(b.events)) == before


async def test_staff_commands_share_the_bounded_command_queue():
    loop, hooks, (alice, a), (bob, b) = await seated_pair(max_commands=2)
    assert loop.submit_staff_command("close", {}, actor="m")
    assert loop.submit_command(alice.id, "chat", {"text": "hi"})
    assert not loop.submit_staff_command("close", {}, actor="m")


async def test_reserved_seats_take_only_the_matched_players():
    loop, _hooks = matchmade_loop()
    future, conn = try_join(loop, "eve", identity="g:eve")
    with pytest.raises(JoinRefused) as refused:
        future.result()
    assert refused.value.close == "lobby_full"
    watcher, _ = try_join(loop, "eve", identity="g:eve", role="spectator")
    assert watcher.result().role == "spectator"  # anyone may watch


async def test_a_seat_is_claimed_by_its_token_or_by_the_identity_it_was_held_for():
    loop, _hooks = matchmade_loop()
    by_token, _ = try_join(loop, "ann", identity="g:someone-else", token="tok-ann")
    assert by_token.result().role == "player"
    again, _ = try_join(loop, "ann2", identity="g:other", token="tok-ann")  # taken already
    with pytest.raises(JoinRefused):
        again.result()
    assert loop.lobby.phase == "waiting"
    by_identity, _ = try_join(loop, "bob", identity="g:bob")
    assert by_identity.result().role == "player"


async def test_a_matchmade_lobby_has_no_host_and_starts_once_every_seat_is_taken():
    loop, hooks = matchmade_loop()
    ann, a = try_join(loop, "ann", identity="g:ann")
    assert loop.lobby.host_id is None and a.events[0]["host"] is False
    assert loop.lobby.phase == "waiting"
    bob, _ = try_join(loop, "bob", identity="g:bob", token="tok-bob")
    assert loop.lobby.phase == "countdown"
    run_ticks(loop, 3)
    assert loop.lobby.phase == "playing"
    assert {m.id for m in loop.match.roster.values()} == {ann.result().id, bob.result().id}
    loop.submit_command(ann.result().id, "kick", {"target": bob.result().id})
    loop.step_tick(DT)
    assert a.errors() == ["forbidden"]  # nobody may remove a matched opponent


async def test_at_the_deadline_the_match_starts_with_whoever_came():
    loop, hooks = matchmade_loop(min_players=1)
    try_join(loop, "ann", identity="g:ann")
    loop.submit_staff_command("start_reserved", {}, actor="matchmaking")
    loop.step_tick(DT)
    assert loop.lobby.phase == "countdown" and list(loop.lobby.reserved_seats) == ["tok-ann"]
    late, _ = try_join(loop, "bob", identity="g:bob", token="tok-bob")
    with pytest.raises(JoinRefused):  # the no-show's seat was dropped
        late.result()


async def test_at_the_deadline_too_few_players_close_the_lobby_as_no_show():
    loop, hooks = matchmade_loop()
    _, a = try_join(loop, "ann", identity="g:ann")
    loop.submit_staff_command("start_reserved", {}, actor="matchmaking")
    loop.step_tick(DT)
    assert loop.lobby.phase == "closed" and loop.lobby.close_reason == "no_show"


async def test_start_reserved_is_ignored_by_an_ordinary_lobby():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_staff_command("start_reserved", {}, actor="matchmaking")
    loop.step_tick(DT)
    assert loop.lobby.phase == "waiting"


async def test_a_seat_left_for_good_can_be_taken_back_by_its_player():
    loop, _hooks = matchmade_loop()
    ann, _ = try_join(loop, "ann", identity="g:ann")
    loop.lobby.remove(ann.result().id)
    back, _ = try_join(loop, "ann", identity="g:ann")
    assert back.result().role == "player"


async def test_an_ordinary_lobby_is_not_matchmade():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    assert not loop.lobby.matchmade and loop.lobby.host_id == alice.id
    req, _ = request("carol")
    future = loop.submit_join(req)
    loop.step_tick(DT)
    assert future.result().role == "player"
