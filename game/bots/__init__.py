"""Bot policies: server-side players for the games in `game.rules`, one policy per game.

Pure like the rules (no Django, Channels, asyncio, `time` or `random`): a policy reads a
game's public snapshot and answers with a raw input payload (see `game.bots.base`). The
engine seats and drives bots (`game.engine.bots`); this package only decides what a bot
presses. Adding bots to a game = one module ``game/bots/<game name>.py`` holding its
`Policy` subclass: it is found by that name, for every registered game.
"""

from __future__ import annotations

import importlib

from game.bots.base import DEFAULT_DIFFICULTY, DIFFICULTIES, Policy
from game.rules import GAMES
from game.rules.base import Rng


def _find_policies() -> dict[str, type[Policy]]:
    """The policy of each registered game that has a module here: the `Policy` subclass
    whose ``game`` is its name. A game without a module has no bots."""
    found: dict[str, type[Policy]] = {}
    for name in GAMES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise  # the module exists and fails to import: a bug to see
            continue
        policies = [v for v in vars(module).values()
                    if isinstance(v, type) and issubclass(v, Policy) and v.game == name]
        if len(policies) != 1:
            raise ImportError(f"{module.__name__} should hold one Policy subclass with game = {name!r}")
        found[name] = policies[0]
    return found


#: game name -> its bot policy.
POLICIES: dict[str, type[Policy]] = _find_policies()

#: Every bot's identity starts so; people's are "u:<user id>" or "g:<guest key>".
BOT_IDENTITY_PREFIX = "bot:"


def has_policy(game: str) -> bool:
    """Whether bots can play ``game``."""
    return game in POLICIES


def make_policy(game: str, *, member_id: int, difficulty: str, rng: Rng, tick_rate_hz: int) -> Policy:
    """A new bot brain for one match of ``game``; KeyError when the game has no bots,
    ValueError for an unknown difficulty."""
    return POLICIES[game](member_id=member_id, difficulty=difficulty, rng=rng, tick_rate_hz=tick_rate_hz)


def bot_identity(lobby_code: str, n: int) -> str:
    """The identity of bot number ``n`` of a lobby: ``bot:<lobby code>:<n>``."""
    return f"{BOT_IDENTITY_PREFIX}{lobby_code}:{n}"


def is_bot_identity(identity: str) -> bool:
    return identity.startswith(BOT_IDENTITY_PREFIX)


def bot_name(n: int, difficulty: str) -> str:
    """The display name of bot number ``n``: ``Bot 1 (hard)``."""
    return f"Bot {n} ({difficulty})"


__all__ = ["BOT_IDENTITY_PREFIX", "DEFAULT_DIFFICULTY", "DIFFICULTIES", "POLICIES", "Policy", "bot_identity",
           "bot_name", "has_policy", "is_bot_identity", "make_policy"]
