"""Arena rules, without a server: movement, shooting, scoring, pickups, endings, replays."""

from __future__ import annotations

import json
import math
from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.rules import arena
from game.rules.arena import Arena, Controls, move
from game.rules.base import InvalidInput, PlayerInfo

DT = 0.05
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "arena_movement.json"


def new_game(n: int = 2, seed: int = 7, **settings) -> Arena:
    return Arena(seed=seed, players=[PlayerInfo(i, f"p{i}") for i in range(1, n + 1)], settings=settings)


def place(game: Arena, pid: int, x: float, y: float, aim: float = 0.0) -> None:
    f = game.fighters[pid]
    f.x, f.y, f.protected_for = x, y, 0.0
    f.controls = Controls(0.0, 0.0, aim, False)


def run(game: Arena, seconds: float) -> list[dict]:
    events = []
    for _ in range(round(seconds / DT)):
        events += game.step(DT)
    return events


def test_move_normalises_diagonals():
    x, y = move(400, 300, 1, 1, 1.0)
    assert math.hypot(x - 400, y - 300) == pytest.approx(arena.SPEED)


def test_move_stops_at_walls_and_edges():
    assert move(680, 450, 1, 0, 1.0) == (740 - arena.PLAYER_RADIUS, 450)  # no tunnelling in a long step
    assert move(30, 30, -1, -1, 1.0) == (arena.PLAYER_RADIUS, arena.PLAYER_RADIUS)


def test_shared_movement_fixture_matches_move():
    data = json.loads(FIXTURE.read_text())
    assert data["world"] == arena.WORLD
    for case in data["cases"]:
        x, y = case["start"]
        for mx, my, dt in case["inputs"]:
            x, y = move(x, y, mx, my, dt)
        assert [x, y] == pytest.approx(case["expected"], abs=data["tolerance"]), case["name"]


def test_held_direction_moves_the_player_each_step():
    game = new_game()
    place(game, 1, 400, 300)
    game.apply_input(1, Arena.parse_input({"mx": 1, "my": 0, "aim": 0, "fire": False}))
    run(game, 1.0)
    assert game.fighters[1].x == pytest.approx(400 + arena.SPEED, abs=1e-6)


def test_firing_respects_the_cooldown():
    game = new_game()
    place(game, 1, 100, 300)
    place(game, 2, 1500, 800)
    game.apply_input(1, Controls(0, 0, 0.0, True))
    run(game, 1.0)  # bullets live 1.2 s and cannot reach a wall or the edge in 1 s
    assert len([b for b in game.bullets if b.owner == 1]) == 4  # at 0, 0.25, 0.5 and 0.75 s


def test_a_tap_between_ticks_still_fires():
    game = new_game()
    place(game, 1, 400, 300)
    game.apply_input(1, Controls(0, 0, math.pi, True))
    game.apply_input(1, Controls(0, 0, math.pi, False))
    game.step(DT)
    assert len(game.bullets) == 1


def test_bullet_hit_reduces_hp_and_four_hits_kill_and_score():
    game = new_game()
    place(game, 1, 400, 600)
    place(game, 2, 600, 600)
    game.apply_input(1, Controls(0, 0, 0.0, True))
    events = run(game, 1.2)
    hits = [e for e in events if e["type"] == "hit"]
    assert hits[0] == {"type": "hit", "id": 2, "by": 1, "hp": 75}
    assert {"type": "kill", "killer": 1, "victim": 2} in events
    assert game.fighters[1].score == 1 and game.fighters[2].deaths == 1
    assert not game.fighters[2].alive


def test_dead_player_respawns_protected_after_two_seconds():
    game = new_game()
    place(game, 1, 400, 600)
    place(game, 2, 600, 600)
    game.apply_input(1, Controls(0, 0, 0.0, True))
    run(game, 1.2)
    game.apply_input(1, Controls(0, 0, 0.0, False))
    events = run(game, arena.RESPAWN_S + 0.1)
    assert {"type": "respawn", "id": 2} in events
    victim = game.fighters[2]
    assert victim.alive and victim.hp == arena.MAX_HP and victim.protected_for > 0


def test_protected_player_takes_no_damage():
    game = new_game()
    place(game, 1, 400, 600)
    place(game, 2, 600, 600)
    game.fighters[2].protected_for = 10.0
    game.apply_input(1, Controls(0, 0, 0.0, True))
    run(game, 1.0)
    assert game.fighters[2].hp == arena.MAX_HP


def test_bullets_stop_at_walls():
    game = new_game()
    place(game, 1, 680, 450)
    place(game, 2, 950, 450)  # behind the centre block
    game.apply_input(1, Controls(0, 0, 0.0, True))
    run(game, 1.0)
    assert game.fighters[2].hp == arena.MAX_HP


def test_coins_spawn_and_score_when_collected():
    game = new_game()
    events = run(game, arena.COIN_EVERY_S + DT)
    coins = [(pid, x, y) for pid, (kind, x, y) in game.pickups.items() if kind == "coin"]
    assert coins
    pid, x, y = coins[0]
    place(game, 1, x, y)
    events = game.step(DT)
    assert {"type": "pickup", "id": 1, "kind": "coin"} in events
    assert game.fighters[1].score == 1 and pid not in game.pickups


def test_score_limit_ends_the_round_with_a_winner():
    game = new_game(3, score_limit=2)
    game.fighters[3].score = 2
    game.step(DT)
    assert game.finished
    result = game.result()
    assert result.winner == 3 and result.ranking[0] == 3 and result.reason == "score_limit"


def test_timer_ends_the_round_and_a_tie_has_no_winner():
    game = new_game(2, time_limit_s=1)
    run(game, 1.0)
    assert game.finished
    result = game.result()
    assert result.reason == "time_up" and result.winner is None and result.scores == {1: 0, 2: 0}


def test_ranking_breaks_ties_by_fewer_deaths():
    game = new_game(3)
    for pid, (score, deaths) in {1: (3, 2), 2: (3, 0), 3: (5, 9)}.items():
        game.fighters[pid].score, game.fighters[pid].deaths = score, deaths
    assert game.result().ranking == [3, 2, 1]


def test_last_player_standing_wins_by_forfeit():
    game = new_game(2)
    game.fighters[1].score = 4
    game.remove_player(1)
    assert game.finished
    result = game.result()
    assert result.reason == "forfeit" and result.winner == 2 and result.ranking == [2, 1]
    assert "p1" not in game.snapshot()["e"]


@pytest.mark.parametrize("payload", [
    None, [], "fire", {"mx": "1"}, {"mx": True}, {"my": float("nan")}, {"aim": float("inf")},
    {"fire": 1}, {"mx": 10**400}, {"aim": [1]},
])
def test_bad_inputs_are_refused(payload):
    with pytest.raises(InvalidInput):
        Arena.parse_input(payload)


def test_inputs_are_clamped_and_defaulted():
    assert Arena.parse_input({"mx": 5, "my": -7, "aim": 4 * math.pi}) == Controls(1.0, -1.0, pytest.approx(0.0), False)
    assert Arena.parse_input({}) == Controls(0.0, 0.0, 0.0, False)


def play_scripted(seed: int) -> tuple[list, object]:
    game = new_game(4, seed=seed, time_limit_s=8)
    snapshots = []
    for tick in range(200):
        for pid in range(1, 5):
            angle = (tick * 0.07 * pid) % (2 * math.pi)
            game.apply_input(pid, Controls(math.cos(angle), math.sin(angle * 1.3), angle * 2, tick % (pid + 2) == 0))
        game.step(DT)
        snapshots.append(game.snapshot())
    return snapshots, game.result()


def test_replay_with_the_same_seed_and_inputs_is_identical():
    assert play_scripted(11) == play_scripted(11)


def test_a_different_seed_gives_a_different_match():
    assert play_scripted(11)[0] != play_scripted(12)[0]


def test_snapshots_are_msgpack_serialisable_and_small():
    snapshots, _ = play_scripted(3)
    sizes = [len(msgpack.packb(s, use_single_float=True)) for s in snapshots]
    assert max(sizes) < 2000


inputs = st.one_of(st.none(), st.integers(), st.floats(), st.text(), st.lists(st.integers()),
                   st.dictionaries(st.sampled_from(["mx", "my", "aim", "fire", "x"]),
                                   st.one_of(st.floats(), st.integers(-(2**70), 2**70), st.booleans(),
                                             st.text(), st.none())))


@settings(max_examples=300, deadline=None)
@given(st.lists(inputs, max_size=20))
def test_any_payload_is_either_refused_or_safely_applied(payloads):
    game = new_game(2)
    for payload in payloads:
        try:
            cleaned = Arena.parse_input(payload)
        except InvalidInput:
            continue
        game.apply_input(1, cleaned)
        game.step(DT)
    snap = game.snapshot()["e"]["p1"]
    assert math.isfinite(snap["x"]) and math.isfinite(snap["y"]) and math.isfinite(snap["a"])
