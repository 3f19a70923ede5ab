"""The registry, what every registered game owes the engine, and the purity rule: rules
import nothing from Django, Channels, asyncio, time or random."""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game import rules
from game.rules.base import Game, InvalidInput, MoveRefused, PlayerInfo, Result
from tests.purity import FORBIDDEN, top_level_imports

RULES_DIR = Path(rules.__file__).parent
REPO = RULES_DIR.parent.parent


def players(cls: type[Game], n: int | None = None) -> list[PlayerInfo]:
    return [PlayerInfo(i, f"player {i}") for i in range(1, (n or max(2, cls.min_players)) + 1)]


def test_both_games_are_registered_and_listed_for_lobby_creation():
    assert {"arena", "pong"} <= set(rules.GAMES)
    catalog = {g["name"]: g for g in rules.game_catalog()}
    assert catalog["arena"] == {"name": "arena", "title": "Arena", "min_players": 2, "max_players": 8,
                                "default_settings": {"score_limit": 10, "time_limit_s": 180}}
    assert catalog["pong"] == {"name": "pong", "title": "Pong", "min_players": 2, "max_players": 2,
                               "default_settings": {"score_limit": 5, "time_limit_s": 120}}


def test_the_catalog_hands_out_copies_of_the_default_settings():
    rules.game_catalog()[0]["default_settings"]["score_limit"] = -1
    assert -1 not in rules.GAMES[rules.game_catalog()[0]["name"]].default_settings.values()


def test_get_game_finds_a_game_and_raises_key_error_for_an_unknown_one():
    assert rules.get_game("pong").max_players == 2
    with pytest.raises(KeyError):
        rules.get_game("chess")


def test_register_works_as_a_decorator_and_refuses_a_taken_or_missing_name(monkeypatch):
    monkeypatch.setattr(rules, "GAMES", dict(rules.GAMES))

    @rules.register
    class Solo(Game):
        name = "solo"

    assert rules.get_game("solo") is Solo
    assert rules.register(Solo) is Solo  # the same class again is harmless

    class Impostor(Game):
        name = "arena"

    class Nameless(Game):
        pass

    for cls in (Impostor, Nameless):
        with pytest.raises(ValueError):
            rules.register(cls)
    assert rules.get_game("arena").__name__ == "Arena"


@pytest.mark.parametrize("cls", rules.GAMES.values(), ids=lambda c: c.name)
def test_every_game_accepts_its_own_default_settings_and_seat_counts(cls):
    assert cls.name and cls.title and 1 <= cls.min_players <= cls.max_players
    assert cls.clean_settings(dict(cls.default_settings)) == cls.default_settings
    for n in (cls.min_players, cls.max_players):
        game = cls(seed=1, players=players(cls, n), settings={})
        snap = game.snapshot()
        assert set(snap) == {"g", "e"} and all(isinstance(key, str) for key in snap["e"])
        assert {f"p{p.id}" for p in players(cls, n)} <= set(snap["e"])
        assert isinstance(game.result(), Result) and not game.finished


@pytest.mark.parametrize("cls", rules.GAMES.values(), ids=lambda c: c.name)
def test_every_game_survives_all_its_players_leaving(cls):
    game = cls(seed=3, players=players(cls), settings={})
    for p in players(cls):
        game.remove_player(p.id)
        game.step(0.05)
    assert game.finished
    result = game.result()
    assert sorted(result.ranking) == [p.id for p in players(cls)] and set(result.scores) == set(result.ranking)


# -- fuzzing: any payload is refused by parse_input or applied without harm ---------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=4), st.binary(max_size=4))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                           max_size=3), max_leaves=8)
numbers = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**64), 2**64))
keys = st.one_of(st.sampled_from(["mx", "my", "aim", "fire"]), st.text(max_size=3), st.integers())
payloads = st.one_of(
    values,
    st.dictionaries(keys, values, max_size=6),
    st.fixed_dictionaries({}, optional={"mx": numbers, "my": numbers, "aim": numbers, "fire": st.booleans()}),
)


def assert_plain(value: Any) -> None:
    """msgpack-able, with no NaN or inf hiding anywhere."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, (str, int))
            assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            assert_plain(item)
    else:
        assert value is None or isinstance(value, (bool, int, str)) or math.isfinite(value)


@pytest.mark.parametrize("cls", rules.GAMES.values(), ids=lambda c: c.name)
@settings(max_examples=150, deadline=None)
@given(script=st.lists(st.tuples(st.integers(0, 1), payloads), max_size=25))
def test_any_payload_is_either_refused_or_safely_applied(cls, script):
    game = cls(seed=9, players=players(cls), settings={})
    for seat, payload in script:
        try:
            cleaned = cls.parse_input(payload)
        except InvalidInput:
            continue
        try:
            game.apply_input(seat + 1, cleaned)
        except MoveRefused as refused:
            assert refused.reason in cls.refusals  # a refusal the game documents
        events = game.step(0.05)
        assert_plain(events)
        assert msgpack.unpackb(msgpack.packb(events)) == events
    snap = game.snapshot()
    assert_plain(snap)
    assert msgpack.unpackb(msgpack.packb(snap)) == snap


# -- purity --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(RULES_DIR.glob("*.py")), ids=lambda p: p.name)
def test_rules_modules_import_nothing_impure(path):
    imported = top_level_imports(path)
    assert not imported & FORBIDDEN
    # collections: its abc module holds the abstract types (Callable) that typing only re-exports
    pure = {"__future__", "math", "dataclasses", "typing", "collections", "game"}
    assert imported <= pure, "a new dependency: is it pure?"


def test_importing_the_rules_loads_no_impure_module_even_indirectly():
    code = ("import sys; before = set(sys.modules); import game.rules; "
            "print(sorted({m.split('.')[0] for m in set(sys.modules) - before}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert not set(ast.literal_eval(out)) & FORBIDDEN
