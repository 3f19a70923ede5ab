"""Bot policies: server-side players for the games in `game.rules`, one policy per game.

Pure like the rules (no Django, Channels, asyncio, `time` or `random`): a policy reads a
game's public snapshot and answers with a raw input payload (see `game.bots.base`). The
engine seats and drives bots (`game.engine.bots`); this package only decides what a bot
presses. Adding bots to a game = one policy module + one line in `POLICIES`.
"""

from __future__ import annotations

from game.bots.arena import ArenaBot
from game.bots.base import DEFAULT_DIFFICULTY, DIFFICULTIES, Policy
from game.bots.pong import PongBot
from game.rules.base import Rng

#: game name -> its bot policy.
POLICIES: dict[str, type[Policy]] = {cls.game: cls for cls in (ArenaBot, PongBot)}

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
