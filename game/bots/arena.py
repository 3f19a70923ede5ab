"""The Arena bot: pick a target, move with a purpose, aim with lead, shoot, avoid walls.

At each decision the bot picks the enemy to fight (the nearest living one; from normal up
those behind walls or still spawn-protected count as farther) and where to go: a health
pack when hurt (normal and hard), a coin when one is near (a coin scores as much as a
kill), else a fighting distance from its target: closing in when far, backing off when
too close, strafing in between. Hard bots also sidestep bullets coming at them.

It aims where the target will be when the bullet arrives (its perceived position plus its
velocity times the flight and reaction time, scaled by the level's ``lead``), off by a
random error drawn each decision, and pulls the trigger when in range; from normal up only
with a clear line of fire and never at a protected target.

Walls: the bot looks a little ahead along the way it wants to go; when that is blocked it
turns, in steps, toward the side that worked last time, and if it stops making progress it
swaps sides. Movement itself is the rules' `move` (walls stop it, diagonals slide).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from game.bots.base import Policy
from game.rules.arena import (
    BULLET_LIFETIME_S,
    BULLET_RADIUS,
    BULLET_SPEED,
    HEIGHT,
    MAX_HP,
    PLAYER_RADIUS,
    SPEED,
    WALLS,
    WIDTH,
    bullet_at,
)
from game.rules.base import Rng, Snapshot

FIRE_RANGE = BULLET_SPEED * BULLET_LIFETIME_S * 0.85  # px: a bullet flies 840 px; leave a margin
NEAR, FAR = 180.0, 420.0  # px: the fighting distance it keeps from its target
COIN_DETOUR = 350.0  # px: a coin this close is worth leaving a fight for
LOOK_AHEAD = (28.0, 56.0)  # px: the points ahead it checks before going somewhere
TURN_STEP = math.pi / 8
_MARGIN = 3.0
_BLOCKS = tuple((x - PLAYER_RADIUS - _MARGIN, y - PLAYER_RADIUS - _MARGIN, x + w + PLAYER_RADIUS + _MARGIN,
                 y + h + PLAYER_RADIUS + _MARGIN) for x, y, w, h in WALLS)
_SIGHT_BLOCKS = tuple((x - BULLET_RADIUS, y - BULLET_RADIUS, x + w + BULLET_RADIUS, y + h + BULLET_RADIUS)
                      for x, y, w, h in WALLS)


@dataclass(frozen=True)
class ArenaSkill:
    reaction_s: float
    decide_every_s: float
    aim_error: float  # radians: the most its aim is off (drawn each decision)
    lead: float  # 0..1: how much of its target's motion it leads
    fire_chance: float  # the chance, each decision with a shot, that it pulls the trigger
    careful: bool  # holds fire without a line of fire or at a protected target; rates targets so
    dodges: bool  # sidesteps bullets coming at it
    seeks_health: bool  # goes for a health pack when hurt
    move_speed: float  # the share of full speed it moves at


def is_clear(x: float, y: float) -> bool:
    """Whether a player centred at (x, y) would touch neither a wall nor the world's edge."""
    if not (PLAYER_RADIUS <= x <= WIDTH - PLAYER_RADIUS and PLAYER_RADIUS <= y <= HEIGHT - PLAYER_RADIUS):
        return False
    return not any(x0 < x < x1 and y0 < y < y1 for x0, y0, x1, y1 in _BLOCKS)


def line_of_fire(x0: float, y0: float, x1: float, y1: float) -> bool:
    """Whether a bullet from (x0, y0) to (x1, y1) would pass every wall (slab test)."""
    dx, dy = x1 - x0, y1 - y0
    left, right, top, bottom = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    for bx0, by0, bx1, by1 in _SIGHT_BLOCKS:
        if bx0 > right or bx1 < left or by0 > bottom or by1 < top:
            continue  # the wall lies outside the segment's box
        lo, hi = 0.0, 1.0
        for start, delta, near, far in ((x0, dx, bx0, bx1), (y0, dy, by0, by1)):
            if abs(delta) < 1e-9:
                if not near <= start <= far:
                    lo, hi = 1.0, 0.0
                    break
                continue
            t0, t1 = (near - start) / delta, (far - start) / delta
            if t0 > t1:
                t0, t1 = t1, t0
            lo, hi = max(lo, t0), min(hi, t1)
            if lo > hi:
                break
        if lo <= hi:
            return False
    return True


class Target(NamedTuple):
    """The enemy a bot fights: its entity key and fields as perceived, how far it is, and
    whether a bullet would get there past the walls."""

    key: str
    fields: dict[str, Any]
    dist: float
    clear: bool


class ArenaBot(Policy):
    """An arena fighter. See the module docstring."""

    game = "arena"
    SKILLS: ClassVar[dict[str, ArenaSkill]] = {
        "easy": ArenaSkill(reaction_s=0.35, decide_every_s=0.25, aim_error=0.3, lead=0.0, fire_chance=0.5,
                           careful=False, dodges=False, seeks_health=False, move_speed=0.7),
        "normal": ArenaSkill(reaction_s=0.15, decide_every_s=0.1, aim_error=0.12, lead=0.6, fire_chance=0.85,
                             careful=True, dodges=False, seeks_health=True, move_speed=0.9),
        "hard": ArenaSkill(reaction_s=0.05, decide_every_s=0.05, aim_error=0.04, lead=1.0, fire_chance=1.0,
                           careful=True, dodges=True, seeks_health=True, move_speed=1.0),
    }

    def __init__(self, *, member_id: int, difficulty: str, rng: Rng, tick_rate_hz: int = 20) -> None:
        super().__init__(member_id=member_id, difficulty=difficulty, rng=rng, tick_rate_hz=tick_rate_hz)
        self.turn = 1.0 if rng.random() < 0.5 else -1.0  # which way it goes round walls
        self.detouring = False  # going round a wall (on the `turn` side)
        self.strafe = 1.0 if rng.random() < 0.5 else -1.0
        self.aim = 0.0
        self.last_pos: tuple[float, float] | None = None
        self.stuck = 0

    def idle(self) -> dict[str, Any]:
        return {"mx": 0.0, "my": 0.0, "aim": 0.0, "fire": False}

    def decide(self, now: Snapshot) -> dict[str, Any]:
        me = now["e"].get(self.me_key)
        if me is None or not me["al"]:
            self.last_pos = None
            return {"mx": 0.0, "my": 0.0, "aim": self.aim, "fire": False}
        x, y = me["x"], me["y"]
        self._check_progress(x, y)
        world = self.perceived()
        target = self._pick_target(world, x, y)
        gx, gy = self._goal(world, me, target)
        if self.skill.dodges:
            gx, gy = self._dodge(world, x, y, gx, gy)
        mx, my = self._steer(x, y, gx, gy)
        fire = False
        if target is not None:
            self.aim = self._aim_at(x, y, target.key, target.fields)
            fire = self._has_shot(target) and self.rng.random() < self.skill.fire_chance
        speed = self.skill.move_speed
        return {"mx": round(mx * speed, 3), "my": round(my * speed, 3), "aim": round(self.aim, 3), "fire": fire}

    # -- choosing ---------------------------------------------------------------------------
    def _pick_target(self, world: Snapshot, x: float, y: float) -> Target | None:
        """The enemy to fight, or None. A careful bot counts an enemy behind a wall or still
        protected as farther, and a wounded one as nearer."""
        candidates = []
        for key, e in world["e"].items():
            if key[0] != "p" or key == self.me_key or not e["al"]:
                continue
            dist = math.hypot(e["x"] - x, e["y"] - y)
            cost = dist + (300.0 * e["sp"] - (MAX_HP - e["hp"]) * 2.0 if self.skill.careful else 0.0)
            candidates.append((cost, key, e, dist))
        candidates.sort(key=lambda c: (c[0], c[1]))
        best, best_cost = None, math.inf
        for cost, key, e, dist in candidates:
            if cost >= best_cost:
                break  # the rest cannot beat it, even in plain sight
            clear = line_of_fire(x, y, e["x"], e["y"])  # walls only cost more: checked lazily
            if self.skill.careful and not clear:
                cost += 400.0
            if cost < best_cost:
                best, best_cost = Target(key, e, dist, clear), cost
        return best

    def _goal(self, world: Snapshot, me: dict[str, Any], target: Target | None) -> tuple[float, float]:
        """Where it wants to go now: a direction as (dx, dy), not normalised."""
        x, y = me["x"], me["y"]
        if self.skill.seeks_health and me["hp"] <= MAX_HP // 2:
            pack = self._nearest(world, "h", x, y)
            if pack is not None:
                return pack[0] - x, pack[1] - y
        coin = self._nearest(world, "c", x, y)
        if coin is not None and (target is None or math.hypot(coin[0] - x, coin[1] - y) < COIN_DETOUR):
            return coin[0] - x, coin[1] - y
        if target is None:
            return WIDTH / 2 - x, HEIGHT / 2 - y
        enemy, dist = target.fields, target.dist
        dx, dy = (enemy["x"] - x) / max(dist, 1e-6), (enemy["y"] - y) / max(dist, 1e-6)
        if dist > FAR or not target.clear:  # too far, or a wall between: close in
            return dx, dy
        if self.rng.random() < 0.08:
            self.strafe = -self.strafe
        sx, sy = -dy * self.strafe, dx * self.strafe  # sideways round the target
        if dist < NEAR:
            return sx * 0.6 - dx, sy * 0.6 - dy
        return sx, sy

    @staticmethod
    def _nearest(world: Snapshot, prefix: str, x: float, y: float) -> tuple[float, float] | None:
        best, best_d = None, math.inf
        for key, e in world["e"].items():
            if key[0] == prefix:
                d = (e["x"] - x) ** 2 + (e["y"] - y) ** 2
                if d < best_d:
                    best, best_d = (e["x"], e["y"]), d
        return best

    # -- moving -----------------------------------------------------------------------------
    def _dodge(self, world: Snapshot, x: float, y: float, gx: float, gy: float) -> tuple[float, float]:
        """Step sideways from the enemy bullet that will pass closest soonest."""
        reach = PLAYER_RADIUS + BULLET_RADIUS + 10.0
        threat, soonest = None, 0.6  # s: later than that it can wait
        for key, b in world["e"].items():
            if key[0] != "b" or b["o"] == self.member_id:
                continue
            bx, by = bullet_at(b, world["g"])
            px, py, vx, vy = x - bx, y - by, b["vx"], b["vy"]
            v2 = vx * vx + vy * vy
            t = (px * vx + py * vy) / v2 if v2 else -1.0
            if 0.0 < t < soonest and math.hypot(px - vx * t, py - vy * t) < reach:
                threat, soonest = (vx, vy, px - vx * t, py - vy * t), t
        if threat is None:
            return gx, gy
        vx, vy, ox, oy = threat
        side = 1.0 if (-vy * ox + vx * oy) >= 0 else -1.0  # the side of its path we are on
        length = math.hypot(vx, vy)
        return -vy / length * side * 3.0 + gx * 0.3, vx / length * side * 3.0 + gy * 0.3

    def _steer(self, x: float, y: float, dx: float, dy: float) -> tuple[float, float]:
        """A unit direction close to (dx, dy) whose way ahead is clear of walls and edges.

        Blocked, it turns in steps: on a fresh obstacle toward whichever side frees the way
        soonest, then, while going round it, on that same side first (deciding afresh each
        time would swing it back and forth over a wall between it and its goal)."""
        length = math.hypot(dx, dy)
        if length < 1e-6:
            return 0.0, 0.0
        heading = math.atan2(dy, dx)
        if self._clear_ahead(x, y, heading):
            self.detouring = False
            return dx / length, dy / length
        if self.detouring:
            order = [(k, self.turn) for k in range(1, 9)] + [(k, -self.turn) for k in range(1, 8)]
        else:
            order = [(k, sign) for k in range(1, 9) for sign in (self.turn, -self.turn)]
        for step, sign in order:
            angle = heading + sign * step * TURN_STEP
            if self._clear_ahead(x, y, angle):
                self.turn, self.detouring = sign, True
                return math.cos(angle), math.sin(angle)
        return dx / length, dy / length

    @staticmethod
    def _clear_ahead(x: float, y: float, angle: float) -> bool:
        ux, uy = math.cos(angle), math.sin(angle)
        return all(is_clear(x + ux * d, y + uy * d) for d in LOOK_AHEAD)

    def _check_progress(self, x: float, y: float) -> None:
        """Swap the side it goes round walls on when it stopped getting anywhere."""
        moved = self.held.get("mx", 0.0) or self.held.get("my", 0.0)
        if self.last_pos is not None and moved and math.hypot(x - self.last_pos[0], y - self.last_pos[1]) < 1.0:
            self.stuck += 1
            if self.stuck >= 3:
                self.turn, self.strafe, self.stuck = -self.turn, -self.strafe, 0
        else:
            self.stuck = 0
        self.last_pos = (x, y)

    # -- shooting ---------------------------------------------------------------------------
    def _aim_at(self, x: float, y: float, key: str, enemy: dict[str, Any]) -> float:
        """The angle to where the enemy will be when a bullet gets there, plus this
        decision's error."""
        vx, vy = self._velocity(key, enemy)
        tx, ty = enemy["x"], enemy["y"]
        lead = self.skill.lead
        ahead = self.reaction_ticks * self.dt  # what it saw is this old
        for _ in range(2):
            t = math.hypot(tx - x, ty - y) / BULLET_SPEED
            tx, ty = enemy["x"] + vx * (t + ahead) * lead, enemy["y"] + vy * (t + ahead) * lead
        angle = math.atan2(ty - y, tx - x) + self.jitter(self.skill.aim_error)
        return math.atan2(math.sin(angle), math.cos(angle))

    def _velocity(self, key: str, enemy: dict[str, Any]) -> tuple[float, float]:
        """The enemy's velocity from the two newest snapshots it perceives (0 after a respawn)."""
        before = self.perceived(older=1)["e"].get(key)
        if before is None or not before["al"]:
            return 0.0, 0.0
        vx, vy = (enemy["x"] - before["x"]) / self.dt, (enemy["y"] - before["y"]) / self.dt
        if math.hypot(vx, vy) > SPEED * 1.5:  # a teleport (respawn), not a motion
            return 0.0, 0.0
        return vx, vy

    def _has_shot(self, target: Target) -> bool:
        if target.dist > FIRE_RANGE:
            return False
        return not self.skill.careful or (target.clear and not target.fields["sp"])
