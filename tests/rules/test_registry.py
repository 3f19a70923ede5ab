"""The registry, and the purity rule: rules import nothing from Django, Channels, asyncio,
time or random."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import game.rules as rules
from game.rules.base import Game

FORBIDDEN = {"django", "channels", "asyncio", "time", "random", "daphne", "redis"}


def test_both_games_are_registered_and_listed():
    assert {"arena", "pong"} <= set(rules.GAMES)
    names = [g["name"] for g in rules.game_catalog()]
    assert "arena" in names and "pong" in names
    assert rules.get_game("pong").max_players == 2


def test_unknown_game_raises_key_error():
    with pytest.raises(KeyError):
        rules.get_game("chess")


def test_a_second_game_with_a_taken_name_is_refused():
    class Impostor(Game):
        name = "arena"

    with pytest.raises(ValueError):
        rules.register(Impostor)


@pytest.mark.parametrize("path", sorted(Path(rules.__file__).parent.glob("*.py")), ids=lambda p: p.name)
def test_rules_modules_are_pure(path):
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN
