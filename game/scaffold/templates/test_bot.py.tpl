"""The {{ title }} bot without a server: it plays by the rules, the same seed gives the same
inputs, and it takes stars from someone who never moves."""

from __future__ import annotations

import math

import pytest

from game.bots import DIFFICULTIES, has_policy
from game.rules.{{ name }} import {{ Class }}

from .helpers import play


def test_the_game_has_bots():
    assert has_policy("{{ name }}")


@pytest.mark.parametrize("level", DIFFICULTIES)
def test_every_input_is_one_parse_input_takes_as_it_is(level):
    played = play("{{ name }}", {1: level, 2: level}, seed=5, max_s=20)
    for raws in played.inputs.values():
        assert raws
        for raw in raws:
            cleaned = {{ Class }}.parse_input(raw)
            assert math.hypot(cleaned["mx"], cleaned["my"]) <= 1.0 + 1e-3


def test_the_same_seed_gives_the_same_inputs():
    first, second = (play("{{ name }}", {1: "normal", 2: "easy"}, seed=11, max_s=20) for _ in range(2))
    assert first.inputs == second.inputs and first.result == second.result


@pytest.mark.parametrize("level", DIFFICULTIES)
def test_a_bot_beats_someone_who_never_moves(level):
    played = play("{{ name }}", {1: level, 2: None}, seed=3)
    assert played.result.winner == 1 and played.result.reason == "score_limit"
