"""Pong rules, without a server: paddles, serves, bounces, points, endings, replays."""

from __future__ import annotations

import math
from itertools import chain
from typing import Any

import msgpack
import pytest

from game.rules import pong
from game.rules.base import InvalidInput, PlayerInfo
from game.rules.pong import Pong

from .helpers import of_type, run_for

DT = 1 / 30


def new_game(seed: int = 1, **settings: Any) -> Pong:
    return Pong(seed=seed, players=[PlayerInfo(1, "left"), PlayerInfo(2, "right")], settings=settings)


def in_play(game: Pong, x: float, y: float, vx: float, vy: float) -> Pong:
    """Put the ball in play at (x, y) with velocity (vx, vy), skipping the serve pause."""
    game.serve_in, game.bx, game.by, game.vx, game.vy = 0.0, x, y, vx, vy
    return game


def run(game: Pong, seconds: float) -> list[dict]:
    return run_for(game, seconds, DT)


def test_paddles_move_and_stay_on_the_table():
    game = new_game()
    game.apply_input(1, Pong.parse_input({"my": -1}))
    game.apply_input(2, Pong.parse_input({"my": 1}))
    run(game, 3)
    assert game.paddle_y == {1: pong.PADDLE_H / 2, 2: pong.HEIGHT - pong.PADDLE_H / 2}


def test_the_last_input_before_a_step_wins():
    game = new_game()
    game.apply_input(1, 1.0)
    game.apply_input(1, -0.5)
    game.step(DT)
    assert game.paddle_y[1] == pytest.approx(pong.HEIGHT / 2 - 0.5 * pong.PADDLE_SPEED * DT)


def test_the_ball_waits_then_is_served_toward_a_side_drawn_from_the_seed():
    game = new_game(seed=4)
    assert run(game, pong.SERVE_DELAY_S - DT) == [] and (game.vx, game.vy) == (0.0, 0.0)
    serves = of_type(run(game, 2 * DT), "serve")
    toward = serves[0]["toward"]
    assert len(serves) == 1 and (game.vx < 0) == (toward == 1)
    assert math.hypot(game.vx, game.vy) == pytest.approx(pong.BALL_SPEED)
    sides = set()
    for seed in range(20):
        sides.add(of_type(run(new_game(seed=seed), pong.SERVE_DELAY_S + DT), "serve")[0]["toward"])
    assert sides == {1, 2}


def test_an_unreturned_ball_scores_for_the_other_side_and_is_served_to_the_loser():
    game = in_play(new_game(seed=3), 400.0, 400.0, -600.0, 0.0)
    game.paddle_y = {1: 45.0, 2: 45.0}
    events = run(game, 0.7)
    assert of_type(events, "point") == [{"type": "point", "id": 2}] and game.scores == {1: 0, 2: 1}
    assert (game.bx, game.by, game.vx, game.vy) == (pong.WIDTH / 2, pong.HEIGHT / 2, 0.0, 0.0)
    events = run(game, pong.SERVE_DELAY_S)
    assert of_type(events, "serve") == [{"type": "serve", "toward": 1}] and game.vx < 0


def test_a_paddle_returns_the_ball_a_little_faster():
    game = in_play(new_game(), 200.0, 250.0, -400.0, 0.0)
    events = run(game, 0.5)
    assert of_type(events, "return") == [{"type": "return", "id": 1}]
    assert game.vx == pytest.approx(400.0 * pong.BALL_SPEEDUP) and game.vy == pytest.approx(0.0)


def test_the_ball_leaves_a_paddle_edge_at_a_steep_angle():
    game = in_play(new_game(), 600.0, 290.0, 400.0, 0.0)  # 40 px below the right paddle's centre
    run(game, 0.5)
    assert game.vx < 0 and game.vy > 0
    assert math.degrees(math.atan2(game.vy, -game.vx)) > 40


def test_the_ball_speed_is_capped():
    game = in_play(new_game(), 200.0, 250.0, -(pong.BALL_MAX_SPEED - 10), 0.0)
    run(game, 0.3)
    assert math.hypot(game.vx, game.vy) == pytest.approx(pong.BALL_MAX_SPEED)


@pytest.mark.parametrize(("y", "vy"), [(20.0, -300.0), (480.0, 300.0)])
def test_the_ball_bounces_off_the_top_and_bottom(y, vy):
    game = in_play(new_game(), 400.0, y, 50.0, vy)
    run(game, 0.2)
    assert game.vy == -vy and pong.BALL_RADIUS <= game.by <= pong.HEIGHT - pong.BALL_RADIUS


def test_first_to_the_score_limit_wins():
    game = in_play(new_game(score_limit=1), 700.0, 480.0, 900.0, 0.0)
    game.paddle_y[2] = 45.0
    run(game, 0.5)
    result = game.result()
    assert game.finished and result.winner == 1 and result.ranking == [1, 2] and result.scores == {1: 1, 2: 0}


def test_time_up_makes_the_leader_the_winner():
    game = new_game(time_limit_s=1)
    game.serve_in, game.scores[2] = 99.0, 2
    run(game, 1.0)
    result = game.result()
    assert game.finished and result.reason == "time_up" and result.winner == 2 and result.ranking == [2, 1]


def test_time_up_with_level_scores_is_a_draw():
    game = new_game(time_limit_s=1)
    game.serve_in = 99.0
    run(game, 1.0 - DT)
    assert not game.finished
    game.step(DT)
    assert game.finished
    assert game.result().winner is None and game.result().reason == "time_up"


def test_a_player_who_leaves_forfeits_and_the_match_finishes():
    game = new_game()
    game.scores[1] = 3
    game.remove_player(1)
    result = game.result()
    assert game.finished and result.reason == "forfeit" and result.winner == 2 and result.ranking == [2, 1]
    assert result.scores == {1: 3, 2: 0} and "p1" not in game.snapshot()["e"]
    game.remove_player(2)  # the match is over: nothing changes any more
    game.remove_player(99)
    assert game.result() == result
    assert game.step(DT) == []  # the engine announces the end (match_over), not the rules


def test_an_aborted_match_still_has_a_result():
    result = new_game().result()
    assert result.reason == "aborted" and result.winner is None and result.ranking == [1, 2]


@pytest.mark.parametrize("payload", [
    None, 3, "up", [], [1], {"my": "up"}, {"my": False}, {"my": None}, {"my": float("nan")},
    {"my": float("inf")}, {"my": -(10**400)}, {"my": [0.5]}, {"my": {"y": 1}}, {f"k{i}": 0 for i in range(100)},
], ids=repr)
def test_bad_inputs_are_refused(payload):
    with pytest.raises(InvalidInput):
        Pong.parse_input(payload)


def test_inputs_are_clamped_defaulted_and_unknown_keys_ignored():
    assert Pong.parse_input({"my": 9}) == 1.0 and Pong.parse_input({"my": -(2**64)}) == -1.0
    assert Pong.parse_input({"my": 0.5, "mx": "whatever"}) == 0.5
    assert Pong.parse_input({}) == Pong.neutral_input() == 0.0


def test_snapshot_has_paddles_and_the_ball():
    game = in_play(new_game(), 123.44, 200.06, 300.4, -10.6)
    snap = game.snapshot()
    assert snap["g"] == {"t": 120.0, "sl": 5}
    assert snap["e"] == {
        "p1": {"y": 250.0, "side": 0, "s": 0, "n": "left"},
        "p2": {"y": 250.0, "side": 1, "s": 0, "n": "right"},
        "ball": {"x": 123.4, "y": 200.1, "vx": 300, "vy": -11},
    }


def scripted(seed: int) -> tuple[list, list, object]:
    game = new_game(seed=seed, time_limit_s=20)
    snapshots, events = [], []
    for tick in range(400):
        game.apply_input(1, Pong.parse_input({"my": ((tick // 20) % 3) - 1}))
        game.apply_input(2, Pong.parse_input({"my": ((tick // 13) % 3) - 1}))
        events.append(game.step(DT))
        snapshots.append(game.snapshot())
    return snapshots, events, game.result()


def test_replay_with_the_same_seed_and_inputs_is_identical():
    first = scripted(5)
    assert of_type(list(chain(*first[1])), "point"), "the script should score"
    assert first == scripted(5)


def test_a_different_seed_gives_a_different_match():
    assert scripted(5)[0] != scripted(6)[0]


def test_snapshots_and_events_are_msgpack_serialisable():
    snapshots, events, _ = scripted(7)
    for snap, tick_events in zip(snapshots, events, strict=True):
        assert msgpack.unpackb(msgpack.packb(snap)) == snap
        assert msgpack.unpackb(msgpack.packb(tick_events)) == tick_events
