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


class Game:
    """Base class of a game's rules. Subclasses set the class attributes and hooks."""

    #: Registry key, also used on the wire and in the database.
    name: ClassVar[str] = ""
    #: Human title for lobby lists.
    title: ClassVar[str] = ""
    min_players: ClassVar[int] = 1
    max_players: ClassVar[int] = 8
    #: Settings a host may change before start, with defaults: {name: default}.
    default_settings: ClassVar[dict[str, Any]] = {}

    def __init__(self, *, seed: int, players: list[PlayerInfo], settings: dict[str, Any]):
        self.seed = seed
        self.settings = {**self.default_settings, **settings}
        self.tick = 0
        self.finished = False

    @classmethod
    def clean_settings(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """Validate host-changed settings; return the cleaned dict or raise InvalidInput."""
        out: dict[str, Any] = {}
        for key, value in settings.items():
            if key not in cls.default_settings:
                raise InvalidInput(f"unknown setting {key!r}")
            default = cls.default_settings[key]
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise InvalidInput(f"{key} must be a boolean")
                out[key] = value
            elif isinstance(default, int):
                out[key] = int(finite(value, lo=1, hi=3600, name=key))
            else:
                out[key] = finite(value, lo=0, hi=1e6, name=key)
        return out

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
