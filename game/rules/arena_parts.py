"""Arena's values: the cleaned input (`Controls`), a seated player (`Fighter`), a bullet
(`Bullet`) and where a snapshot's bullet is (`bullet_at`). Plain data with no rules of its
own; the rules that change it are in game/rules/arena.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from game.rules.base import PlayerInfo, player_key

MAX_HP = 100
PROTECTION_S = 1.5  # s of protection after a (re)spawn, which firing ends


class Controls(NamedTuple):
    """A cleaned arena input: held direction (each in [-1, 1]), aim in (-pi, pi], trigger."""

    mx: float
    my: float
    aim: float
    fire: bool


NEUTRAL = Controls(0.0, 0.0, 0.0, False)
_new_controls = tuple.__new__  # Controls(...) without the named tuple's Python-level __new__


@dataclass
class Fighter:
    """One seated player's state. ``left`` players keep their score for the result."""

    info: PlayerInfo
    x: float
    y: float
    controls: Controls = NEUTRAL
    fire_latch: bool = False  # a fire=True seen in any input since the last step
    hp: int = MAX_HP
    score: int = 0
    kills: int = 0
    deaths: int = 0
    alive: bool = True
    respawn_in: float = 0.0
    protected_for: float = PROTECTION_S
    cooldown: float = 0.0
    left: bool = False
    key: str = field(default="", compare=False, repr=False)  # its snapshot entry's id, "p<id>"

    def __post_init__(self) -> None:
        self.key = player_key(self.info.id)


@dataclass
class Bullet:
    id: int
    owner: int
    x: float
    y: float
    vx: float
    vy: float
    life: float
    # Its snapshot entry, made once: a bullet flies straight, so where it was at one step and
    # its velocity say where it is at any other (`bullet_at`); deltas then never carry it.
    view: dict[str, Any] | None = field(default=None, compare=False, repr=False)


def bullet_at(bullet: dict[str, Any], g: dict[str, Any]) -> tuple[float, float]:
    """Where a snapshot's bullet entry is at that snapshot's step ``g["n"]``: it was at
    (``x``, ``y``) at step ``t`` and flies ``vx``, ``vy`` px/s, ``g["dt"]`` seconds a step.
    (The browser does the same in frontend/src/games/arena.js.)"""
    age = max(0, g["n"] - bullet["t"]) * g["dt"] if "t" in bullet else 0.0
    return bullet["x"] + bullet["vx"] * age, bullet["y"] + bullet["vy"] * age
