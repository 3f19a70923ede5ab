"""The Pong bot: move the paddle to where the ball will cross its goal line.

While the ball comes toward it, the bot predicts where it meets the paddle's face from
the ball's position and velocity, folding the path at the top and bottom walls if its
level foresees bounces. Each approach it draws an error (how far off its guess is) and,
from normal up, picks an offset from the paddle's centre: the farther from the centre the
ball meets the paddle, the steeper it leaves, so a hard bot angles returns away from the
opponent. While the ball moves away it recentres (or, when easy, stays where it is).

The paddle input is proportional: the direction that would reach the target by the next
decision, capped at the level's top speed, so slow deciders do not overshoot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from game.bots.base import Policy, clamp
from game.rules.base import Rng, Snapshot
from game.rules.pong import BALL_RADIUS, BALL_SPEED, HEIGHT, PADDLE_H, PADDLE_MARGIN, PADDLE_SPEED, PADDLE_W, WIDTH

HALF = PADDLE_H / 2
# Where the ball's centre is when it meets each paddle's face (side 0 left, 1 right).
FACE_X = (PADDLE_MARGIN + PADDLE_W + BALL_RADIUS, WIDTH - PADDLE_MARGIN - PADDLE_W - BALL_RADIUS)
DEAD_ZONE = 1.5  # px: close enough, hold still


@dataclass(frozen=True)
class PongSkill:
    reaction_s: float
    decide_every_s: float
    error_px: float  # the most its guess of where a served ball arrives is off (drawn per approach)
    bounces: bool  # foresees bounces off the top and bottom walls (else learns of them late)
    angle: float  # 0..1 of the half paddle: how far off centre it meets the ball to angle returns
    aims: bool  # angles returns away from the opponent (else in a random direction)
    max_speed: float  # the share of the paddle's full speed it uses
    recentres: bool  # goes back to the middle while the ball moves away


class PongBot(Policy):
    """A Pong paddle. See the module docstring."""

    game = "pong"
    SKILLS: ClassVar[dict[str, PongSkill]] = {
        "easy": PongSkill(reaction_s=0.3, decide_every_s=0.2, error_px=80.0, bounces=False, angle=0.0,
                          aims=False, max_speed=0.6, recentres=False),
        "normal": PongSkill(reaction_s=0.15, decide_every_s=0.1, error_px=50.0, bounces=True, angle=0.25,
                            aims=False, max_speed=0.85, recentres=True),
        "hard": PongSkill(reaction_s=0.0, decide_every_s=0.05, error_px=6.0, bounces=True, angle=0.75,
                          aims=True, max_speed=1.0, recentres=True),
    }

    def __init__(self, *, member_id: int, difficulty: str, rng: Rng, tick_rate_hz: int = 20) -> None:
        super().__init__(member_id=member_id, difficulty=difficulty, rng=rng, tick_rate_hz=tick_rate_hz)
        self.approaching = False
        self.error = 0.0  # px, this approach's misjudgement
        self.offset = 0.0  # px, where on the paddle it means to meet the ball (+: below centre)

    def idle(self) -> dict[str, Any]:
        return {"my": 0.0}

    def decide(self, now: Snapshot) -> dict[str, Any]:
        me = now["e"].get(self.me_key)
        world = self.perceived()
        ball = world["e"].get("ball")
        if me is None or ball is None:
            return self.idle()
        side = me["side"]
        toward = ball["vx"] < 0 if side == 0 else ball["vx"] > 0
        if toward:
            if not self.approaching:
                self._new_approach(world, ball)
            target = self._intercept(ball, FACE_X[side]) + self.error - self.offset
        else:
            self.approaching = False
            target = HEIGHT / 2 if self.skill.recentres else me["y"]
        return {"my": self._toward(me["y"], clamp(target, HALF, HEIGHT - HALF))}

    def _new_approach(self, world: Snapshot, ball: dict[str, Any]) -> None:
        """The ball turned toward us: draw this approach's error (the faster the ball, the
        larger) and where on the paddle to meet it."""
        self.approaching = True
        self.error = self.jitter(self.skill.error_px) * math.hypot(ball["vx"], ball["vy"]) / BALL_SPEED
        spread = self.skill.angle * HALF
        if self.skill.aims:
            other = next((e for k, e in world["e"].items() if k not in (self.me_key, "ball")), None)
            # The ball leaves downward when it meets the paddle below its centre.
            away_down = other is not None and other["y"] < HEIGHT / 2
            self.offset = spread if away_down else -spread
        else:
            self.offset = spread if self.rng.random() < 0.5 else -spread

    def _intercept(self, ball: dict[str, Any], face_x: float) -> float:
        """The ball's y when it reaches ``face_x``, bounces folded in (or ignored when the
        level does not foresee them: then the guess is clamped to the table)."""
        t = (face_x - ball["x"]) / ball["vx"]
        y = ball["y"] + ball["vy"] * max(0.0, t)
        lo, hi = BALL_RADIUS, HEIGHT - BALL_RADIUS
        if not self.skill.bounces:
            return clamp(y, lo, hi)
        span = hi - lo
        folded = (y - lo) % (2 * span)
        return lo + (folded if folded <= span else 2 * span - folded)

    def _toward(self, y: float, target: float) -> float:
        """The paddle direction that reaches ``target`` by the next decision, capped."""
        gap = target - y
        if abs(gap) < DEAD_ZONE:
            return 0.0
        reach = PADDLE_SPEED * self.dt * self.decide_ticks
        top = self.skill.max_speed
        return round(clamp(gap / reach, -top, top), 3)
