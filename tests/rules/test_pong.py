"""Pong rules, without a server."""

from __future__ import annotations

import pytest

from game.rules import pong
from game.rules.base import InvalidInput, PlayerInfo
from game.rules.pong import Pong

DT = 1 / 30


def new_game(seed: int = 1, **settings) -> Pong:
    return Pong(seed=seed, players=[PlayerInfo(1, "left"), PlayerInfo(2, "right")], settings=settings)


def run(game: Pong, seconds: float) -> list[dict]:
    events = []
    for _ in range(round(seconds / DT)):
        events += game.step(DT)
    return events


def test_paddles_move_and_stay_on_the_table():
    game = new_game()
    game.apply_input(1, Pong.parse_input({"my": -1}))
    run(game, 3)
    assert game.paddle_y[1] == pytest.approx(pong.PADDLE_H / 2)


def test_the_ball_is_served_after_a_delay():
    game = new_game()
    run(game, pong.SERVE_DELAY_S - DT)
    assert (game.vx, game.vy) == (0.0, 0.0)
    run(game, 2 * DT)
    assert abs(game.vx) > 0


def test_an_unreturned_ball_scores_for_the_other_side():
    game = new_game(seed=3)
    game.paddle_y = {1: 40.0, 2: 40.0}
    game.controls = {1: 0.0, 2: 0.0}
    game.serve_in, game.bx, game.by, game.vx, game.vy = 0.0, 400.0, 400.0, -600.0, 0.0
    events = run(game, 1.0)
    assert {"type": "point", "id": 2} in events and game.scores == {1: 0, 2: 1}


def test_a_paddle_returns_the_ball_faster():
    game = new_game()
    game.serve_in, game.bx, game.by, game.vx, game.vy = 0.0, 200.0, 250.0, -400.0, 0.0
    events = run(game, 0.5)
    assert {"type": "return", "id": 1} in events
    assert game.vx > 400.0


def test_the_ball_bounces_off_the_top():
    game = new_game()
    game.serve_in, game.bx, game.by, game.vx, game.vy = 0.0, 400.0, 20.0, 0.0, -300.0
    run(game, 0.2)
    assert game.vy > 0


def test_first_to_the_score_limit_wins():
    game = new_game(score_limit=1)
    game.serve_in, game.bx, game.by, game.vx, game.vy = 0.0, 700.0, 480.0, 900.0, 0.0
    game.paddle_y[2] = 45.0
    run(game, 0.5)
    assert game.finished and game.result().winner == 1 and game.result().reason == "score_limit"


def test_a_player_who_leaves_forfeits():
    game = new_game()
    game.scores[1] = 3
    game.remove_player(1)
    result = game.result()
    assert game.finished and result.reason == "forfeit" and result.winner == 2 and result.ranking == [2, 1]


def test_time_up_with_level_scores_is_a_draw():
    game = new_game(time_limit_s=1)
    game.serve_in = 99
    run(game, 1.0)
    assert game.finished and game.result().winner is None and game.result().reason == "time_up"


@pytest.mark.parametrize("payload", [None, 3, {"my": "up"}, {"my": False}, {"my": float("nan")}])
def test_bad_inputs_are_refused(payload):
    with pytest.raises(InvalidInput):
        Pong.parse_input(payload)


def scripted(seed: int) -> list:
    game = new_game(seed=seed, time_limit_s=20)
    out = []
    for tick in range(400):
        game.apply_input(1, ((tick // 20) % 3) - 1)
        game.apply_input(2, ((tick // 13) % 3) - 1)
        game.step(DT)
        out.append(game.snapshot())
    return out


def test_replay_is_deterministic_and_seed_dependent():
    assert scripted(5) == scripted(5)
    assert scripted(5) != scripted(6)
