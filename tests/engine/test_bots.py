"""Bots through the tick loop: seated at the start, driven through the input path, gone
when the match ends; and, the issue's test, bots finish a match on their own."""

from __future__ import annotations

import pytest

from game.engine import match as match_module
from game.rules import get_game

from .helpers import make_loop
from .test_lifecycle import DT, join, run_ticks


@pytest.fixture
def fixed_seed(monkeypatch):
    """Every match of the test draws the same seed (matches are otherwise seeded at random)."""
    monkeypatch.setattr(match_module.secrets, "randbits", lambda bits: 20240611)


async def host_with_bots(game: str, bots: int, difficulty: str = "normal", **settings):
    cls = get_game(game)
    loop, clock, hooks = make_loop(game_cls=cls, max_players=cls.max_players)
    host, conn = await join(loop, "host", creator=True)
    loop.submit_command(host.id, "settings", {"settings": {"bots": bots, "bot_difficulty": difficulty, **settings}})
    loop.step_tick(DT)
    assert conn.errors() == []
    return loop, clock, hooks, host, conn


def game_events(conn) -> list[dict]:
    return [e for frame in conn.states for e in frame.get("ev", [])]


def bot_ids(loop) -> set[int]:
    return {m.id for m in loop.lobby.members.values() if m.bot}


async def play_out(loop, clock, hooks, *, limit_s: float = 300.0) -> dict:
    """Run the real loop task on the fake clock until the match is saved."""
    loop.start()
    for _ in range(int(limit_s)):
        await clock.advance(1.0)
        if hooks.saved:
            break
    loop.task.cancel()
    assert hooks.saved, "the match did not end"
    return hooks.saved[0]


async def test_bots_finish_a_pong_match_on_their_own(fixed_seed):
    loop, clock, hooks, host, _conn = await host_with_bots("pong", 1, "normal")
    loop.submit_command(host.id, "start", {})  # then the host never sends an input
    record = await play_out(loop, clock, hooks)
    assert record["status"] == "finished" and record["reason"] == "score_limit"  # not the timer
    bot, person = sorted(record["results"], key=lambda r: r["identity"].startswith("g:"))
    assert bot["name"] == "Bot 1 (normal)" and bot["identity"] == "bot:TEST01:1" and bot["user_id"] is None
    assert bot["score"] == 5 and bot["winner"] and record["winner"] == bot["id"]
    assert person["name"] == "host" and person["score"] < 5
    assert "bots" not in get_game("pong").default_settings and record["settings"]["bots"] == 1


async def test_bots_finish_an_arena_match_with_kills(fixed_seed):
    loop, clock, hooks, host, conn = await host_with_bots("arena", 3, "hard", score_limit=3)
    loop.submit_command(host.id, "start", {})
    record = await play_out(loop, clock, hooks)
    assert record["status"] == "finished" and record["reason"] == "score_limit"
    bots = [r for r in record["results"] if r["identity"].startswith("bot:")]
    assert sorted(r["name"] for r in bots) == ["Bot 1 (hard)", "Bot 2 (hard)", "Bot 3 (hard)"]
    assert max(r["score"] for r in bots) == 3 and record["winner"] in {r["id"] for r in bots}
    kills = [e for e in game_events(conn) if e["type"] == "kill"]
    assert any(e["killer"] in {r["id"] for r in bots} for e in kills)


async def test_bots_are_seated_at_the_start_and_marked_in_the_lobby_frame():
    loop, _clock, hooks, host, _conn = await host_with_bots("arena", 2, "easy")
    assert bot_ids(loop) == set()  # none before the start
    loop.submit_command(host.id, "start", {})
    loop.step_tick(DT)
    ids = bot_ids(loop)
    assert len(ids) == 2 and set(loop.match.roster) == ids | {host.id}
    lobby = [f for f in hooks.published if f["k"] == "lobby"][-1]["lobby"]
    marked = {m["id"]: m for m in lobby["members"]}
    assert marked[host.id]["bot"] is False and all(marked[i]["bot"] and marked[i]["in_match"] for i in ids)
    assert lobby["players"] == 1 and lobby["bots"] == 2
    assert not [e for e in hooks.events() if e["type"] == "joined" and e["id"] in ids]  # no chatter


async def test_bots_play_through_the_input_path_and_are_acknowledged():
    loop, _clock, _hooks, host, conn = await host_with_bots("arena", 2, "hard")
    submitted = []
    original = loop.submit_input
    loop.submit_input = lambda member, input_seq, cleaned: (submitted.append((member.id, input_seq))
                                                            or original(member, input_seq, cleaned))
    loop.submit_command(host.id, "start", {})
    run_ticks(loop, 60)
    ids = bot_ids(loop)
    assert {mid for mid, _ in submitted} == ids
    for bot in ids:
        input_seqs = [input_seq for mid, input_seq in submitted if mid == bot]
        assert input_seqs == list(range(len(input_seqs))) and len(input_seqs) > 5
    processed = conn.states[-1]["last_processed_input"]
    assert all(processed[bot] >= 0 for bot in ids) and processed[host.id] == -1
    first = next(f for f in conn.states if f["k"] == "full")["s"]["e"]
    latest = loop.match.game.snapshot()["e"]
    for b in ids:  # both bots went somewhere
        assert (first[f"p{b}"]["x"], first[f"p{b}"]["y"]) != (latest[f"p{b}"]["x"], latest[f"p{b}"]["y"])


async def test_bots_act_only_while_playing():
    loop, _clock, _hooks, host, _conn = await host_with_bots("pong", 1)
    loop.submit_command(host.id, "start", {})
    loop.step_tick(DT)
    assert loop.lobby.phase == "countdown" and not loop.inputs
    bot = loop.lobby.members[next(iter(bot_ids(loop)))]
    run_ticks(loop, 3)  # countdown_s is 0.1 in these tests
    assert loop.lobby.phase == "playing" and bot.last_processed_input >= 0


async def test_bots_leave_when_the_match_is_over_and_a_rematch_seats_them_again(fixed_seed):
    loop, clock, hooks, host, _conn = await host_with_bots("pong", 1, "hard")
    loop.submit_command(host.id, "start", {})
    record = await play_out(loop, clock, hooks)
    assert loop.lobby.phase == "finished" and bot_ids(loop) == set()
    assert not [e for e in hooks.events() if e["type"] == "left"]
    over = next(e for e in hooks.events() if e["type"] == "match_over")
    assert {r["name"] for r in over["results"]} == {"host", "Bot 1 (hard)"} and record["match_id"] == over["match"]
    loop.submit_command(host.id, "rematch", {})
    loop.step_tick(DT)
    assert loop.lobby.phase == "countdown" and len(bot_ids(loop)) == 1
    assert loop.lobby.members[next(iter(bot_ids(loop)))].name == "Bot 1 (hard)"


async def test_bots_give_up_their_match_when_no_person_is_left():
    cls = get_game("arena")
    loop, _clock, hooks = make_loop(game_cls=cls, max_players=8, grace_s=0)
    host, _ = await join(loop, "host", creator=True)
    loop.submit_command(host.id, "settings", {"settings": {"bots": 3}})
    loop.submit_command(host.id, "start", {})
    run_ticks(loop, 10)
    loop.submit_leave(host.id)
    run_ticks(loop, 3)
    assert hooks.saved and hooks.saved[0]["reason"] == "forfeit"
    assert loop.lobby.members == {} and loop.lobby.phase == "finished"


async def test_a_spectator_watching_keeps_the_bots_playing():
    cls = get_game("arena")
    loop, _clock, hooks = make_loop(game_cls=cls, max_players=8, grace_s=0)
    host, _ = await join(loop, "host", creator=True)
    await join(loop, "eve", role="spectator")
    loop.submit_command(host.id, "settings", {"settings": {"bots": 2, "score_limit": 50}})
    loop.submit_command(host.id, "start", {})
    run_ticks(loop, 10)
    loop.submit_leave(host.id)
    run_ticks(loop, 40)
    assert not hooks.saved and loop.lobby.phase == "playing" and len(bot_ids(loop)) == 2


async def test_bots_unseated_when_the_last_person_leaves_are_in_the_replay(fixed_seed):
    from game.engine.replay import replay_result

    loop, clock, hooks, host, conn = await host_with_bots("arena", 3, "hard", time_limit_s=60)
    loop.submit_command(host.id, "start", {})
    run_ticks(loop, 40)
    loop.submit_leave(host.id)  # a spectator-less lobby: the bots forfeit, the match ends
    for _ in range(int(loop.grace_s * 20) + 40):
        loop.step_tick(DT)
        if hooks.saved:
            break
    record = hooks.saved[0]
    result = replay_result(record["replay"])  # raises ReplayMismatch if the forfeits were not logged
    assert result.ranking == [r["id"] for r in sorted(record["results"], key=lambda r: r["rank"])]
