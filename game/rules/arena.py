"""Arena: a top-down shooter for 2 to 8 players.

Move with a held direction, aim with an angle, fire bullets with a cooldown. A hit costs
25 of 100 hp; at 0 the victim dies, the shooter scores, and the victim respawns after
2 s with a moment of protection. Coins (+1 score) and health packs spawn around the map.
The round ends at ``score_limit`` or when ``time_limit_s`` runs out.

`move` is kept a separate pure function: the browser repeats it to predict its own
player, checked against ``tests/fixtures/arena_movement.json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from game.rules.base import Event, Game, InvalidInput, PlayerInfo, Result, Rng, Snapshot, finite

WIDTH, HEIGHT = 1600.0, 900.0
PLAYER_RADIUS = 18.0
SPEED = 260.0  # px/s
MAX_SUBSTEP = 16.0  # px: thinner than any wall, so a long step cannot tunnel through
WALLS: tuple[tuple[float, float, float, float], ...] = (  # x, y, w, h; symmetric layout
    (740.0, 390.0, 120.0, 120.0),
    (300.0, 150.0, 200.0, 40.0), (1100.0, 150.0, 200.0, 40.0),
    (300.0, 710.0, 200.0, 40.0), (1100.0, 710.0, 200.0, 40.0),
    (200.0, 380.0, 40.0, 140.0), (1360.0, 380.0, 40.0, 140.0),
)
SPAWNS: tuple[tuple[float, float], ...] = (
    (80.0, 80.0), (1520.0, 820.0), (1520.0, 80.0), (80.0, 820.0),
    (800.0, 80.0), (800.0, 820.0), (80.0, 450.0), (1520.0, 450.0),
)
MAX_HP = 100
DAMAGE = 25
FIRE_COOLDOWN_S = 0.25
BULLET_SPEED = 700.0
BULLET_LIFETIME_S = 1.2
BULLET_RADIUS = 4.0
RESPAWN_S = 2.0
PROTECTION_S = 1.5
PICKUP_RADIUS = 14.0
COIN_EVERY_S, MAX_COINS = 4.0, 3
HEALTH_EVERY_S, MAX_HEALTH, HEALTH_AMOUNT = 10.0, 1, 50


def _blocked(x: float, y: float) -> tuple[float, float, float, float] | None:
    """The wall a player centred at (x, y) overlaps, if any (walls grown by the radius)."""
    r = PLAYER_RADIUS
    for wall in WALLS:
        wx, wy, ww, wh = wall
        if wx - r < x < wx + ww + r and wy - r < y < wy + wh + r:
            return wall
    return None


def move(x: float, y: float, mx: float, my: float, dt: float) -> tuple[float, float]:
    """One movement step: direction (mx, my) normalised if longer than 1, at SPEED for dt
    seconds, stopped by the world's edges and the walls. The step is cut into sub-steps of
    at most MAX_SUBSTEP px so no wall is jumped over, each resolved x first, then y."""
    length = math.hypot(mx, my)
    if length > 1.0:
        mx, my = mx / length, my / length
        length = 1.0
    substeps = max(1, math.ceil(length * SPEED * dt / MAX_SUBSTEP))
    dx, dy = mx * SPEED * dt / substeps, my * SPEED * dt / substeps
    for _ in range(substeps):
        x, y = _substep(x, y, dx, dy)
    return x, y


def _substep(x: float, y: float, dx: float, dy: float) -> tuple[float, float]:
    r = PLAYER_RADIUS
    x = min(WIDTH - r, max(r, x + dx))
    wall = _blocked(x, y)
    if wall is not None and dx != 0.0:
        x = wall[0] - r if dx > 0 else wall[0] + wall[2] + r
    y = min(HEIGHT - r, max(r, y + dy))
    wall = _blocked(x, y)
    if wall is not None and dy != 0.0:
        y = wall[1] - r if dy > 0 else wall[1] + wall[3] + r
    return x, y


class Controls(NamedTuple):
    mx: float
    my: float
    aim: float
    fire: bool


@dataclass
class Fighter:
    info: PlayerInfo
    x: float
    y: float
    controls: Controls = Controls(0.0, 0.0, 0.0, False)
    fire_latch: bool = False
    hp: int = MAX_HP
    score: int = 0
    kills: int = 0
    deaths: int = 0
    alive: bool = True
    respawn_in: float = 0.0
    protected_for: float = PROTECTION_S
    cooldown: float = 0.0
    left: bool = False


@dataclass
class Bullet:
    id: int
    owner: int
    x: float
    y: float
    vx: float
    vy: float
    life: float


class Arena(Game):
    name = "arena"
    title = "Arena"
    min_players = 2
    max_players = 8
    default_settings = {"score_limit": 10, "time_limit_s": 180}

    def __init__(self, *, seed: int, players: list[PlayerInfo], settings: dict[str, Any]):
        super().__init__(seed=seed, players=players, settings=settings)
        self.rng = Rng(seed)
        self.time_left = float(self.settings["time_limit_s"])
        offset = self.rng.randint(0, len(SPAWNS) - 1)
        self.fighters: dict[int, Fighter] = {}
        for i, info in enumerate(players):
            x, y = SPAWNS[(offset + i) % len(SPAWNS)]
            self.fighters[info.id] = Fighter(info=info, x=x, y=y)
        self.bullets: list[Bullet] = []
        self.pickups: dict[str, tuple[str, float, float]] = {}  # id -> (kind, x, y)
        self.next_id = 1
        self.coin_timer = COIN_EVERY_S
        self.health_timer = HEALTH_EVERY_S
        self.reason = ""
        self.events: list[Event] = []

    # -- inputs ------------------------------------------------------------------------
    @classmethod
    def parse_input(cls, payload: Any) -> Controls:
        if not isinstance(payload, dict):
            raise InvalidInput("an arena input is a map {mx, my, aim, fire}")
        fire = payload.get("fire", False)
        if not isinstance(fire, bool):
            raise InvalidInput("fire must be a boolean")
        aim = finite(payload.get("aim", 0.0), lo=-1e6, hi=1e6, name="aim")
        aim = math.atan2(math.sin(aim), math.cos(aim))  # any angle, normalised to (-pi, pi]
        return Controls(finite(payload.get("mx", 0.0), lo=-1.0, hi=1.0, name="mx"),
                        finite(payload.get("my", 0.0), lo=-1.0, hi=1.0, name="my"), aim, fire)

    def apply_input(self, player: int, cleaned: Controls) -> None:
        fighter = self.fighters.get(player)
        if fighter is not None and not fighter.left:
            fighter.controls = cleaned
            fighter.fire_latch = fighter.fire_latch or cleaned.fire

    def remove_player(self, player: int) -> None:
        fighter = self.fighters.get(player)
        if fighter is None or fighter.left:
            return
        fighter.left, fighter.alive = True, False
        if not self.finished and sum(1 for f in self.fighters.values() if not f.left) < 2:
            self.finished, self.reason = True, "forfeit"

    # -- simulation --------------------------------------------------------------------
    def step(self, dt: float) -> list[Event]:
        if self.finished:
            return []
        self.tick += 1
        self.events = []
        for fighter in self.fighters.values():
            self._step_fighter(fighter, dt)
        self._step_bullets(dt)
        self._step_pickups(dt)
        self.time_left = max(0.0, self.time_left - dt)
        limit = self.settings["score_limit"]
        if any(f.score >= limit for f in self.fighters.values()):
            self.finished, self.reason = True, "score_limit"
        elif self.time_left <= 1e-9:
            self.finished, self.reason = True, "time_up"
        return self.events

    def _step_fighter(self, f: Fighter, dt: float) -> None:
        if f.left:
            return
        if not f.alive:
            f.respawn_in -= dt
            if f.respawn_in <= 0.0:
                self._respawn(f)
            return
        f.protected_for = max(0.0, f.protected_for - dt)
        f.cooldown = max(0.0, f.cooldown - dt)
        c = f.controls
        f.x, f.y = move(f.x, f.y, c.mx, c.my, dt)
        if (c.fire or f.fire_latch) and f.cooldown <= 0.0:
            f.cooldown = FIRE_COOLDOWN_S
            dx, dy = math.cos(c.aim), math.sin(c.aim)
            muzzle = PLAYER_RADIUS + BULLET_RADIUS + 2.0
            self.bullets.append(Bullet(self._new_id(), f.info.id, f.x + dx * muzzle, f.y + dy * muzzle,
                                       dx * BULLET_SPEED, dy * BULLET_SPEED, BULLET_LIFETIME_S))
        f.fire_latch = False

    def _respawn(self, f: Fighter) -> None:
        others = [(o.x, o.y) for o in self.fighters.values() if o.alive and o is not f]
        candidates = [SPAWNS[self.rng.randint(0, len(SPAWNS) - 1)] for _ in range(3)]
        x, y = max(candidates, key=lambda p: min((math.hypot(p[0] - ox, p[1] - oy) for ox, oy in others),
                                                 default=0.0))
        f.x, f.y, f.hp, f.alive = x, y, MAX_HP, True
        f.protected_for, f.cooldown = PROTECTION_S, 0.0
        self.events.append({"type": "respawn", "id": f.info.id})

    def _step_bullets(self, dt: float) -> None:
        kept = []
        for b in self.bullets:
            if self._advance_bullet(b, dt):
                kept.append(b)
        self.bullets = kept

    def _advance_bullet(self, b: Bullet, dt: float) -> bool:
        """Move a bullet in small sub-steps; False once it hit something or expired."""
        b.life -= dt
        substeps = max(1, math.ceil(BULLET_SPEED * dt / 10.0))
        for _ in range(substeps):
            b.x += b.vx * dt / substeps
            b.y += b.vy * dt / substeps
            if not (0.0 <= b.x <= WIDTH and 0.0 <= b.y <= HEIGHT):
                return False
            if any(wx <= b.x <= wx + ww and wy <= b.y <= wy + wh for wx, wy, ww, wh in WALLS):
                return False
            victim = self._bullet_victim(b)
            if victim is not None:
                self._hit(victim, b.owner)
                return False
        return b.life > 0.0

    def _bullet_victim(self, b: Bullet) -> Fighter | None:
        reach = PLAYER_RADIUS + BULLET_RADIUS
        for f in self.fighters.values():
            if f.alive and f.info.id != b.owner and (f.x - b.x) ** 2 + (f.y - b.y) ** 2 <= reach * reach:
                return f
        return None

    def _hit(self, victim: Fighter, shooter_id: int) -> None:
        if victim.protected_for > 0.0:
            return
        victim.hp -= DAMAGE
        self.events.append({"type": "hit", "id": victim.info.id, "by": shooter_id, "hp": max(0, victim.hp)})
        if victim.hp > 0:
            return
        victim.alive, victim.hp, victim.respawn_in = False, 0, RESPAWN_S
        victim.deaths += 1
        shooter = self.fighters.get(shooter_id)
        if shooter is not None and not shooter.left:
            shooter.kills += 1
            shooter.score += 1
        self.events.append({"type": "kill", "killer": shooter_id, "victim": victim.info.id})

    def _step_pickups(self, dt: float) -> None:
        for f in self.fighters.values():
            if f.alive:
                self._collect(f)
        self.coin_timer -= dt
        if self.coin_timer <= 0.0:
            self.coin_timer += COIN_EVERY_S
            if sum(1 for kind, _x, _y in self.pickups.values() if kind == "coin") < MAX_COINS:
                self._spawn_pickup("coin")
        self.health_timer -= dt
        if self.health_timer <= 0.0:
            self.health_timer += HEALTH_EVERY_S
            if sum(1 for kind, _x, _y in self.pickups.values() if kind == "health") < MAX_HEALTH:
                self._spawn_pickup("health")

    def _collect(self, f: Fighter) -> None:
        reach = PLAYER_RADIUS + PICKUP_RADIUS
        for pid, (kind, x, y) in list(self.pickups.items()):
            if (f.x - x) ** 2 + (f.y - y) ** 2 > reach * reach:
                continue
            if kind == "health" and f.hp >= MAX_HP:
                continue
            del self.pickups[pid]
            if kind == "coin":
                f.score += 1
            else:
                f.hp = min(MAX_HP, f.hp + HEALTH_AMOUNT)
            self.events.append({"type": "pickup", "id": f.info.id, "kind": kind})

    def _spawn_pickup(self, kind: str) -> None:
        margin = 40.0
        for _ in range(10):
            x = round(self.rng.uniform(margin, WIDTH - margin), 1)
            y = round(self.rng.uniform(margin, HEIGHT - margin), 1)
            if _blocked(x, y) is None:
                self.pickups[f"{kind[0]}{self._new_id()}"] = (kind, x, y)
                return

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    # -- views -------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        entities: dict[str, dict[str, Any]] = {}
        for f in self.fighters.values():
            if f.left:
                continue
            entities[f"p{f.info.id}"] = {
                "x": round(f.x, 1), "y": round(f.y, 1), "a": round(f.controls.aim, 2), "hp": f.hp,
                "s": f.score, "k": f.kills, "d": f.deaths, "al": f.alive, "sp": f.protected_for > 0.0,
                "n": f.info.name}
        for b in self.bullets:
            entities[f"b{b.id}"] = {"x": round(b.x, 1), "y": round(b.y, 1), "o": b.owner}
        for pid, (kind, x, y) in self.pickups.items():
            entities[pid] = {"x": x, "y": y}
        return {"g": {"t": round(self.time_left, 1), "sl": self.settings["score_limit"]}, "e": entities}

    def result(self) -> Result:
        """Ranked by score, then fewer deaths, then id; players who left rank last.
        No winner when the top two who stayed are level."""
        f = self.fighters
        ranking = sorted(f, key=lambda pid: (f[pid].left, -f[pid].score, f[pid].deaths, pid))
        stayed = [pid for pid in ranking if not f[pid].left]
        winner = None
        if len(stayed) == 1 or (len(stayed) > 1 and f[stayed[0]].score > f[stayed[1]].score):
            winner = stayed[0]
        return Result(scores={pid: x.score for pid, x in f.items()}, ranking=ranking, winner=winner,
                      reason=self.reason or "aborted")


WORLD = {"width": WIDTH, "height": HEIGHT, "player_radius": PLAYER_RADIUS, "speed": SPEED,
         "max_substep": MAX_SUBSTEP,
         "walls": [list(w) for w in WALLS]}
