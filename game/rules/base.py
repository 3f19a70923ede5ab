"""The game interface every rules module implements: the whole contract between a game and
the engine, the browser and the tools. `manage.py startgame NAME` writes a game that keeps it
(docs/new-game.md walks through one).

A game is a subclass of `Game` in ``game/rules/<name>.py``, registered by one line in
``game/rules/__init__.py``; its browser module is ``frontend/src/games/<name>.js`` and its
optional bot ``game/bots/<name>.py`` (found by that name).

**Pure and deterministic.** The state is a function of the seed, the player list, the
settings and the ordered inputs applied between fixed `step(dt)` calls. A rules module
imports nothing from Django, Channels, asyncio, `time` or `random`; randomness comes from
the seeded `Rng` kept in the game's state. So a match can be replayed from its input log
(game/engine/replay.py), which is why a change of how a match plays bumps `rules_version`.

**The class declares** (class attributes, read without making a match):

- ``name`` (a lowercase identifier, `valid_name`: the registry key, the lobby's ``game``, the module
  names) and ``title`` (for people; ``titles``: in the site's other languages, docs/i18n.md);
  ``min_players`` / ``max_players``: the seats.
- ``rules_version``: an integer to bump whenever a change makes an old input log play
  differently; replays recorded under another version are refused instead of lying.
- ``settings_schema``: ``{key: Setting}``, what a host may change, each with its type,
  default and bounds. The lobby page builds its form from them (GET /api/games), the server
  refuses any other value (`clean_settings`), and the match gets them all in ``settings``.
- ``input_schema``: ``{key: Axis() | Number(lo, hi) | Flag()}``, the map a player sends each
  input tick (the ``d`` of an ``input`` frame). The default `parse_input` cleans a payload by
  it; a game may write its own `parse_input` (faster, or returning another type) that takes
  the same fields. A one-off input (a click on a cell) is an optional `Number` field.
- ``events``: ``{type: what it says}``, every event type `step` may return. The lobby's own
  event types (`ENGINE_EVENTS`: ``match_over``, ``joined``, ...) are not a game's to use;
  the engine announces the end of a match itself, from `finished` and `result`.

**The engine calls**, always from the lobby's tick, one call at a time (the process's scheduler
runs one lobby tick after another, game.engine.scheduler):

- ``Game(seed=..., players=..., settings=...)``: a new match, called when play starts.
- ``apply_input(player, cleaned)``: one cleaned input of one player; applied at the start
  of the tick after it arrived, in arrival order.
- ``remove_player(player)``: the player left for good during the match.
- ``step(dt)``: advance the simulation by exactly ``dt`` seconds (the tick period).
  Returns the events that happened during the step: ``{"type": ..., field: value}`` maps of
  msgpack-able values, shown to everyone (the browser module words them).
- ``snapshot()``: the whole visible state, made only of msgpack-able values, shaped as
  ``{"g": {global fields}, "e": {entity_id: {field: value}}}`` so the engine can compute
  deltas without knowing the game. **Each seated player is the entity** ``player_key(id)``
  (``"p<id>"``) with at least ``n`` (name) and ``s`` (score), while they play: the scores,
  colours, followed player, prediction of the own player and bots all find players so. A
  global ``t`` is read as the seconds left, ``sl`` as the score limit.
- ``finished`` / ``result()``: whether the match is over, and its outcome (`Result`:
  scores, ranking, winner or None for a draw, reason, shared places). The engine saves it,
  rates the players and announces ``match_over`` the tick ``finished`` turns true.

**Hidden information** (optional). A game whose players must not see everything defines
``view(seat)``: the snapshot as seated player ``seat`` sees it, or as spectators see it
(``seat=None``), in the same ``{"g", "e"}`` shape. Each player's socket then only ever gets
that player's view (full frames and deltas alike); spectators get the ``None`` view (late,
with the lobby's ``spectator_delay``), bots their own seat's view. ``snapshot()`` stays the
whole truth: replays show the spectators' view while the match plays and the whole
``snapshot()`` of its last tick (the reveal). Events are seen by everyone who watches: a
game keeps secrets out of them (or out of the events of the ``None`` view, by `view_events`).
A game that does not define ``view`` shares one view with everyone (game/engine/views.py).

**Turn-based play** (optional). A game with ``turn_based = True`` changes only when a move
comes or a timer of its own runs out: the engine sends no state frame while no view changed,
and the lobby's loop sleeps between moves (woken by a move, a command or a join, or at
``wake_in()``, the seconds until the game changes by itself: a turn timer, whose timeout
action is the rules' own, applied in ``step``). A global listed in ``volatile`` (a turn
clock counting down) changes on its own and is worth no frame: it rides on the next one.
A move the rules refuse raises `MoveRefused(reason)` from ``apply_input`` without changing
anything; the player gets an ``error`` frame with code ``move_refused`` and the reason (one
of the game's ``refusals``) as ``msg`` (docs/protocol.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from game.rules.fields import (  # noqa: F401  (a game imports everything it needs from here)
    MAX_INPUT_KEYS,
    Axis,
    Flag,
    InputField,
    InvalidInput,
    Number,
    Setting,
    clean_input,
    finite,
    setting_of_default,
)

#: The lobby's own event types: the engine sends them, a game's events never use them
#: (game/engine/lobby.py drops a game event of these types; tests/rules/test_contract.py
#: keeps the two lists equal).
ENGINE_EVENTS = frozenset({
    "joined", "left", "kicked", "banned", "host", "locked", "settings", "chat", "ready",
    "countdown", "match_start", "match_over", "lobby_closed", "away", "back",
})


#: Why a match may end whatever the game: the engine's reasons (an aborted match, a lobby
#: closed mid-match: ``lobby_<why>``, a cluster's move) and the ones any game may give
#: without declaring them. A game's other reasons are its ``reasons``; game/i18n.py words
#: these (tests/i18n/test_i18n_server.py keeps the two lists equal; docs/protocol.md).
SHARED_REASONS = frozenset({
    "score_limit", "time_up", "forfeit", "aborted", "lease_expired", "lease_lost", "handover", "owner_lost",
})


def shared_reason(reason: str) -> bool:
    """Whether ``reason`` is one every game may end with (`SHARED_REASONS`, ``lobby_<why>``)."""
    return reason in SHARED_REASONS or reason.startswith("lobby_")


def valid_name(name: str) -> bool:
    """Whether ``name`` may name a game: 2 to 24 lowercase ASCII letters, digits and
    underscores, starting with a letter (it names modules, URLs and database rows)."""
    return (2 <= len(name) <= 24 and name.isascii() and name.isidentifier() and name[0].isalpha()
            and name == name.lower())


def player_key(player: int) -> str:
    """The snapshot entity id of seated player ``player``: ``"p<id>"``."""
    return f"p{player}"


@dataclass(frozen=True)
class PlayerInfo:
    """A seated player as the rules see it: a small integer id and a display name."""

    id: int
    name: str


@dataclass(frozen=True)
class Result:
    """The outcome of a finished match.

    ``scores`` maps player id to score; ``ranking`` lists player ids best first;
    ``winner`` is None for a draw; ``reason`` names why the match ended: one of
    `SHARED_REASONS` (for example ``"score_limit"``, ``"time_up"``, ``"forfeit"``) or of the
    game's own ``reasons``. ``places`` maps player
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


class MoveRefused(Exception):
    """Raised by ``apply_input`` for a move the rules refuse (not the player's turn, a bid too
    low...): ``reason`` is a key of the game's ``refusals``. The game must not have changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Game:
    """Base class of a game's rules. Subclasses set the class attributes and the hooks; the
    module docstring says when the engine calls each."""

    #: Registry key (see `valid_name`), also used on the wire, in URLs and in the database.
    name: ClassVar[str] = ""
    #: Human title for lobby lists (English).
    title: ClassVar[str] = ""
    #: The title in the site's other languages (settings.LANGUAGES): {language code: title}.
    #: A language missing here shows ``title`` (tests/i18n/test_i18n_server.py wants them all).
    titles: ClassVar[dict[str, str]] = {}
    min_players: ClassVar[int] = 1
    max_players: ClassVar[int] = 8
    #: Bump when a change of the rules makes old input logs play differently: replays
    #: recorded with another version are refused (game/engine/replay.py).
    rules_version: ClassVar[int] = 0
    #: Settings a host may change before start: {name: Setting}. A game declares this (or,
    #: the older way, only ``default_settings``: ints then range over 1..3600).
    settings_schema: ClassVar[dict[str, Setting]] = {}
    #: The settings' defaults, {name: default}; made from ``settings_schema``.
    default_settings: ClassVar[dict[str, Any]] = {}
    #: The fields of a player's input: {key: Axis() | Number(lo, hi) | Flag()}.
    input_schema: ClassVar[dict[str, InputField]] = {}
    #: Every event type `step` returns: {type: what it says, naming its fields}. (A class
    #: attribute: an instance keeps the events of its step under another name.)
    events: ClassVar[dict[str, str]] = {}
    #: A game that changes only on moves and its own timers (see the module docstring).
    turn_based: ClassVar[bool] = False
    #: Globals that change by themselves (a turn clock): never worth a state frame alone.
    volatile: ClassVar[frozenset[str]] = frozenset()
    #: Why `apply_input` may refuse a move: {reason: what it means}, the ``msg`` of the
    #: ``move_refused`` error frame.
    refusals: ClassVar[dict[str, str]] = {}
    #: Why a match of this game may end besides `SHARED_REASONS` (a ``Result.reason`` of its
    #: own), with its words per language: {reason: {language code: words}}, English (``"en"``)
    #: and each of the site's other languages (settings.LANGUAGES), lowercase as a page puts
    #: them after the status ("finished · last one standing"). The match pages show them
    #: (game/i18n.py); the browser module has its own (``reason.<reason>`` in its MESSAGES).
    reasons: ClassVar[dict[str, dict[str, str]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "settings_schema" in cls.__dict__:
            cls.default_settings = {key: s.default for key, s in cls.settings_schema.items()}
        elif "default_settings" in cls.__dict__:
            cls.settings_schema = {key: setting_of_default(v) for key, v in cls.default_settings.items()}

    def __init__(self, *, seed: int, players: list[PlayerInfo], settings: dict[str, Any]):
        """A new match: ``players`` in seat order, ``settings`` cleaned (defaults filled in
        here). Called when play starts."""
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
    def describe_input(cls) -> dict[str, dict[str, Any]]:
        """Each input field's type, range and default, as GET /api/games publishes them."""
        return {key: field.describe() for key, field in cls.input_schema.items()}

    @classmethod
    def parse_input(cls, payload: Any) -> Any:
        """Validate a client's input payload; return a cleaned value or raise InvalidInput.
        Called on the receiving side, outside the tick, so the tick only sees clean inputs;
        the cleaned value is what a replay logs, so it is msgpack-able.

        By default: a map with every field of ``input_schema`` (`clean_input`)."""
        if not cls.input_schema:
            raise NotImplementedError(f"{cls.__name__} declares no input_schema")
        return clean_input(cls.name, cls.input_schema, payload)

    @classmethod
    def neutral_input(cls) -> Any:
        """The cleaned input of a player touching nothing (applied when their connection
        drops). By default what `parse_input` makes of an empty map."""
        return cls.parse_input({})

    def apply_input(self, player: int, cleaned: Any) -> None:
        """Apply one cleaned input of ``player``. Called by the tick, in arrival order,
        before the step; an input of a player not (or no longer) playing is ignored."""
        raise NotImplementedError

    def remove_player(self, player: int) -> None:
        """Called when ``player`` leaves the match for good: their entity goes, their score
        stays in the result. A game that cannot go on without them sets ``finished``."""
        raise NotImplementedError

    def step(self, dt: float) -> list[Event]:
        """Advance by ``dt`` seconds; return the events of this step (types of ``events``).
        A finished game no longer changes and returns no events."""
        raise NotImplementedError

    def snapshot(self) -> Snapshot:
        """The visible state: ``{"g": {...}, "e": {entity_id: {...}}}``, players as
        ``player_key(id)`` entities with ``n`` and ``s``."""
        raise NotImplementedError

    @classmethod
    def has_views(cls) -> bool:
        """Whether players see different things (the class defines `view`)."""
        return cls.view is not Game.view

    def view(self, seat: int | None) -> Snapshot:
        """The snapshot as seated player ``seat`` sees it; ``None``: as spectators see it.
        By default everyone sees the whole `snapshot`."""
        return self.snapshot()

    def view_events(self, events: list[Event], seat: int | None) -> list[Event]:
        """The step's events as ``seat`` (``None``: spectators) may see them; by default all."""
        return events

    def skip(self, steps: int, dt: float) -> list[Event]:
        """``steps`` steps in which no input came (a turn-based game's loop rested through
        them): the events of them all. It must leave the game exactly as ``steps`` calls of
        `step` would (a replay steps one by one); by default it makes those calls. A game
        whose quiet steps only count a clock down does it at once."""
        events: list[Event] = []
        for _ in range(steps):
            if self.finished:
                break
            events += self.step(dt)
        return events

    def wake_in(self) -> float | None:
        """A turn-based game: the seconds until it changes by itself (its turn timer runs
        out), or None while it only waits for a move."""
        return None

    def result(self) -> Result:
        """The outcome; meaningful once ``finished`` is true (or for an aborted match, whose
        reason is then ``"aborted"``)."""
        raise NotImplementedError
