"""The game registry. Adding a game = one rules module + one `register` line below.

Rules modules are pure (see `game.rules.base`): they import nothing from this registry,
so it can import them up front.
"""

from __future__ import annotations

from typing import Any

from game.rules import arena, pong
from game.rules.base import Game

GAMES: dict[str, type[Game]] = {}


def register(cls: type[Game]) -> type[Game]:
    """Make a rules class available by its ``name``; usable as a class decorator.

    Raises ValueError for a class without a name, or for a name another class holds
    already (registering the same class twice is harmless)."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in GAMES and GAMES[cls.name] is not cls:
        raise ValueError(f"a game named {cls.name!r} is registered already")
    GAMES[cls.name] = cls
    return cls


def get_game(name: str) -> type[Game]:
    """The rules class registered as ``name``; KeyError when there is none."""
    return GAMES[name]


def game_catalog() -> list[dict[str, Any]]:
    """What lobby-creation pages need to know of each game, in registration order:
    name, title, min_players, max_players and default_settings (a copy)."""
    return [{"name": cls.name, "title": cls.title, "min_players": cls.min_players,
             "max_players": cls.max_players, "default_settings": dict(cls.default_settings)}
            for cls in GAMES.values()]


register(arena.Arena)
register(pong.Pong)
