"""Validation of the lobby settings a host may change before a match."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from game.bots import DIFFICULTIES, has_policy
from game.engine.delayed import MAX_DELAY_S
from game.engine.errors import CommandError
from game.protocol import clean_text
from game.rules.base import InvalidInput

if TYPE_CHECKING:
    from game.engine.lobby import Lobby

MIN_TICK_RATE, MAX_TICK_RATE = 10, 60
#: The engine's settings kept in ``lobby.settings`` beside the game's own; never handed to the game.
ENGINE_SETTINGS = ("bots", "bot_difficulty", "spectator_delay")


def game_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The game's own settings out of a lobby's ``settings`` (the engine's left out)."""
    return {k: v for k, v in settings.items() if k not in ENGINE_SETTINGS}


def clean_lobby_settings(lobby: Lobby, settings: dict[str, Any]) -> dict[str, Any]:
    """Validate a host's settings change; returns {attribute or game setting: value}."""
    lobby_keys = {"name": _clean_name, "max_players": _clean_max_players,
                  "private": _clean_private, "tick_rate": _clean_tick_rate,
                  "bots": _clean_bots, "bot_difficulty": _clean_bot_difficulty,
                  "spectator_delay": _clean_spectator_delay}
    out: dict[str, Any] = {}
    game_settings = {}
    for key, value in settings.items():
        if key in lobby_keys:
            attr, cleaned = lobby_keys[key](lobby, value)
            out[attr] = cleaned
        else:
            game_settings[key] = value
    if "bots" in out:  # checked against the seat count this change leaves
        free = out.get("max_players", lobby.max_players) - len(lobby.humans())
        if out["bots"] > free:
            raise CommandError("bad_field", f"bots must be in [0, {max(0, free)}] (the seats people leave free)")
    try:
        out.update(lobby.game_cls.clean_settings(game_settings))
    except InvalidInput as exc:
        raise CommandError("bad_field", str(exc)) from None
    return out

def _clean_name(lobby: Lobby, value: Any) -> tuple[str, str]:
    name = clean_text(value) if isinstance(value, str) else ""
    if not 1 <= len(name) <= 40:
        raise CommandError("bad_field", "name must hold 1 to 40 characters")
    return "name", name

def _clean_max_players(lobby: Lobby, value: Any) -> tuple[str, int]:
    lo = max(lobby.game_cls.min_players, len(lobby.humans()))
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= lobby.game_cls.max_players:
        raise CommandError("bad_field", f"max_players must be in [{lo}, {lobby.game_cls.max_players}]")
    return "max_players", value

def _clean_private(lobby: Lobby, value: Any) -> tuple[str, bool]:
    if not isinstance(value, bool):
        raise CommandError("bad_field", "private must be a boolean")
    return "private", value

def _clean_tick_rate(lobby: Lobby, value: Any) -> tuple[str, int]:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_TICK_RATE <= value <= MAX_TICK_RATE:
        raise CommandError("bad_field", f"tick_rate must be in [{MIN_TICK_RATE}, {MAX_TICK_RATE}]")
    return "tick_rate_hz", value

def _clean_bots(lobby: Lobby, value: Any) -> tuple[str, int]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CommandError("bad_field", "bots must be a whole number, 0 or more")
    if value and not has_policy(lobby.game_cls.name):
        raise CommandError("bad_field", f"{lobby.game_cls.title} has no bots")
    return "bots", value

def _clean_bot_difficulty(lobby: Lobby, value: Any) -> tuple[str, str]:
    if value not in DIFFICULTIES:
        raise CommandError("bad_field", "bot_difficulty must be one of " + ", ".join(DIFFICULTIES))
    return "bot_difficulty", value

def _clean_spectator_delay(lobby: Lobby, value: Any) -> tuple[str, int]:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DELAY_S:
        raise CommandError("bad_field", f"spectator_delay must be whole seconds in [0, {MAX_DELAY_S}]")
    return "spectator_delay", value
