"""Validation of the lobby settings a host may change before a match."""

from __future__ import annotations

from typing import Any

from game.bots import DEFAULT_DIFFICULTY, DIFFICULTIES, has_policy
from game.engine.delayed import MAX_DELAY_S
from game.engine.errors import CommandError
from game.protocol import clean_text
from game.rules.base import Game, InvalidInput

MIN_TICK_RATE, MAX_TICK_RATE = 10, 60
DEFAULT_TICK_RATE = 20
#: ``broadcast_rate``: state frames per second, 0 (the default) for one each tick; otherwise
#: at least this and a divisor of the tick rate, so that every k-th step is broadcast.
MIN_BROADCAST_RATE = 5
MAX_LOBBY_NAME_CHARS = 40
#: The engine's settings kept in ``lobby.settings`` beside the game's own, with their
#: defaults; never handed to the game.
ENGINE_DEFAULTS: dict[str, Any] = {"bots": 0, "bot_difficulty": DEFAULT_DIFFICULTY, "spectator_delay": 0,
                                   "broadcast_rate": 0}
ENGINE_SETTINGS = tuple(ENGINE_DEFAULTS)


def broadcast_every(tick_rate_hz: int, settings: dict[str, Any]) -> int:
    """How many simulation steps make one broadcast: state frames go out every k-th step."""
    rate = settings.get("broadcast_rate", 0)
    return tick_rate_hz // rate if 0 < rate <= tick_rate_hz else 1


def broadcast_rate_hz(tick_rate_hz: int, settings: dict[str, Any]) -> int | float:
    """State frames per second (the rate clients interpolate between): a whole number for
    every rate the settings take."""
    every = broadcast_every(tick_rate_hz, settings)
    return tick_rate_hz // every if tick_rate_hz % every == 0 else tick_rate_hz / every


def game_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The game's own settings out of a lobby's ``settings`` (the engine's left out)."""
    return {k: v for k, v in settings.items() if k not in ENGINE_SETTINGS}


def effective_settings(game_cls: type[Game], settings: dict[str, Any]) -> dict[str, Any]:
    """A lobby's ``settings`` as clients see them: every setting, the defaults merged in."""
    return {**ENGINE_DEFAULTS, **game_cls.default_settings, **settings}


def lobby_settings_schema(game_cls: type[Game]) -> dict[str, dict[str, Any]]:
    """The lobby's own settings (the ``settings`` command's keys beside the game's), each
    with its type, default and bounds, as GET /api/games publishes them for ``game_cls``."""
    seats = {"type": "int", "min": game_cls.min_players, "max": game_cls.max_players}
    return {
        "name": {"type": "str", "default": f"{game_cls.title} lobby", "min_length": 1,
                 "max_length": MAX_LOBBY_NAME_CHARS},
        "max_players": {**seats, "default": game_cls.max_players},
        "private": {"type": "bool", "default": False},
        "tick_rate": {"type": "int", "default": DEFAULT_TICK_RATE, "min": MIN_TICK_RATE, "max": MAX_TICK_RATE},
        "bots": {"type": "int", "default": 0, "min": 0,  # and at most the seats people leave free
                 "max": game_cls.max_players if has_policy(game_cls.name) else 0},
        "bot_difficulty": {"type": "enum", "default": DEFAULT_DIFFICULTY, "choices": list(DIFFICULTIES)},
        "spectator_delay": {"type": "int", "default": 0, "min": 0, "max": MAX_DELAY_S},
        "broadcast_rate": {"type": "int", "default": 0, "min": 0, "max": MAX_TICK_RATE},  # 0 or 5+ dividing tick_rate
    }


def clean_lobby_settings(settings: dict[str, Any], *, game_cls: type[Game], max_players: int,
                         humans: int, tick_rate_hz: int = DEFAULT_TICK_RATE,
                         broadcast_rate: int = 0) -> dict[str, Any]:
    """Validate a host's settings change to a lobby of ``game_cls`` with ``max_players`` seats,
    ``humans`` of them taken by people, ticking at ``tick_rate_hz`` and broadcasting at
    ``broadcast_rate`` (0: every tick); returns {attribute or game setting: value}."""
    lobby_keys = {"name": _clean_name, "max_players": _clean_max_players,
                  "private": _clean_private, "tick_rate": _clean_tick_rate,
                  "bots": _clean_bots, "bot_difficulty": _clean_bot_difficulty,
                  "spectator_delay": _clean_spectator_delay, "broadcast_rate": _clean_broadcast_rate}
    out: dict[str, Any] = {}
    game_settings = {}
    for key, value in settings.items():
        if key in lobby_keys:
            attr, cleaned = lobby_keys[key](value, game_cls, humans)
            out[attr] = cleaned
        else:
            game_settings[key] = value
    if "bots" in out:  # checked against the seat count this change leaves
        free = out.get("max_players", max_players) - humans
        if out["bots"] > free:
            raise CommandError("bad_field", f"bots must be in [0, {max(0, free)}] (the seats people leave free)")
    _check_rates(out.get("tick_rate_hz", tick_rate_hz), out.get("broadcast_rate", broadcast_rate))
    try:
        out.update(game_cls.clean_settings(game_settings))
    except InvalidInput as exc:
        raise CommandError("bad_field", str(exc)) from None
    return out


# Each takes (value, the lobby's game, the people seated) and returns (attribute, clean value).
def _clean_name(value: Any, game_cls: type[Game], humans: int) -> tuple[str, str]:
    name = clean_text(value) if isinstance(value, str) else ""
    if not 1 <= len(name) <= MAX_LOBBY_NAME_CHARS:
        raise CommandError("bad_field", f"name must hold 1 to {MAX_LOBBY_NAME_CHARS} characters")
    return "name", name

def _clean_max_players(value: Any, game_cls: type[Game], humans: int) -> tuple[str, int]:
    lo = max(game_cls.min_players, humans)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= game_cls.max_players:
        raise CommandError("bad_field", f"max_players must be in [{lo}, {game_cls.max_players}]")
    return "max_players", value

def _clean_private(value: Any, game_cls: type[Game], humans: int) -> tuple[str, bool]:
    if not isinstance(value, bool):
        raise CommandError("bad_field", "private must be a boolean")
    return "private", value

def _clean_tick_rate(value: Any, game_cls: type[Game], humans: int) -> tuple[str, int]:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_TICK_RATE <= value <= MAX_TICK_RATE:
        raise CommandError("bad_field", f"tick_rate must be in [{MIN_TICK_RATE}, {MAX_TICK_RATE}]")
    return "tick_rate_hz", value

def _clean_bots(value: Any, game_cls: type[Game], humans: int) -> tuple[str, int]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CommandError("bad_field", "bots must be a whole number, 0 or more")
    if value and not has_policy(game_cls.name):
        raise CommandError("bad_field", f"{game_cls.title} has no bots")
    return "bots", value

def _clean_bot_difficulty(value: Any, game_cls: type[Game], humans: int) -> tuple[str, str]:
    if value not in DIFFICULTIES:
        raise CommandError("bad_field", "bot_difficulty must be one of " + ", ".join(DIFFICULTIES))
    return "bot_difficulty", value

def _clean_spectator_delay(value: Any, game_cls: type[Game], humans: int) -> tuple[str, int]:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DELAY_S:
        raise CommandError("bad_field", f"spectator_delay must be whole seconds in [0, {MAX_DELAY_S}]")
    return "spectator_delay", value

def _clean_broadcast_rate(value: Any, game_cls: type[Game], humans: int) -> tuple[str, int]:
    if isinstance(value, bool) or not isinstance(value, int) or not (
            value == 0 or MIN_BROADCAST_RATE <= value <= MAX_TICK_RATE):
        raise CommandError("bad_field", f"broadcast_rate must be 0 (every tick) or in "
                                        f"[{MIN_BROADCAST_RATE}, {MAX_TICK_RATE}]")
    return "broadcast_rate", value

def _check_rates(tick_rate_hz: int, broadcast_rate: int) -> None:
    """A broadcast rate must divide the tick rate (checked against the change's rates, or the
    lobby's where the change leaves one as it is)."""
    if broadcast_rate and (broadcast_rate > tick_rate_hz or tick_rate_hz % broadcast_rate):
        raise CommandError("bad_field", f"broadcast_rate {broadcast_rate} must divide tick_rate {tick_rate_hz} "
                                        "(send both, or broadcast_rate 0 for every tick)")
