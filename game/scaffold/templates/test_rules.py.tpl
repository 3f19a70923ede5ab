"""{{ title }} rules, without a server: moving, stars, endings, inputs and replays.
(tests/rules/test_contract.py checks what every game owes the engine.)"""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from game.rules import {{ name }}
from game.rules.base import InvalidInput, PlayerInfo
from game.rules.{{ name }} import {{ Class }}

DT = 1 / 20


def new_game(seed: int = 1, players: int = 2, **settings: Any) -> {{ Class }}:
    return {{ Class }}(seed=seed, players=[PlayerInfo(i, f"player {i}") for i in range(1, players + 1)],
               settings=settings)


def held(game: {{ Class }}, player: int, **fields: Any) -> None:
    game.apply_input(player, {{ Class }}.parse_input(fields))


def run(game: {{ Class }}, seconds: float) -> list[dict]:
    events = []
    for _ in range(round(seconds / DT)):
        events += game.step(DT)
    return events


def test_a_held_direction_moves_the_disc_and_the_edges_stop_it():
    game = new_game()
    game.star = (10_000.0, 10_000.0)  # out of reach
    x = game.discs[1].x
    held(game, 1, mx=-1)
    game.step(DT)
    assert game.discs[1].x == pytest.approx(x - {{ name }}.SPEED * DT)
    run(game, 10.0)
    assert game.discs[1].x == {{ name }}.RADIUS


def test_a_clicked_point_is_walked_to_and_held_keys_take_over():
    game = new_game()
    game.star = (10_000.0, 10_000.0)
    held(game, 1, tx=100.0, ty=120.0)
    held(game, 1)  # the next input has no click: the target stays
    run(game, 5.0)
    assert (game.discs[1].x, game.discs[1].y) == (100.0, 120.0)
    held(game, 1, tx=700.0, ty=120.0)
    held(game, 1, my=1)
    game.step(DT)
    assert game.discs[1].target is None and game.discs[1].x == 100.0


def test_taking_the_star_scores_and_a_new_one_appears():
    game = new_game()
    disc = game.discs[1]
    game.star = (disc.x, disc.y)
    events = game.step(DT)
    assert events == [{"type": "star", "id": 1, "s": 1}]
    assert disc.score == 1 and game.star != (disc.x, disc.y)


def test_the_score_limit_ends_the_match_with_a_winner():
    game = new_game(score_limit=1)
    game.star = (game.discs[2].x, game.discs[2].y)
    game.step(DT)
    result = game.result()
    assert game.finished and result.reason == "score_limit" and result.winner == 2 and result.ranking == [2, 1]


def test_time_up_with_level_scores_is_a_draw():
    game = new_game(time_limit_s=1)
    game.star = (10_000.0, 10_000.0)
    run(game, 1.0)
    result = game.result()
    assert game.finished and result.reason == "time_up" and result.winner is None
    assert result.ranks() == {1: 1, 2: 1}


def test_the_last_player_left_wins_by_forfeit_and_the_match_no_longer_changes():
    game = new_game(players=3)
    game.remove_player(1)
    assert not game.finished and "p1" not in game.snapshot()["e"]
    game.remove_player(3)
    result = game.result()
    assert game.finished and result.reason == "forfeit" and result.winner == 2 and result.ranking[0] == 2
    before = game.snapshot()
    assert game.step(DT) == [] and game.snapshot() == before


@pytest.mark.parametrize("payload", [None, [], "left", {"mx": "1"}, {"my": True}, {"tx": None},
                                     {"ty": float("nan")}, {f"k{i}": 0 for i in range(40)}], ids=repr)
def test_bad_inputs_are_refused(payload):
    with pytest.raises(InvalidInput):
        {{ Class }}.parse_input(payload)


def test_inputs_are_clamped_and_a_missing_click_is_none():
    assert {{ Class }}.parse_input({"mx": 5, "tx": -3, "ty": 9999, "other": 1}) == {
        "mx": 1.0, "my": 0.0, "tx": 0.0, "ty": {{ name }}.HEIGHT}
    assert {{ Class }}.neutral_input() == {"mx": 0.0, "my": 0.0, "tx": None, "ty": None}


def play(seed: int) -> list:
    game = new_game(seed, players=3)
    frames = []
    for tick in range(400):
        for player in (1, 2, 3):
            held(game, player, mx=((tick // 20 + player) % 3) - 1, my=((tick // 30 + player) % 3) - 1)
        frames.append((game.step(DT), game.snapshot()))
    return frames


def test_the_same_seed_and_inputs_replay_the_same_match():
    assert play(4) == play(4)
    assert play(4) != play(5)


def test_snapshots_and_events_are_msgpack_serialisable():
    for events, snapshot in play(6)[:50]:
        assert msgpack.unpackb(msgpack.packb([events, snapshot])) == [events, snapshot]
