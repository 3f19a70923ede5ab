"""The bot settings and the seats bots hold: validation, people first, never host, no bans."""

from __future__ import annotations

import pytest

from game.engine.errors import JoinRefused
from game.rules import get_game

from .helpers import make_loop, request
from .test_lifecycle import DT, join, run_ticks


async def lobby_of(game: str, **kw):
    cls = get_game(game) if game != "counter" else None
    loop, _clock, hooks = make_loop(**({"game_cls": cls, "max_players": cls.max_players} if cls else {}), **kw)
    host, conn = await join(loop, "host", creator=True)
    return loop, hooks, host, conn


def settings(loop, member, **changes) -> None:
    loop.submit_command(member.id, "settings", {"settings": changes})
    loop.step_tick(DT)


def bots_of(loop) -> list:
    return [m for m in loop.lobby.members.values() if m.bot]


@pytest.mark.parametrize("value", [-1, 2, True, 1.0, "1", None])
async def test_bots_beyond_the_free_seats_or_not_a_count_are_refused(value):
    loop, _hooks, host, conn = await lobby_of("pong")  # two seats, the host holds one
    settings(loop, host, bots=value)
    assert conn.errors() == ["bad_field"] and "bots" not in loop.lobby.settings


async def test_bot_settings_are_kept_and_announced():
    loop, hooks, host, conn = await lobby_of("arena")
    settings(loop, host, bots=7, bot_difficulty="hard")
    assert conn.errors() == [] and loop.lobby.settings == {"bots": 7, "bot_difficulty": "hard"}
    assert {"type": "settings", "changes": {"bots": 7, "bot_difficulty": "hard"}} in hooks.events()
    assert [f for f in hooks.published if f["k"] == "lobby"][-1]["lobby"]["settings"]["bots"] == 7


async def test_bots_are_checked_against_max_players_changed_in_the_same_frame():
    loop, _hooks, host, conn = await lobby_of("arena")
    settings(loop, host, max_players=3, bots=3)
    assert conn.errors() == ["bad_field"]
    settings(loop, host, max_players=3, bots=2)
    assert len(conn.errors()) == 1 and (loop.lobby.max_players, loop.lobby.settings["bots"]) == (3, 2)


@pytest.mark.parametrize("value", ["impossible", "", 2, None, ["hard"]])
async def test_an_unknown_bot_difficulty_is_refused(value):
    loop, _hooks, host, conn = await lobby_of("arena")
    settings(loop, host, bot_difficulty=value)
    assert conn.errors() == ["bad_field"]


async def test_a_game_without_a_bot_policy_takes_no_bots():
    loop, _hooks, host, conn = await lobby_of("counter")
    settings(loop, host, bots=1)
    settings(loop, host, bots=0)
    assert conn.errors() == ["bad_field"] and loop.lobby.settings["bots"] == 0


async def test_a_player_cannot_set_bots():
    loop, _hooks, _host, _conn = await lobby_of("arena")
    guest, g = await join(loop, "guest")
    settings(loop, guest, bots=2)
    assert g.errors() == ["forbidden"]


async def test_bots_let_a_lone_host_start_and_fill_only_the_free_seats():
    loop, _hooks, host, conn = await lobby_of("pong")
    loop.submit_command(host.id, "start", {})
    loop.step_tick(DT)
    assert conn.errors() == ["invalid_state"]  # pong needs two players
    settings(loop, host, bots=1)
    loop.submit_command(host.id, "start", {})
    loop.step_tick(DT)
    assert loop.lobby.phase == "countdown" and len(bots_of(loop)) == 1


async def test_a_person_takes_a_bots_seat_at_the_next_start():
    loop, _hooks, host, _conn = await lobby_of("pong")
    settings(loop, host, bots=1, score_limit=1)
    loop.submit_command(host.id, "start", {})
    run_ticks(loop, 3)
    bob, _b = await join(loop, "bob")  # the seats are the host's and a bot's: the bot yields
    assert not bob.in_match and len(loop.lobby.players()) == 3
    assert loop.lobby.summary()["players"] == 2 and loop.lobby.summary()["bots"] == 1
    while loop.lobby.phase != "finished":
        loop.step_tick(DT)
    loop.step_tick(DT)
    assert bots_of(loop) == []
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(host.id, "start", {})
    loop.step_tick(DT)
    assert loop.lobby.phase == "countdown" and bots_of(loop) == []  # no seat left for a bot
    assert set(loop.match.roster) == {host.id, bob.id}


async def test_a_full_lobby_of_people_still_refuses_players():
    loop, _hooks, _host, _conn = await lobby_of("pong")
    await join(loop, "bob")
    req, _ = request("carol")
    future = loop.submit_join(req)
    loop.step_tick(DT)
    with pytest.raises(JoinRefused):
        future.result()


async def test_a_bot_is_never_host():
    loop, _hooks, host, conn = await lobby_of("arena", grace_s=0)
    _eve, _e = await join(loop, "eve", role="spectator", staff=True)
    settings(loop, host, bots=2, score_limit=50)
    loop.submit_command(host.id, "start", {})
    run_ticks(loop, 3)
    bot = bots_of(loop)[0]
    loop.submit_command(host.id, "transfer", {"target": bot.id})
    loop.step_tick(DT)
    assert conn.errors() == ["invalid_state"] and loop.lobby.host_id == host.id
    loop.submit_leave(host.id)
    run_ticks(loop, 2)
    assert loop.lobby.host_id is None and len(bots_of(loop)) == 2  # the staff spectator still watches


async def test_kicking_or_banning_a_bot_unseats_it_and_bans_nobody():
    loop, _hooks, host, conn = await lobby_of("arena")
    settings(loop, host, bots=3, score_limit=50)
    loop.submit_command(host.id, "start", {})
    run_ticks(loop, 3)
    first, second = bots_of(loop)[:2]
    loop.submit_command(host.id, "kick", {"target": first.id})
    loop.submit_command(host.id, "ban", {"target": second.id})
    loop.step_tick(DT)
    assert conn.errors() == [] and len(bots_of(loop)) == 1
    assert loop.lobby.banned_identities == set() and loop.lobby.banned_addresses == set()
    assert loop.match.game.fighters[first.id].left and loop.match.game.fighters[second.id].left
