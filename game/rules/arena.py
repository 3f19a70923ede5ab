"""Arena: a top-down shooter for 2 to 8 players.

Move with a held direction, aim with an angle, fire bullets with a cooldown. A hit costs
25 of 100 hp; at 0 the victim dies, the shooter scores, and the victim respawns after
2 s, away from the others, with a moment of protection (which firing ends). Coins (+1
score) and health packs spawn around the map. The round ends at ``score_limit`` or when
``time_limit_s`` runs out; a player left alone wins by forfeit.

The floor (size, walls, spawn points) and `move`, which the browser repeats to predict its
own player, live in game/rules/arena_map.py.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

# The floor and movement, apart for the browser's port (arena_map.py), are also the arena's names.
from game.rules.arena_map import (  # noqa: F401
    _BOXES_BY_CELL,
    _CELL,
    _COLUMNS,
    _GROWN_WALLS,
    _ROWS,
    _WALL_BOXES,
    HEIGHT,
    MAX_SUBSTEP,
    PLAYER_RADIUS,
    SPAWNS,
    SPEED,
    WALLS,
    WIDTH,
    WORLD,
    _blocked,
    move,
)

# An arena's values (its input, fighters and bullets) are also the arena's names.
from game.rules.arena_parts import (  # noqa: F401
    MAX_HP,
    NEUTRAL,
    PROTECTION_S,
    Bullet,
    Controls,
    Fighter,
    _new_controls,
    bullet_at,
)
from game.rules.base import (
    MAX_INPUT_KEYS,
    Axis,
    Event,
    Flag,
    Game,
    InputField,
    InvalidInput,
    Number,
    PlayerInfo,
    Result,
    Rng,
    Setting,
    Snapshot,
    finite,
    shared_places,
)

DAMAGE = 25
FIRE_COOLDOWN_S = 0.25
BULLET_SPEED, BULLET_LIFETIME_S, BULLET_RADIUS = 700.0, 1.2, 4.0  # px/s, s, px
BULLET_SUBSTEP = 10.0  # px: well under a player's diameter, so no bullet passes through one
SWEEP_SLACK = 1.0  # px around a bullet's sweep, far above the rounding of its summed sub-steps
RESPAWN_S = 2.0
PICKUP_RADIUS = 14.0
_PICKUP_REACH2 = (PICKUP_RADIUS + PLAYER_RADIUS) ** 2  # squared distance within which a pickup is taken
COIN_EVERY_S, MAX_COINS = 4.0, 3
HEALTH_EVERY_S, MAX_HEALTH, HEALTH_AMOUNT = 10.0, 1, 50
MAX_AIM = 1e6  # radians; any finite aim is accepted, its magnitude clamped before normalising
_NUMBER = frozenset((int, float))  # exact types: a bool is not a number here


def _nearest(point: tuple[float, float], others: list[tuple[float, float]]) -> float:
    """Distance from ``point`` to the closest of ``others`` (infinite when there are none)."""
    return min((math.hypot(point[0] - ox, point[1] - oy) for ox, oy in others), default=math.inf)


class Arena(Game):
    """The arena's rules. See the module docstring for the game, `snapshot` for the view."""

    name = "arena"
    title = "Arena"
    titles: ClassVar[dict[str, str]] = {"hi": "अखाड़ा"}
    min_players = 2
    max_players = 8
    settings_schema: ClassVar[dict[str, Setting]] = {"score_limit": Setting(10, 1, 3600),
                                                     "time_limit_s": Setting(180, 1, 3600)}
    # parse_input below takes these fields, faster than the default, as a `Controls`.
    input_schema: ClassVar[dict[str, InputField]] = {"mx": Axis(), "my": Axis(), "aim": Number(-MAX_AIM, MAX_AIM, 0.0),
                                                     "fire": Flag()}
    events: ClassVar[dict[str, str]] = {
        "hit": "player `id` was hit by player `by` and has `hp` left",
        "kill": "player `killer` eliminated player `victim`",
        "respawn": "player `id` is back in play",
        "pickup": "player `id` took the `kind` (coin or health) `item`",
    }

    def __init__(self, *, seed: int, players: list[PlayerInfo], settings: dict[str, Any]):
        super().__init__(seed=seed, players=players, settings=settings)
        self.rng = Rng(seed)
        self.time_left = float(self.settings["time_limit_s"])
        self.step_dt = 0.0  # the last step's dt: the snapshot's "dt", for placing bullets
        self.fighters: dict[int, Fighter] = {}
        for info in players:
            x, y = self._spawn_point(pool=1 if self.fighters else len(SPAWNS))
            self.fighters[info.id] = Fighter(info=info, x=x, y=y)
        self.bullets: list[Bullet] = []
        self.pickups: dict[str, tuple[str, float, float]] = {}  # entity id -> (kind, x, y)
        self._pickup_views: dict[str, tuple[tuple, dict]] = {}  # entity id -> (its pickups value, entry)
        self.next_id = 0
        self.coin_timer = COIN_EVERY_S
        self.health_timer = HEALTH_EVERY_S
        self.reason = ""
        self.step_events: list[Event] = []

    # -- inputs ------------------------------------------------------------------------
    @classmethod
    def parse_input(cls, payload: Any) -> Controls:
        """Validate ``{"mx": -1..1, "my": -1..1, "aim": radians, "fire": bool}``.

        Missing keys default to 0 / False, unknown keys are ignored, numbers are clamped
        (aim normalised to (-pi, pi]); a non-map, a non-number (bools included), NaN, inf,
        a number beyond float range, a non-bool ``fire`` or a heap of keys is refused."""
        if not isinstance(payload, dict):
            raise InvalidInput("an arena input is a map {mx, my, aim, fire}")
        if len(payload) > MAX_INPUT_KEYS:
            raise InvalidInput("an arena input has too many fields")
        get = payload.get
        fire = get("fire", False)
        if fire is not True and fire is not False:
            raise InvalidInput("fire must be a boolean")
        mx, my, aim = get("mx", 0.0), get("my", 0.0), get("aim", 0.0)
        # Every input of every player comes through here: the common case (plain numbers in
        # range; NaN fails the comparisons) skips `finite`, which gives the same floats.
        if (type(mx) in _NUMBER and type(my) in _NUMBER and type(aim) in _NUMBER
                and -1.0 <= mx <= 1.0 and -1.0 <= my <= 1.0 and -MAX_AIM <= aim <= MAX_AIM):
            mx, my, aim = float(mx), float(my), float(aim)
        else:
            aim = finite(aim, lo=-MAX_AIM, hi=MAX_AIM, name="aim")
            mx = finite(mx, lo=-1.0, hi=1.0, name="mx")
            my = finite(my, lo=-1.0, hi=1.0, name="my")
        return _new_controls(Controls, (mx, my, math.atan2(math.sin(aim), math.cos(aim)), fire))

    def apply_input(self, player: int, cleaned: Controls) -> None:
        """Hold ``cleaned`` as the player's controls until their next input. Called by the
        tick in arrival order: the last input before a step wins, but a fire=True in any of
        them fires (a click shorter than a tick is not lost). Unknown or gone players are
        ignored."""
        fighter = self.fighters.get(player)
        if fighter is not None and not fighter.left:
            fighter.controls = cleaned
            fighter.fire_latch = fighter.fire_latch or cleaned.fire

    def remove_player(self, player: int) -> None:
        """Called when ``player`` leaves for good: their entity goes, their score stays in
        the result (ranked after those who stayed). One player left alone wins by forfeit."""
        fighter = self.fighters.get(player)
        if fighter is None or fighter.left:
            return
        fighter.left, fighter.alive, fighter.fire_latch = True, False, False
        if not self.finished and sum(1 for f in self.fighters.values() if not f.left) < 2:
            self._finish("forfeit")

    # -- simulation --------------------------------------------------------------------
    def step(self, dt: float) -> list[Event]:
        """Advance by ``dt`` seconds: respawns, movement and firing in seat order, bullets,
        pickups, the clock, then the end of the round. A finished game does not change."""
        if self.finished:
            return []
        self.tick += 1
        self.step_dt = dt
        self.step_events = []
        for fighter in self.fighters.values():
            self._step_fighter(fighter, dt)
        self._step_bullets(dt)
        self._step_pickups(dt)
        self.time_left = max(0.0, self.time_left - dt)
        if any(f.score >= self.settings["score_limit"] for f in self.fighters.values()):
            self._finish("score_limit")
        elif self.time_left <= 1e-9:  # float steps: 180 s of 1/30 s may leave a crumb
            self._finish("time_up")
        return self.step_events

    def _finish(self, reason: str) -> None:
        self.finished, self.reason = True, reason

    def _step_fighter(self, f: Fighter, dt: float) -> None:
        if f.left:
            return
        if not f.alive:
            f.fire_latch = False  # clicks while dead do not fire on respawn
            f.respawn_in -= dt
            if f.respawn_in <= 1e-9:
                self._respawn(f)
            return
        if f.protected_for > 0.0:  # (max(0, ..) without the call: this runs for every player every step)
            left = f.protected_for - dt
            f.protected_for = left if left > 0.0 else 0.0
        if f.cooldown > 0.0:
            left = f.cooldown - dt
            f.cooldown = left if left > 0.0 else 0.0
        c = f.controls
        f.x, f.y = move(f.x, f.y, c.mx, c.my, dt)
        if (c.fire or f.fire_latch) and f.cooldown <= 1e-9:
            self._fire(f)
        f.fire_latch = False

    def _fire(self, f: Fighter) -> None:
        f.cooldown, f.protected_for = FIRE_COOLDOWN_S, 0.0  # who shoots gives up protection
        dx, dy = math.cos(f.controls.aim), math.sin(f.controls.aim)
        muzzle = PLAYER_RADIUS + BULLET_RADIUS + 2.0
        self.bullets.append(Bullet(self._new_id(), f.info.id, f.x + dx * muzzle, f.y + dy * muzzle,
                                   dx * BULLET_SPEED, dy * BULLET_SPEED, BULLET_LIFETIME_S))

    def _spawn_point(self, *, pool: int) -> tuple[float, float]:
        """A spawn point drawn with the Rng among the ``pool`` farthest from the living."""
        living = [(f.x, f.y) for f in self.fighters.values() if f.alive]
        ranked = sorted(range(len(SPAWNS)), key=lambda i: (-_nearest(SPAWNS[i], living), i))
        return SPAWNS[ranked[self.rng.randint(0, min(pool, len(ranked)) - 1)]]

    def _respawn(self, f: Fighter) -> None:
        f.x, f.y = self._spawn_point(pool=2)
        f.hp, f.alive, f.protected_for, f.cooldown = MAX_HP, True, PROTECTION_S, 0.0
        self.step_events.append({"type": "respawn", "id": f.info.id})

    def _step_bullets(self, dt: float) -> None:
        substeps = max(1, math.ceil(BULLET_SPEED * dt / BULLET_SUBSTEP))
        self.bullets = [b for b in self.bullets if self._advance_bullet(b, dt, substeps)]

    def _advance_bullet(self, b: Bullet, dt: float, substeps: int) -> bool:
        """Move a bullet ``substeps`` sub-steps; False once it hit something or expired.
        The game's hottest loop, so it is kept plain (no generators, no calls per sub-step),
        and only the walls and players near the stretch it sweeps this step are tested at
        each sub-step: the others cannot touch any of its sub-step positions, so the outcome
        is the same as testing them all."""
        b.life -= dt
        sx, sy = b.vx * dt / substeps, b.vy * dt / substeps
        reach = PLAYER_RADIUS + BULLET_RADIUS
        reach2 = reach * reach
        x, y = b.x, b.y
        ex, ey = x + sx * substeps, y + sy * substeps  # where it ends, give or take rounding
        lox, hix = (x, ex) if x <= ex else (ex, x)
        loy, hiy = (y, ey) if y <= ey else (ey, y)
        lox, hix, loy, hiy = lox - SWEEP_SLACK, hix + SWEEP_SLACK, loy - SWEEP_SLACK, hiy + SWEEP_SLACK
        column, row = int(lox // _CELL), int(loy // _CELL)
        if column == int(hix // _CELL) and row == int(hiy // _CELL) and 0 <= column < _COLUMNS and 0 <= row < _ROWS:
            near = _BOXES_BY_CELL[row * _COLUMNS + column]  # the sweep lies in one cell
        else:
            near = _WALL_BOXES
        walls = [w for w in near if w[0] <= hix and lox <= w[2] and w[1] <= hiy and loy <= w[3]]
        owner = b.owner
        targets = [f for f in self.fighters.values() if f.alive and f.info.id != owner
                   and lox - reach <= f.x <= hix + reach and loy - reach <= f.y <= hiy + reach]
        for _ in range(substeps):
            x = b.x = x + sx
            y = b.y = y + sy
            if not (0.0 <= x <= WIDTH and 0.0 <= y <= HEIGHT):
                return False
            for x0, y0, x1, y1 in walls:
                if x0 <= x <= x1 and y0 <= y <= y1:
                    return False
            for f in targets:
                if (f.x - x) * (f.x - x) + (f.y - y) * (f.y - y) <= reach2:
                    self._hit(f, owner)
                    return False
        return b.life > 1e-9

    def _hit(self, victim: Fighter, shooter_id: int) -> None:
        """A protected victim absorbs the bullet unharmed; a kill scores for the shooter
        (unless they left), even if the shooter died while the bullet flew."""
        if victim.protected_for > 0.0:
            return
        victim.hp = max(0, victim.hp - DAMAGE)
        self.step_events.append({"type": "hit", "id": victim.info.id, "by": shooter_id, "hp": victim.hp})
        if victim.hp > 0:
            return
        victim.alive, victim.respawn_in = False, RESPAWN_S
        victim.deaths += 1
        shooter = self.fighters.get(shooter_id)
        if shooter is not None and not shooter.left:
            shooter.kills += 1
            shooter.score += 1
        self.step_events.append({"type": "kill", "killer": shooter_id, "victim": victim.info.id})

    def _step_pickups(self, dt: float) -> None:
        pickups = self.pickups
        if pickups:  # each living player, in seat order, takes what lies within reach
            spots = list(pickups.items())
            for f in self.fighters.values():
                if f.alive:
                    fx, fy = f.x, f.y
                    for item, (kind, x, y) in spots:
                        if (fx - x) * (fx - x) + (fy - y) * (fy - y) <= _PICKUP_REACH2 and item in pickups:
                            self._take(f, item, kind)
        self.coin_timer -= dt
        if self.coin_timer <= 1e-9:
            self.coin_timer += COIN_EVERY_S
            self._spawn_pickup("coin", MAX_COINS)
        self.health_timer -= dt
        if self.health_timer <= 1e-9:
            self.health_timer += HEALTH_EVERY_S
            self._spawn_pickup("health", MAX_HEALTH)

    def _take(self, f: Fighter, item: str, kind: str) -> None:
        """``f`` reached pickup ``item``; a health pack stays put for a player at full hp."""
        if kind == "health" and f.hp >= MAX_HP:
            return
        del self.pickups[item]
        if kind == "coin":
            f.score += 1
        else:
            f.hp = min(MAX_HP, f.hp + HEALTH_AMOUNT)
        self.step_events.append({"type": "pickup", "id": f.info.id, "kind": kind, "item": item})

    def _spawn_pickup(self, kind: str, most: int) -> None:
        """Place one ``kind`` at a random free spot, unless ``most`` of them lie about already."""
        if sum(1 for k, _x, _y in self.pickups.values() if k == kind) >= most:
            return
        margin = 40.0
        for _ in range(10):  # a few tries; the walls cover little of the floor
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
        """``g``: t = seconds left (0.1), sl = score limit, n = steps so far, dt = seconds a
        step. ``e``: players ``p<id>`` (x, y, a = aim, hp, s = score, k = kills, d = deaths,
        al = alive, sp = spawn-protected, rs = seconds until respawn, n = name), bullets
        ``b<n>`` (x, y at step t, vx, vy in px/s, o = owner: the same entry all its flight,
        `bullet_at` places it), coins ``c<n>`` and health packs ``h<n>`` (x, y). Players who
        left are not shown."""
        entities: dict[str, dict[str, Any]] = {}
        # Built for every tick of every lobby: round(v * 10) / 10 is round(v, 1) but for the
        # last bit of a rare tie (a frame carries 32-bit floats anyway), at a third of the cost.
        for f in self.fighters.values():
            if not f.left:
                alive = f.alive
                entities[f.key] = {
                    "x": round(f.x * 10.0) / 10.0, "y": round(f.y * 10.0) / 10.0,
                    "a": round(f.controls.aim * 100.0) / 100.0, "hp": f.hp, "s": f.score, "k": f.kills,
                    "d": f.deaths, "al": alive, "sp": alive and f.protected_for > 0.0,
                    "rs": 0.0 if alive else round(max(0.0, f.respawn_in) * 10.0) / 10.0, "n": f.info.name}
        for b in self.bullets:
            view = b.view
            if view is None:  # first shown now: its position at this step
                view = b.view = {"x": round(b.x, 1), "y": round(b.y, 1), "vx": round(b.vx), "vy": round(b.vy),
                                 "o": b.owner, "t": self.tick}
            entities[f"b{b.id}"] = view
        # A pickup lies still: its entry is made once, and `diff` skips the same object.
        shown, self._pickup_views = self._pickup_views, {}
        for item, spot in self.pickups.items():
            cached = shown.get(item)
            if cached is None or cached[0] is not spot:
                cached = (spot, {"x": spot[1], "y": spot[2]})
            self._pickup_views[item] = cached
            entities[item] = cached[1]
        return {"g": {"t": round(self.time_left, 1), "sl": self.settings["score_limit"], "n": self.tick,
                      "dt": self.step_dt}, "e": entities}

    def result(self) -> Result:
        """Ranked by score, then fewer deaths, then id, players who left last. The winner is
        the top player who stayed, or None when the top two who stayed have equal scores.
        Meaningful at any time (an aborted match has the reason "aborted")."""
        f = self.fighters
        ranking = sorted(f, key=lambda pid: (f[pid].left, -f[pid].score, f[pid].deaths, pid))
        stayed = [pid for pid in ranking if not f[pid].left]
        winner = None
        if len(stayed) == 1 or (len(stayed) > 1 and f[stayed[0]].score > f[stayed[1]].score):
            winner = stayed[0]
        return Result(scores={pid: x.score for pid, x in f.items()}, ranking=ranking, winner=winner,
                      reason=self.reason or "aborted",
                      places=shared_places(ranking, lambda pid: (f[pid].left, f[pid].score)))
