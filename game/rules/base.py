"""The game interface every rules module implements.

A rules module is pure and deterministic: its state is a function of the seed, the
player list, the settings and the ordered inputs applied between fixed `step(dt)` calls.
It imports nothing from Django, Channels, asyncio, `time` or `random`; randomness comes
from the seeded `Rng` kept in the game's state.

The engine owns time, queues, roles and the lobby lifecycle; a game only answers these
calls, always from the lobby's single tick task:

- ``Game(seed=..., players=..., settings=...)``: a new match, called when play starts.
- ``apply_input(player, payload)``: one validated input of one player; applied at the
  start of the tick after it arrived, in arrival order.
- ``remove_player(player)``: the player left for good during the match.
- ``step(dt)``: advance the simulation by exactly ``dt`` seconds (the tick period).
  Returns the events that happened during the step.
- ``snapshot()``: the whole visible state, made only of msgpack-able values, shaped as
  ``{"g": {global fields}, "e": {entity_id: {field: value}}}`` so the engine can compute
  deltas without knowing the game.
- ``finished`` / ``result()``: whether the match is over, and its outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar


class InvalidInput(ValueError):
    """Raised by `parse_input` when an input payload is malformed or out of range."""


@dataclass(frozen=True)
class PlayerInfo:
    """A seated player as the rules see it: a small integer id and a display name."""

    id: int
    name: str


@dataclass(frozen=True)
class Result:
    """The outcome of a finished match.

    ``scores`` maps player id to score; ``ranking`` lists player ids best first;
    ``winner`` is None for a draw; ``reason`` names why the match ended
    (for example ``"score_limit"``, ``"time_up"``, ``"forfeit"``). ``places`` maps player
    id to place when players may tie (see `shared_places`); without it every player of
    ``ranking`` has a place of their own.
    """

    scores: dict[int, int]
    ranking: list[int]
    winner: int | None
    reason: str
    places: dict[int, int] | None = None

    def ranks(self) -> dict[int, int]:
        """Each player's place, 1 best, in ``ranking`` order; tied players share one."""
        if self.places is not None:
            return {pid: self.places[pid] for pid in self.ranking}
        return {pid: place for place, pid in enumerate(self.ranking, start=1)}


def shared_places(ranking: list[int], key: Callable[[int], Any]) -> dict[int, int]:
    """Standard competition places (1, 1, 3) of ``ranking``: neighbours with an equal ``key``
    share a place (the key of the rules' ties, e.g. the score; ``ranking`` is already sorted)."""
    places: dict[int, int] = {}
    for i, pid in enumerate(ranking):
        tied = i > 0 and key(pid) == key(ranking[i - 1])
        places[pid] = places[ranking[i - 1]] if tied else i + 1
    return places


Event = dict[str, Any]
Snapshot = dict[str, Any]


class Rng:
    """A small seeded generator (xorshift32) whose state is one integer.

    Kept in the game state so a replay with the same seed reproduces a match exactly.
    """

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = (seed & 0xFFFFFFFF) or 0x9E3779B9

    def next_u32(self) -> int:
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x

    def random(self) -> float:
        """A float in [0, 1)."""
        return self.next_u32() / 4294967296.0

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.random()

    def randint(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi], both ends included."""
        return lo + self.next_u32() % (hi - lo + 1)


def finite(value: Any, *, lo: float, hi: float, name: str) -> float:
    """Return ``value`` as a float clamped to [lo, hi]; refuse non-numbers, NaN and inf."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{name} must be a number")
    try:
        f = float(value)
    except OverflowError:
        raise InvalidInput(f"{name} is out of range") from None
    if not math.isfinite(f):
        raise InvalidInput(f"{name} must be finite")
    return min(hi, max(lo, f))


@dataclass(frozen=True)
class Setting:
    """One setting a host may change before a match: its default (whose type is the
    setting's: bool, int or float) and, for a number, the range it must lie in, both ends
    included. A value of another type or outside the range is refused, never clamped."""

    default: bool | int | float
    lo: int | float = 0
    hi: int | float = 0

    @property
    def kind(self) -> str:
        """``"bool"``, ``"int"`` or ``"float"``, as GET /api/games publishes it."""
        if isinstance(self.default, bool):
            return "bool"
        return "int" if isinstance(self.default, int) else "float"

    def clean(self, key: str, value: Any) -> bool | int | float:
        """``value`` if it is of this setting's type and in its range; else InvalidInput,
        naming the bound. An int setting takes integers only (2.0 and 2.5 are refused); a
        float one takes integers too. NaN and infinities fail the range."""
        kind = self.kind
        if kind == "bool":
            if not isinstance(value, bool):
                raise InvalidInput(f"{key} must be a boolean")
            return value
        number = int if kind == "int" else (int, float)
        if isinstance(value, bool) or not isinstance(value, number) or not self.lo <= value <= self.hi:
            what = "an integer" if kind == "int" else "a number"
            raise InvalidInput(f"{key} must be {what} in [{self.lo}, {self.hi}]")
        return value if kind == "int" else float(value)

    def describe(self) -> dict[str, Any]:
        """``{"type", "default"}``, and ``"min"`` / ``"max"`` for a number."""
        if self.kind == "bool":
            return {"type": "bool", "default": self.default}
        return {"type": self.kind, "default": self.default, "min": self.lo, "max": self.hi}


def _setting_of_default(default: Any) -> Setting:
    """The setting of a game that declares only ``default_settings`` (the bounds settings
    were once clamped to)."""
    if isinstance(default, bool):
        return Setting(default)
    return Setting(default, 1, 3600) if isinstance(default, int) else Setting(float(default), 0.0, 1e6)


class Game:
    """Base class of a game's rules. Subclasses set the class attributes and hooks."""

    #: Registry key, also used on the wire and in the database.
    name: ClassVar[str] = ""
    #: Human title for lobby lists.
    title: ClassVar[str] = ""
    min_players: ClassVar[int] = 1
    max_players: ClassVar[int] = 8
    #: Settings a host may change before start: {name: Setting}. A game declares this (or,
    #: the older way, only ``default_settings``: ints then range over 1..3600).
    settings_schema: ClassVar[dict[str, Setting]] = {}
    #: The settings' defaults, {name: default}; made from ``settings_schema``.
    default_settings: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "settings_schema" in cls.__dict__:
            cls.default_settings = {key: s.default for key, s in cls.settings_schema.items()}
        elif "default_settings" in cls.__dict__:
            cls.settings_schema = {key: _setting_of_default(v) for key, v in cls.default_settings.items()}

    def __init__(self, *, seed: int, players: list[PlayerInfo], settings: dict[str, Any]):
        self.seed = seed
        self.settings = {**self.default_settings, **settings}
        self.tick = 0
        self.finished = False

    @classmethod
    def clean_settings(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """Validate host-changed settings; return the cleaned dict or raise InvalidInput
        (an unknown key, a wrong type or a value out of range: nothing is clamped)."""
        out: dict[str, Any] = {}
        for key, value in settings.items():
            setting = cls.settings_schema.get(key)
            if setting is None:
                raise InvalidInput(f"unknown setting {key!r}; {cls.name} has " + (
                    ", ".join(cls.settings_schema) or "none"))
            out[key] = setting.clean(key, value)
        return out

    @classmethod
    def describe_settings(cls) -> dict[str, dict[str, Any]]:
        """Each setting's type, default and range, as GET /api/games publishes them."""
        return {key: setting.describe() for key, setting in cls.settings_schema.items()}

    @classmethod
    def parse_input(cls, payload: Any) -> Any:
        """Validate a client's input payload; return a cleaned value or raise InvalidInput.

        Called on the receiving side, outside the tick, so the tick only sees clean inputs.
        """
        raise NotImplementedError

    @classmethod
    def neutral_input(cls) -> Any:
        """The cleaned input of a player touching nothing (applied when their connection
        drops). By default what `parse_input` makes of an empty map."""
        return cls.parse_input({})

    def apply_input(self, player: int, cleaned: Any) -> None:
        """Apply one cleaned input of ``player``. Called by the tick, in arrival order."""
        raise NotImplementedError

    def remove_player(self, player: int) -> None:
        """Called when ``player`` leaves the match for good."""
        raise NotImplementedError

    def step(self, dt: float) -> list[Event]:
        """Advance by ``dt`` seconds; return the events of this step."""
        raise NotImplementedError

    def snapshot(self) -> Snapshot:
        """The visible state: ``{"g": {...}, "e": {entity_id: {...}}}``."""
        raise NotImplementedError

    def result(self) -> Result:
        """The outcome; meaningful once ``finished`` is true (or for an aborted match)."""
        raise NotImplementedError
