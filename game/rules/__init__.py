"""The game registry. Adding a game = one rules module + one `register` line below."""

from __future__ import annotations

from typing import Any

from game.rules.base import Game

GAMES: dict[str, type[Game]] = {}


def register(cls: type[Game]) -> type[Game]:
    """Make a rules class available by its ``name`` (usable as a class decorator)."""
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
    """What lobby-creation pages need to know of each game."""
    return [{"name": cls.name, "title": cls.title, "min_players": cls.min_players,
             "max_players": cls.max_players, "default_settings": dict(cls.default_settings)}
            for cls in GAMES.values()]


from game.rules import arena, pong  # noqa: E402  (the modules register themselves)

register(arena.Arena)
register(pong.Pong)
