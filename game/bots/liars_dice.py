"""The Liar's Dice bot: it sees its own dice only (its seat's view) and reckons the rest.

On its turn, after a think time, it weighs the last bid: its own dice that count for the bid's
face, plus what the unseen dice are expected to hold (a third of them with wild ones, a sixth
without). A bid above that expectation by more than its nerve allows is called; otherwise it
raises, on the face it holds most of, by the least it can. Difficulty changes the nerve, how
often it bluffs a face it does not hold, and how long it thinks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from game.bots.base import Policy
from game.rules.base import Snapshot

FACES = 6


@dataclass(frozen=True)
class DiceSkill:
    reaction_s: float
    decide_every_s: float
    think_s: float  # how long it waits on its turn before moving
    nerve: float  # how far above the expected count a bid may be before it calls
    bluff: float  # how often it raises on a random face instead of its best


class DicePolicy(Policy):
    game = "liars_dice"
    SKILLS: ClassVar[dict[str, Any]] = {
        "easy": DiceSkill(reaction_s=0.0, decide_every_s=0.05, think_s=2.5, nerve=0.0, bluff=0.35),
        "normal": DiceSkill(reaction_s=0.0, decide_every_s=0.05, think_s=1.5, nerve=2.0, bluff=0.2),
        "hard": DiceSkill(reaction_s=0.0, decide_every_s=0.05, think_s=1.0, nerve=1.0, bluff=0.15),
    }

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.waited = 0.0  # seconds on this turn so far
        self.turn_key: tuple | None = None

    def decide(self, now: Snapshot) -> dict[str, Any]:
        g = now.get("g", {})
        me = now.get("e", {}).get(self.me_key)
        key = (g.get("rd"), g.get("bq"), g.get("bf"), g.get("tu"))
        if me is None or g.get("tu") != self.member_id or "rv" in g or not me.get("d"):
            self.turn_key = None
            return {}
        if key != self.turn_key:  # a new turn of ours: start thinking
            self.turn_key, self.waited = key, 0.0
        self.waited += self.skill.decide_every_s
        if self.waited < self.skill.think_s:
            return {}
        self.turn_key = ("moved", *key)  # one move per turn
        return self.move(g, me["d"])

    def move(self, g: dict[str, Any], dice: list[int]) -> dict[str, Any]:
        wild = bool(g.get("wo", True))
        total = int(g.get("tot", len(dice)))
        unseen = total - len(dice)
        bq, bf = int(g.get("bq", 0)), int(g.get("bf", 0))

        def expected(face: int) -> float:
            own = sum(1 for d in dice if d == face or (wild and face != 1 and d == 1))
            share = (1 / 3 if wild and face != 1 else 1 / 6)
            return own + unseen * share

        if bq and bq > expected(bf) + self.skill.nerve:
            return {"call": True}
        faces = range(1, FACES + 1)
        face = max(faces, key=lambda f: (expected(f), f))
        if self.rng.random() < self.skill.bluff:
            face = self.rng.randint(1, FACES)
        q = bq if face > bf else bq + 1
        q = max(q, 1)
        if q > total or (bq and q > expected(face) + self.skill.nerve + 1):
            return {"call": True} if bq else {"bq": 1, "bf": face}
        return {"bq": q, "bf": face}
