"""The game registry. Adding a game = one rules module + one `register` line at the bottom
(`manage.py startgame NAME` writes both; docs/new-game.md).

Everything else finds a game here by its name: the lobby API and page (`game_catalog`), the
browser, which loads ``frontend/src/games/<name>.js`` for each registered game (the page
lists them: game/templatetags/games.py), the bots (``game/bots/<name>.py``, when there is
one), replays, ratings and matchmaking.

Rules modules are pure (see `game.rules.base`): they import nothing from this registry,
so it can import them up front.
"""

from __future__ import annotations

from typing import Any

from game.rules import arena, liars_dice, pong
from game.rules.base import ENGINE_EVENTS, Game, shared_reason, valid_name

GAMES: dict[str, type[Game]] = {}


def register(cls: type[Game]) -> type[Game]:
    """Make a rules class available by its ``name``; usable as a class decorator.

    Raises ValueError for a class whose name is missing or not a `valid_name`, for a name
    another class holds already (registering the same class twice is harmless), and for
    declared ``events`` that use the lobby's own event types, or ``reasons`` that are shared
    ones (their words are the site's) or lack English words."""
    if not cls.name or not valid_name(cls.name):
        raise ValueError(f"{cls.__name__} needs a name of 2-24 lowercase letters, digits and _ (has {cls.name!r})")
    if cls.name in GAMES and GAMES[cls.name] is not cls:
        raise ValueError(f"a game named {cls.name!r} is registered already")
    taken = sorted(set(cls.events) & ENGINE_EVENTS)
    if taken:
        raise ValueError(f"{cls.__name__} declares events the lobby sends itself: {', '.join(taken)}")
    bad = sorted(r for r, words in cls.reasons.items() if shared_reason(r) or not words.get("en"))
    if bad:
        raise ValueError(f"{cls.__name__} declares reasons that are shared or lack English words: {', '.join(bad)}")
    GAMES[cls.name] = cls
    return cls


def get_game(name: str) -> type[Game]:
    """The rules class registered as ``name``; KeyError when there is none."""
    return GAMES[name]


def default_game() -> str:
    """The game a lobby plays when its creator names none: the first registered."""
    return next(iter(GAMES))


def game_catalog() -> list[dict[str, Any]]:
    """What lobby-creation pages need to know of each game, in registration order:
    name, title, min_players, max_players and default_settings (a copy)."""
    return [{"name": cls.name, "title": cls.title, "min_players": cls.min_players,
             "max_players": cls.max_players, "default_settings": dict(cls.default_settings)}
            for cls in GAMES.values()]


register(arena.Arena)
register(pong.Pong)
register(liars_dice.LiarsDice)
