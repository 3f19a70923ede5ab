"""Bot policies without a server: determinism, valid inputs, difficulty that matters, and
the purity rule (policies import nothing from Django, Channels, asyncio, time or random)."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from game import bots
from game.bots import DIFFICULTIES, bot_identity, bot_name, has_policy, is_bot_identity, make_policy
from game.rules import get_game
from game.rules.base import Rng
from tests.purity import FORBIDDEN, top_level_imports

from .helpers import play

BOTS_DIR = Path(bots.__file__).parent


def test_both_games_have_a_policy_and_others_none():
    assert has_policy("arena") and has_policy("pong") and not has_policy("counter")
    with pytest.raises(KeyError):
        make_policy("counter", member_id=1, difficulty="easy", rng=Rng(1), tick_rate_hz=20)


def test_an_unknown_difficulty_is_refused():
    with pytest.raises(ValueError):
        make_policy("pong", member_id=1, difficulty="impossible", rng=Rng(1), tick_rate_hz=20)


def test_bot_identities_and_names():
    assert bot_identity("K7QX2M", 2) == "bot:K7QX2M:2" and is_bot_identity("bot:K7QX2M:2")
    assert not is_bot_identity("g:abc") and not is_bot_identity("u:12")
    assert bot_name(1, "hard") == "Bot 1 (hard)"


@pytest.mark.parametrize("game", ["arena", "pong"])
def test_the_same_seed_gives_the_same_inputs(game):
    levels = {1: "hard", 2: "easy"} if game == "pong" else {1: "hard", 2: "normal", 3: "easy"}
    first, second = play(game, levels, seed=11, max_s=30), play(game, levels, seed=11, max_s=30)
    assert first.inputs == second.inputs and first.result == second.result
    other = play(game, levels, seed=12, max_s=30)
    assert other.inputs != first.inputs


@pytest.mark.parametrize("game", ["arena", "pong"])
@pytest.mark.parametrize("level", DIFFICULTIES)
def test_every_input_is_one_parse_input_takes_as_it_is(game, level):
    """In range already (parse_input clamps silently, so a clamped input would be a bot bug)."""
    levels = {1: level, 2: level, 3: level} if game == "arena" else {1: level, 2: level}
    played = play(game, levels, seed=5, max_s=40)
    cls = get_game(game)
    for raws in played.inputs.values():
        assert raws
        for raw in raws:
            cleaned = cls.parse_input(raw)
            if game == "pong":
                assert cleaned == raw["my"]
            else:
                assert set(raw) == {"mx", "my", "aim", "fire"} and isinstance(raw["fire"], bool)
                assert (cleaned.mx, cleaned.my, cleaned.fire) == (raw["mx"], raw["my"], raw["fire"])
                assert cleaned.aim == pytest.approx(raw["aim"], abs=1e-9)
                assert math.hypot(raw["mx"], raw["my"]) <= 1.0 + 1e-3


@pytest.mark.parametrize("game", ["arena", "pong"])
def test_hard_beats_easy_over_several_seeded_matches(game):
    wins, hard_total, easy_total = 0, 0, 0
    for seed in range(1, 6):
        # Alternate seats so neither side of the table or spawn favours one level.
        hard, easy = (1, 2) if seed % 2 else (2, 1)
        played = play(game, {1: None, 2: None} | {hard: "hard", easy: "easy"}, seed=seed)
        assert played.result.reason == "score_limit"
        wins += played.result.winner == hard
        hard_total += played.result.scores[hard]
        easy_total += played.result.scores[easy]
    assert wins == 5 and hard_total > 2 * easy_total


@pytest.mark.parametrize("game", ["arena", "pong"])
def test_bots_alone_finish_a_match_against_someone_who_never_moves(game):
    for level in DIFFICULTIES:
        played = play(game, {1: None, 2: level}, seed=3)
        assert played.result.reason == "score_limit" and played.result.winner == 2


# -- purity ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(BOTS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_policy_modules_import_nothing_impure(path):
    imported = top_level_imports(path)
    assert not imported & FORBIDDEN
    # importlib: the package finds each game's policy module by the game's name.
    assert imported <= {"__future__", "math", "dataclasses", "typing", "collections", "game", "importlib"}
    sources = {node.module for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("game")}
    assert all(m.startswith(("game.rules", "game.bots")) for m in sources)
