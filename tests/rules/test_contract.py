"""What game/rules/base.py promises of every registered game, checked on each: its name,
rules version, input schema (and a `parse_input` that takes those fields), declared events,
player entities, and the end of a match, which the rules report through `finished` and
`result` only (the engine announces ``match_over``)."""

from __future__ import annotations

import contextlib
import json
import math
import random
from typing import Any, ClassVar

import pytest

from game import rules
from game.engine.lobby import RESERVED_EVENTS
from game.rules.base import (
    ENGINE_EVENTS,
    Axis,
    Flag,
    Game,
    InputField,
    InvalidInput,
    MoveRefused,
    Number,
    PlayerInfo,
    Setting,
    player_key,
    shared_reason,
    valid_name,
)

GAMES = list(rules.GAMES.values())
DT = 0.05


def seated(cls: type[Game], n: int | None = None) -> list[PlayerInfo]:
    return [PlayerInfo(i, f"player {i}") for i in range(1, (n or max(2, cls.min_players)) + 1)]


def random_input(cls: type[Game], rng: random.Random) -> dict[str, Any]:
    """A payload a person could send: every field of the schema, some left out, numbers a
    little beyond their range now and then (they are clamped)."""
    payload: dict[str, Any] = {}
    for key, field in cls.input_schema.items():
        if rng.random() < 0.2:
            continue
        if isinstance(field, Flag):
            payload[key] = rng.random() < 0.3
        elif isinstance(field, Axis):
            payload[key] = rng.choice((-1, 0, 1, rng.uniform(-1.2, 1.2)))
        else:
            payload[key] = rng.uniform(field.lo - 1, field.hi + 1)
    return payload


def test_the_engine_and_the_contract_reserve_the_same_event_types():
    assert ENGINE_EVENTS == RESERVED_EVENTS


def test_a_player_is_the_entity_p_and_their_id():
    assert player_key(7) == "p7"


@pytest.mark.parametrize("name", ["ab", "arena", "tic_tac_toe", "go2"])
def test_a_game_name_is_a_short_lowercase_identifier(name):
    assert valid_name(name)


@pytest.mark.parametrize("name", ["", "a", "Arena", "2go", "tic-tac-toe", "_x", "a" * 25, "café"])
def test_other_names_are_refused(name, monkeypatch):
    assert not valid_name(name)
    monkeypatch.setattr(rules, "GAMES", dict(rules.GAMES))
    with pytest.raises(ValueError):
        rules.register(type("Bad", (Game,), {"name": name}))


def test_a_game_that_declares_a_lobby_event_is_refused(monkeypatch):
    monkeypatch.setattr(rules, "GAMES", dict(rules.GAMES))
    cls = type("Loud", (Game,), {"name": "loud", "events": {"match_over": "the end", "boom": "a bang"}})
    with pytest.raises(ValueError, match="match_over"):
        rules.register(cls)


@pytest.mark.parametrize("reasons", [{"forfeit": {"en": "gave up"}}, {"lobby_gone": {"en": "gone"}},
                                     {"all_stars": {"hi": "सारे तारे"}}, {"all_stars": {"en": ""}}])
def test_a_game_whose_own_reason_is_a_shared_one_or_has_no_english_is_refused(reasons, monkeypatch):
    monkeypatch.setattr(rules, "GAMES", dict(rules.GAMES))
    with pytest.raises(ValueError, match="reasons"):
        rules.register(type("Odd", (Game,), {"name": "odd", "reasons": reasons}))


@pytest.mark.parametrize("cls", GAMES, ids=lambda c: c.name)
def test_a_game_s_own_reasons_are_identifiers_with_words_in_english(cls):
    for reason, words in cls.reasons.items():
        assert reason.isidentifier() and reason == reason.lower() and not shared_reason(reason)
        assert words.get("en") and all(isinstance(w, str) and w for w in words.values())


def test_the_default_parse_input_cleans_by_the_schema():
    class Dots(Game):
        name = "dots"
        input_schema: ClassVar[dict[str, InputField]] = {"mx": Axis(), "tx": Number(0, 100), "go": Flag()}

    assert Dots.parse_input({}) == {"mx": 0.0, "tx": None, "go": False}
    assert Dots.neutral_input() == {"mx": 0.0, "tx": None, "go": False}
    assert Dots.parse_input({"mx": 3, "tx": 250, "go": True, "extra": 1}) == {"mx": 1.0, "tx": 100.0, "go": True}
    for bad in (None, [], {"mx": "1"}, {"tx": None}, {"go": 1}, {"mx": math.nan}, {f"k{i}": 0 for i in range(20)}):
        with pytest.raises(InvalidInput):
            Dots.parse_input(bad)
    assert Dots.describe_input() == {"mx": {"type": "axis", "min": -1, "max": 1, "default": 0},
                                     "tx": {"type": "number", "min": 0, "max": 100, "default": None},
                                     "go": {"type": "flag", "default": False}}


def test_a_game_without_an_input_schema_must_write_parse_input():
    with pytest.raises(NotImplementedError):
        type("Mute", (Game,), {"name": "mute"}).parse_input({})


@pytest.mark.parametrize("cls", GAMES, ids=lambda c: c.name)
def test_every_game_declares_its_name_version_settings_input_and_events(cls):
    assert valid_name(cls.name) and cls.title
    assert isinstance(cls.rules_version, int) and cls.rules_version >= 0
    assert all(isinstance(s, Setting) for s in cls.settings_schema.values())
    assert cls.input_schema, "an input_schema: the fields a player sends"
    json.dumps(cls.describe_input())  # published by GET /api/games
    assert cls.events and not set(cls.events) & ENGINE_EVENTS
    assert all(isinstance(text, str) and text for text in cls.events.values())


@pytest.mark.parametrize("cls", GAMES, ids=lambda c: c.name)
def test_every_game_takes_the_fields_of_its_input_schema(cls):
    rng = random.Random(1)
    for _ in range(200):
        cls.parse_input(random_input(cls, rng))
    assert cls.neutral_input() == cls.parse_input({})
    for key in cls.input_schema:
        with pytest.raises(InvalidInput):
            cls.parse_input({key: "a string is no value of any field"})


@pytest.mark.parametrize("cls", GAMES, ids=lambda c: c.name)
def test_every_seated_player_is_an_entity_with_name_and_score(cls):
    players = seated(cls, cls.max_players)
    entities = cls(seed=2, players=players, settings={}).snapshot()["e"]
    for p in players:
        entity = entities[player_key(p.id)]
        assert entity["n"] == p.name and isinstance(entity["s"], int)


@pytest.mark.parametrize("cls", GAMES, ids=lambda c: c.name)
def test_a_played_match_sends_only_declared_events_and_ends_by_result_alone(cls):
    rng = random.Random(3)
    players = seated(cls)
    limits = {key: s.lo for key, s in cls.settings_schema.items() if key == "time_limit_s"}
    game = cls(seed=3, players=players, settings=limits)
    seen: set[str] = set()
    for _ in range(int(3600 / DT)):
        for p in players:
            # The rules may refuse a move (a turn-based game: not that player's turn).
            with contextlib.suppress(MoveRefused):
                game.apply_input(p.id, cls.parse_input(random_input(cls, rng)))
        seen |= {e["type"] for e in game.step(DT)}
        if game.finished:
            break
    assert game.finished, "a match with the shortest time limit ends"
    assert seen <= set(cls.events), f"undeclared events: {seen - set(cls.events)}"
    result, snapshot = game.result(), game.snapshot()
    assert sorted(result.ranking) == [p.id for p in players] and result.reason != "aborted"
    assert shared_reason(result.reason) or result.reason in cls.reasons, f"undeclared reason {result.reason}"
    assert game.step(DT) == [] and game.snapshot() == snapshot, "a finished game no longer changes"
