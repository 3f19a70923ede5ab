"""Arena rules, without a server: movement, shooting, scoring, pickups, endings, replays."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.rules import arena
from game.rules.arena import Arena, Controls, move
from game.rules.base import InvalidInput, PlayerInfo, finite

from .helpers import of_type, run_for

DT = 0.05
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "arena_movement.json"
R = arena.PLAYER_RADIUS


def new_game(n: int = 2, seed: int = 7, **settings: Any) -> Arena:
    return Arena(seed=seed, players=[PlayerInfo(i, f"p{i}") for i in range(1, n + 1)], settings=settings)


def place(game: Arena, pid: int, x: float, y: float, aim: float = 0.0) -> None:
    """Put a player somewhere, unprotected, touching nothing."""
    f = game.fighters[pid]
    f.x, f.y, f.protected_for = x, y, 0.0
    f.controls = Controls(0.0, 0.0, aim, False)


def run(game: Arena, seconds: float) -> list[dict]:
    return run_for(game, seconds, DT)


# -- movement ----------------------------------------------------------------------------
def test_move_goes_at_speed_along_an_axis():
    assert move(400, 300, 1, 0, 0.5) == pytest.approx((400 + arena.SPEED / 2, 300))
    assert move(600, 300, 0, -1, 0.5) == pytest.approx((600, 300 - arena.SPEED / 2))


def test_move_normalises_diagonals_but_keeps_a_partial_stick():
    x, y = move(400, 300, 1, 1, 1.0)
    assert math.hypot(x - 400, y - 300) == pytest.approx(arena.SPEED)
    assert x - 400 == pytest.approx(y - 300)
    x, y = move(400, 300, 0.3, 0.4, 1.0)  # length 0.5: half speed, not sped up
    assert (x, y) == pytest.approx((400 + 0.3 * arena.SPEED, 300 + 0.4 * arena.SPEED))


def test_move_stops_at_a_wall_even_in_one_long_step():
    wall_x = arena.WALLS[0][0]
    assert move(680, 450, 1, 0, 1.0) == (wall_x - R, 450)


def test_move_slides_along_a_wall_on_a_diagonal():
    wx = arena.WALLS[0][0]
    x, y = move(wx - R, 450, 1, 0.5, 0.2)
    assert x == wx - R and y > 450


def test_move_keeps_the_player_inside_the_world():
    assert move(30, 30, -1, -1, 1.0) == (R, R)
    assert move(1590, 890, 1, 1, 5.0) == (arena.WIDTH - R, arena.HEIGHT - R)


def test_shared_movement_fixture_matches_move():
    data = json.loads(FIXTURE.read_text())
    assert data["world"] == arena.WORLD
    assert len(data["cases"]) >= 12
    for case in data["cases"]:
        x, y = case["start"]
        for mx, my, dt in case["inputs"]:
            x, y = move(x, y, mx, my, dt)
        assert [x, y] == pytest.approx(case["expected"], abs=data["tolerance"]), case["name"]


def test_held_direction_moves_the_player_each_step():
    game = new_game()
    place(game, 1, 400, 300)
    game.apply_input(1, Arena.parse_input({"mx": 1, "my": 0}))
    run(game, 1.0)
    assert game.fighters[1].x == pytest.approx(400 + arena.SPEED, abs=1e-6)


def test_the_last_input_before_a_step_wins():
    game = new_game()
    place(game, 1, 400, 300)
    game.apply_input(1, Controls(1.0, 0.0, 0.0, False))
    game.apply_input(1, Controls(-1.0, 0.0, 1.0, False))
    game.step(DT)
    assert game.fighters[1].x < 400 and game.snapshot()["e"]["p1"]["a"] == 1.0


# -- shooting ----------------------------------------------------------------------------
def test_firing_respects_the_cooldown():
    game = new_game()
    place(game, 1, 100, 300)
    place(game, 2, 1500, 800)
    game.apply_input(1, Controls(0, 0, 0.0, True))
    run(game, 1.0)  # bullets live 1.2 s and cannot reach a wall or the edge in 1 s
    assert len([b for b in game.bullets if b.owner == 1]) == 4  # 0.25 s apart


def test_a_tap_between_ticks_still_fires():
    game = new_game()
    place(game, 1, 400, 300)
    game.apply_input(1, Controls(0, 0, math.pi, True))
    game.apply_input(1, Controls(0, 0, math.pi, False))
    game.step(DT)
    assert len(game.bullets) == 1
    game.step(DT)
    assert len(game.bullets) == 1, "the tap fired once; fire is not held"


def test_firing_ends_spawn_protection():
    game = new_game()
    assert game.snapshot()["e"]["p1"]["sp"] is True
    game.apply_input(1, Controls(0, 0, 0.0, True))
    game.step(DT)
    assert game.fighters[1].protected_for == 0.0 and game.snapshot()["e"]["p1"]["sp"] is False


def test_bullets_expire_after_their_lifetime():
    game = new_game()
    place(game, 1, 100, 300)
    place(game, 2, 1500, 800)
    game.apply_input(1, Controls(0, 0, 0.0, True))
    game.step(DT)
    game.apply_input(1, Controls(0, 0, 0.0, False))
    run(game, arena.BULLET_LIFETIME_S - 2 * DT)
    assert len(game.bullets) == 1
    run(game, 2 * DT)
    assert game.bullets == []


def test_bullets_leave_the_world_and_stop_at_walls():
    game = new_game()
    place(game, 1, 40, 300, aim=math.pi)
    place(game, 2, 950, 450)  # behind the centre block, as seen from p1 below
    game.apply_input(1, Controls(0, 0, math.pi, True))
    game.step(DT)
    assert game.bullets == []  # out through the left edge within one step
    place(game, 1, 680, 450)
    game.fighters[1].cooldown = 0.0
    game.apply_input(1, Controls(0, 0, 0.0, True))
    run(game, 1.0)
    assert game.fighters[2].hp == arena.MAX_HP and game.bullets == []


# -- hits, kills, respawns ---------------------------------------------------------------
def shoot_dead(game: Arena) -> list[dict]:
    """p1 at (400, 600) shoots p2 at (600, 600) four times; returns the events."""
    place(game, 1, 400, 600)
    place(game, 2, 600, 600)
    game.apply_input(1, Controls(0, 0, 0.0, True))
    events = run(game, 1.2)
    game.apply_input(1, Controls(0, 0, 0.0, False))
    return events


def test_bullet_hit_reduces_hp_and_kill_scores():
    game = new_game()
    events = shoot_dead(game)
    assert [e["hp"] for e in of_type(events, "hit")] == [75, 50, 25, 0]
    assert of_type(events, "hit")[0] == {"type": "hit", "id": 2, "by": 1, "hp": 75}
    assert of_type(events, "kill") == [{"type": "kill", "killer": 1, "victim": 2}]
    shooter, victim = game.fighters[1], game.fighters[2]
    assert (shooter.score, shooter.kills, victim.deaths, victim.alive) == (1, 1, 1, False)
    p2 = game.snapshot()["e"]["p2"]
    assert p2["al"] is False and p2["hp"] == 0 and 0 < p2["rs"] <= arena.RESPAWN_S


def test_dead_player_respawns_after_two_seconds_protected_and_far_from_the_killer():
    game = new_game()
    shoot_dead(game)
    assert of_type(run(game, arena.RESPAWN_S - 0.3), "respawn") == []
    events = run(game, 0.35)
    assert of_type(events, "respawn") == [{"type": "respawn", "id": 2}]
    victim = game.fighters[2]
    assert victim.alive and victim.hp == arena.MAX_HP and victim.protected_for > 0
    assert (victim.x, victim.y) in arena.SPAWNS
    assert math.hypot(victim.x - 400, victim.y - 600) > 1000  # one of the two farthest spawns


def test_dead_players_neither_move_nor_shoot_nor_fire_on_respawn():
    game = new_game()
    shoot_dead(game)
    at = (game.fighters[2].x, game.fighters[2].y)
    game.apply_input(2, Controls(1.0, 1.0, 0.0, True))
    game.apply_input(2, Controls(1.0, 1.0, 0.0, False))  # a click while dead
    run(game, 1.0)
    assert (game.fighters[2].x, game.fighters[2].y) == at
    assert not [b for b in game.bullets if b.owner == 2]
    run(game, arena.RESPAWN_S)
    assert game.fighters[2].alive and not [b for b in game.bullets if b.owner == 2]


def test_protected_player_takes_no_damage():
    game = new_game()
    place(game, 1, 400, 600)
    place(game, 2, 600, 600)
    game.fighters[2].protected_for = 10.0
    game.apply_input(1, Controls(0, 0, 0.0, True))
    events = run(game, 1.0)
    assert game.fighters[2].hp == arena.MAX_HP and of_type(events, "hit") == []


# -- pickups -----------------------------------------------------------------------------
def test_coins_spawn_from_the_rng_and_score_when_collected():
    game = new_game()
    run(game, arena.COIN_EVERY_S + DT)
    coins = [(item, x, y) for item, (kind, x, y) in game.pickups.items() if kind == "coin"]
    assert len(coins) == 1
    item, x, y = coins[0]
    assert item.startswith("c") and game.snapshot()["e"][item] == {"x": x, "y": y}
    place(game, 1, x, y)
    events = game.step(DT)
    assert {"type": "pickup", "id": 1, "kind": "coin", "item": item} in events
    assert game.fighters[1].score == 1 and item not in game.pickups


def test_health_restores_hp_but_is_left_for_a_healthy_player():
    game = new_game()
    game.pickups["h99"] = ("health", 500.0, 300.0)
    place(game, 1, 500, 300)
    game.step(DT)
    assert "h99" in game.pickups and game.fighters[1].hp == arena.MAX_HP
    game.fighters[1].hp = 25
    events = game.step(DT)
    assert of_type(events, "pickup") == [{"type": "pickup", "id": 1, "kind": "health", "item": "h99"}]
    assert game.fighters[1].hp == 25 + arena.HEALTH_AMOUNT and "h99" not in game.pickups


def test_pickups_are_capped_and_never_inside_walls():
    game = new_game(time_limit_s=120)
    run(game, 60.0)
    kinds = [kind for kind, _x, _y in game.pickups.values()]
    assert 1 <= kinds.count("coin") <= arena.MAX_COINS and kinds.count("health") <= arena.MAX_HEALTH
    assert all(arena._blocked(x, y) is None for _k, x, y in game.pickups.values())


# -- endings and results -----------------------------------------------------------------
def test_score_limit_ends_the_round_with_a_winner():
    game = new_game(3, score_limit=2)
    game.fighters[3].score = 2
    game.step(DT)
    assert game.finished
    result = game.result()
    assert result.winner == 3 and result.ranking[0] == 3 and result.reason == "score_limit"


def test_the_timer_ends_the_round_and_a_tie_has_no_winner():
    game = new_game(2, time_limit_s=1)
    run(game, 1.0 - DT)
    assert not game.finished and game.time_left == pytest.approx(DT)
    game.step(DT)
    assert game.finished
    result = game.result()
    assert result.reason == "time_up" and result.winner is None and result.scores == {1: 0, 2: 0}


def test_a_finished_round_no_longer_changes():
    game = new_game(2, time_limit_s=1)
    run(game, 1.0)
    assert game.finished
    before = game.snapshot()
    game.apply_input(1, Controls(1.0, 0.0, 0.0, True))
    assert run(game, 1.0) == [] and game.snapshot() == before


def test_ranking_is_by_score_then_fewer_deaths_then_id():
    game = new_game(4)
    for pid, (score, deaths) in {1: (3, 2), 2: (3, 0), 3: (5, 9), 4: (3, 0)}.items():
        game.fighters[pid].score, game.fighters[pid].deaths = score, deaths
    assert game.result().ranking == [3, 2, 4, 1]
    assert game.result().winner == 3


def test_equal_top_scores_have_no_winner_even_with_fewer_deaths():
    game = new_game(3)
    for pid, (score, deaths) in {1: (4, 5), 2: (4, 0), 3: (1, 0)}.items():
        game.fighters[pid].score, game.fighters[pid].deaths = score, deaths
    result = game.result()
    assert result.ranking == [2, 1, 3] and result.winner is None


def test_an_aborted_match_still_has_a_result():
    result = new_game(2).result()
    assert result.reason == "aborted" and result.winner is None and sorted(result.ranking) == [1, 2]


def test_a_removed_player_disappears_but_keeps_their_score_ranked_last():
    game = new_game(3)
    game.fighters[1].score = 4
    game.remove_player(1)
    game.apply_input(1, Controls(1.0, 0.0, 0.0, True))  # a late input is ignored
    game.step(DT)
    assert not game.finished and "p1" not in game.snapshot()["e"]
    result = game.result()
    assert result.scores[1] == 4 and result.ranking[-1] == 1


def test_the_last_player_standing_wins_by_forfeit():
    game = new_game(2)
    game.fighters[1].score = 4
    game.remove_player(1)
    game.remove_player(1)  # twice, or an unknown player, is harmless
    game.remove_player(99)
    assert game.finished
    result = game.result()
    assert result.reason == "forfeit" and result.winner == 2 and result.ranking == [2, 1]
    assert game.step(DT) == []  # the engine announces the end (match_over), not the rules


# -- inputs ------------------------------------------------------------------------------
@pytest.mark.parametrize("payload", [
    None, [], "fire", b"\x00", 3, 1.5, True, [0.5, 0.5], {"mx": "1"}, {"mx": True}, {"my": False},
    {"my": float("nan")}, {"aim": float("inf")}, {"aim": float("-inf")}, {"mx": None}, {"fire": 1},
    {"fire": "yes"}, {"fire": None}, {"mx": 10**400}, {"aim": -(10**400)}, {"aim": [1]},
    {"mx": {"deep": [[[1]]]}}, {f"k{i}": 0 for i in range(100)},
], ids=repr)
def test_bad_inputs_are_refused(payload):
    with pytest.raises(InvalidInput):
        Arena.parse_input(payload)


def test_inputs_are_clamped_defaulted_and_unknown_keys_ignored():
    assert Arena.parse_input({"mx": 5, "my": -7, "fire": True}) == (1.0, -1.0, 0.0, True)
    assert Arena.parse_input({"mx": 2**63, "my": -(2**64)}) == (1.0, -1.0, 0.0, False)
    assert Arena.parse_input({"mx": 0.25, "junk": [1, 2], 7: "x"}) == (0.25, 0.0, 0.0, False)
    assert Arena.parse_input({}) == Arena.neutral_input() == Controls(0.0, 0.0, 0.0, False)


def _reference_parse(payload: dict) -> Controls:
    """The input rules spelled out with `finite` for every field (parse_input has a short way)."""
    fire = payload.get("fire", False)
    if not isinstance(fire, bool):
        raise InvalidInput("fire")
    aim = finite(payload.get("aim", 0.0), lo=-arena.MAX_AIM, hi=arena.MAX_AIM, name="aim")
    return Controls(finite(payload.get("mx", 0.0), lo=-1.0, hi=1.0, name="mx"),
                    finite(payload.get("my", 0.0), lo=-1.0, hi=1.0, name="my"),
                    math.atan2(math.sin(aim), math.cos(aim)), fire)


_field = st.one_of(st.floats(), st.integers(), st.integers(-1, 1), st.floats(-1.5, 1.5), st.booleans(),
                   st.none(), st.text(max_size=2))


@settings(max_examples=400)
@given(st.dictionaries(st.sampled_from(["mx", "my", "aim", "fire", "x"]), _field))
def test_parse_input_matches_the_rules_spelled_out(payload):
    try:
        expected = _reference_parse(payload)
    except InvalidInput:
        with pytest.raises(InvalidInput):
            Arena.parse_input(payload)
        return
    got = Arena.parse_input(payload)
    assert type(got) is Controls and got == expected
    assert [type(v) for v in got] == [float, float, float, bool]
    assert [math.copysign(1, v) for v in got[:3]] == [math.copysign(1, v) for v in expected[:3]]


def test_aim_is_normalised_to_a_half_turn_either_way():
    assert Arena.parse_input({"aim": 4 * math.pi + 1.0}).aim == pytest.approx(1.0)
    assert Arena.parse_input({"aim": -1.5 * math.pi}).aim == pytest.approx(0.5 * math.pi)
    assert -math.pi <= Arena.parse_input({"aim": 1e300}).aim <= math.pi


# -- views -------------------------------------------------------------------------------
