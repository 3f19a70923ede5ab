"""What every bot policy shares: the difficulty levels, the policy interface, and the
bot's memory of what it saw (which is how its reaction delay works).

A policy is pure and deterministic, like the rules it plays: it imports nothing from
Django, Channels, asyncio, `time` or `random`; its randomness comes from the seeded `Rng`
it is given. The same seed and the same snapshots give the same inputs.

A policy sees only what a client sees: the game's public snapshot (``Game.snapshot()``),
and answers with a raw input payload, exactly what a browser would send as ``d`` in an
``input`` frame. The engine runs that payload through the game's ``parse_input`` and queues
it like a person's input.

Difficulty changes behaviour, not a label. Every level has a reaction delay (the bot acts
on the world as it was that long ago), a decision rate (between decisions it holds its
last input, as a person holds keys), and game-specific skills: aim error, leading a moving
target, foreseeing bounces, dodging, seeking health. The levels live in each game's
``SKILLS`` table.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar, Protocol

from game.rules.base import Rng, Snapshot, player_key

DIFFICULTIES: tuple[str, ...] = ("easy", "normal", "hard")
DEFAULT_DIFFICULTY = "normal"


class Skill(Protocol):
    """What the shared machinery reads from a difficulty level; games add their own fields."""

    reaction_s: float  # how old the world the bot reacts to is
    decide_every_s: float  # how often it re-plans; between plans it holds its input


class Policy:
    """One bot's brain for one match. Subclasses set ``game`` and ``SKILLS`` and implement
    `decide`; the engine calls `act` once per tick with the newest snapshot."""

    #: The game's registry name.
    game: ClassVar[str] = ""
    #: difficulty -> that level's skills (a frozen dataclass implementing `Skill`).
    SKILLS: ClassVar[dict[str, Any]] = {}

    def __init__(self, *, member_id: int, difficulty: str, rng: Rng, tick_rate_hz: int = 20) -> None:
        if difficulty not in DIFFICULTIES:
            raise ValueError(f"unknown bot difficulty {difficulty!r}")
        self.member_id = member_id
        self.me_key = player_key(member_id)  # the bot's entity in the snapshot
        self.difficulty = difficulty
        self.skill = self.SKILLS[difficulty]
        self.rng = rng
        self.dt = 1.0 / tick_rate_hz
        self.reaction_ticks = max(0, round(self.skill.reaction_s * tick_rate_hz))
        self.decide_ticks = max(1, round(self.skill.decide_every_s * tick_rate_hz))
        # The last reaction_ticks + 2 snapshots: the perceived one and the one before it
        # (to tell how things move). Only references: snapshots are never changed after.
        self.seen: deque[Snapshot] = deque(maxlen=self.reaction_ticks + 2)
        self.ticks = 0
        self.held: dict[str, Any] = self.idle()

    def act(self, snapshot: Snapshot) -> dict[str, Any]:
        """Called once per tick with the newest snapshot the bot may see; returns the raw
        input to hold from now on (a new dict on decision ticks, the held one otherwise)."""
        self.seen.append(snapshot)
        if self.ticks % self.decide_ticks == 0:
            self.held = self.decide(snapshot)
        self.ticks += 1
        return self.held

    def perceived(self, older: int = 0) -> Snapshot:
        """The snapshot of ``reaction_ticks + older`` ticks ago (the oldest kept, early on)."""
        index = len(self.seen) - 1 - self.reaction_ticks - older
        return self.seen[max(0, index)]

    def decide(self, now: Snapshot) -> dict[str, Any]:
        """Plan: return the raw input to hold until the next decision. ``now`` is the newest
        snapshot (the bot knows where it is itself); others are read from `perceived`."""
        raise NotImplementedError

    def idle(self) -> dict[str, Any]:
        """The input of a bot touching nothing."""
        return {}

    def jitter(self, spread: float) -> float:
        """A random error in [-spread, spread], more often small than large (triangular)."""
        return (self.rng.random() + self.rng.random() - 1.0) * spread


def clamp(value: float, lo: float, hi: float) -> float:
    return max(lo, min(value, hi))
