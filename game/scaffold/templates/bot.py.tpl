"""The {{ title }} bot: head for the star, as it saw it a moment ago.

Found by its file's name (game/bots/__init__.py). Like a person, it acts on the snapshot a
little late (``reaction_s``), re-plans now and then (``decide_every_s``) and holds its keys in
between; an easy bot also wobbles off its heading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from game.bots.base import Policy
from game.rules.base import Snapshot


@dataclass(frozen=True)
class {{ Class }}Skill:
    reaction_s: float
    decide_every_s: float
    wobble: float  # radians: the most its heading is off (drawn each decision)


class {{ Class }}Bot(Policy):
    """A {{ title }} player. See the module docstring."""

    game = "{{ name }}"
    SKILLS: ClassVar[dict[str, {{ Class }}Skill]] = {
        "easy": {{ Class }}Skill(reaction_s=0.4, decide_every_s=0.3, wobble=0.6),
        "normal": {{ Class }}Skill(reaction_s=0.2, decide_every_s=0.15, wobble=0.25),
        "hard": {{ Class }}Skill(reaction_s=0.0, decide_every_s=0.05, wobble=0.0),
    }

    def idle(self) -> dict[str, Any]:
        return {"mx": 0.0, "my": 0.0}

    def decide(self, now: Snapshot) -> dict[str, Any]:
        me = now["e"].get(self.me_key)
        star = self.perceived()["e"].get("star")
        if me is None or star is None:
            return self.idle()
        dx, dy = star["x"] - me["x"], star["y"] - me["y"]
        if math.hypot(dx, dy) < 2.0:
            return self.idle()
        heading = math.atan2(dy, dx) + self.jitter(self.skill.wobble)
        return {"mx": round(math.cos(heading), 3), "my": round(math.sin(heading), 3)}
