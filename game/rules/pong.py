"""Pong for two: the small second game that proves the engine knows no game.

The first seated player holds the left paddle, the second the right. After a short pause
the ball is served from the centre, toward a side drawn with the Rng at first and then
toward whoever lost the last point. It bounces off the top and bottom and off paddles
(the angle set by where it meets the paddle), a little faster after every return. A
point is scored when the ball passes the other's paddle; first to ``score_limit`` wins,
or the leader when ``time_limit_s`` runs out (level scores: a draw). A player who leaves
forfeits.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from game.rules.base import (
    MAX_INPUT_KEYS,
    Axis,
    Event,
    Game,
    InputField,
    InvalidInput,
    PlayerInfo,
    Result,
    Rng,
    Setting,
    Snapshot,
    finite,
    player_key,
    shared_places,
)

WIDTH, HEIGHT = 800.0, 500.0
PADDLE_W, PADDLE_H, PADDLE_MARGIN = 12.0, 90.0, 30.0
PADDLE_SPEED = 420.0  # px/s
BALL_RADIUS = 8.0
BALL_SPEED, BALL_SPEEDUP, BALL_MAX_SPEED = 320.0, 1.06, 900.0  # px/s, factor per return, px/s
BALL_SUBSTEP = 6.0  # px: under half a paddle's width plus the ball's, so no ball tunnels through
MAX_SERVE_ANGLE = math.radians(30)
MAX_BOUNCE_ANGLE = math.radians(55)
SERVE_DELAY_S = 1.0


class Pong(Game):
    """Pong's rules. See the module docstring for the game, `snapshot` for the view."""

    name = "pong"
    title = "Pong"
    titles: ClassVar[dict[str, str]] = {"hi": "पोंग"}
    min_players = 2
    max_players = 2
    settings_schema: ClassVar[dict[str, Setting]] = {"score_limit": Setting(5, 1, 3600),
                                                     "time_limit_s": Setting(120, 1, 3600)}
    # Negative is up; parse_input returns the float alone.
    input_schema: ClassVar[dict[str, InputField]] = {"my": Axis()}
    events: ClassVar[dict[str, str]] = {"serve": "the ball is served toward player `toward`",
                                        "return": "player `id` returned the ball",
                                        "point": "player `id` scored"}

    def __init__(self, *, seed: int, players: list[PlayerInfo], settings: dict[str, Any]):
        super().__init__(seed=seed, players=players, settings=settings)
        self.rng = Rng(seed)
        self.players = list(players[:2])
        self.paddle_y = {p.id: HEIGHT / 2 for p in self.players}
        self.controls = {p.id: 0.0 for p in self.players}
        self.scores = {p.id: 0 for p in self.players}
        self.time_left = float(self.settings["time_limit_s"])
        self.reason = ""
        self.forfeited: int | None = None
        self.bx, self.by, self.vx, self.vy = WIDTH / 2, HEIGHT / 2, 0.0, 0.0
        self.serve_in = SERVE_DELAY_S
        self.serve_toward = self.rng.randint(0, 1)  # 0: the left player, 1: the right one

    def side(self, player: int) -> int:
        """0 for the left paddle (the first seated player), 1 for the right."""
        return 0 if self.players and self.players[0].id == player else 1

    # -- inputs ------------------------------------------------------------------------
    @classmethod
    def parse_input(cls, payload: Any) -> float:
        """Validate ``{"my": -1..1}`` (negative is up): a missing ``my`` is 0, unknown keys
        are ignored, the value is clamped; a non-map, a non-number (bools included), NaN,
        inf, a number beyond float range or a heap of keys is refused."""
        if not isinstance(payload, dict):
            raise InvalidInput("a pong input is a map {my}")
        if len(payload) > MAX_INPUT_KEYS:
            raise InvalidInput("a pong input has too many fields")
        return finite(payload.get("my", 0.0), lo=-1.0, hi=1.0, name="my")

    def apply_input(self, player: int, cleaned: float) -> None:
        """Hold ``cleaned`` as the paddle's direction; the last input before a step wins."""
        if player in self.controls:
            self.controls[player] = cleaned

    def remove_player(self, player: int) -> None:
        """Called when ``player`` leaves for good: they forfeit and the match finishes now."""
        if player in self.scores and not self.finished:
            self.forfeited = player
            self.finished, self.reason = True, "forfeit"

    # -- simulation --------------------------------------------------------------------
    def step(self, dt: float) -> list[Event]:
        """Advance by ``dt`` seconds: paddles, then the serve pause or the ball, the clock,
        then the end of the match. A finished game does not change."""
        if self.finished:
            return []
        self.tick += 1
        events: list[Event] = []
        half = PADDLE_H / 2
        for pid, my in self.controls.items():
            self.paddle_y[pid] = min(HEIGHT - half, max(half, self.paddle_y[pid] + my * PADDLE_SPEED * dt))
        if self.serve_in > 0.0:
            self.serve_in -= dt
            if self.serve_in <= 1e-9:
                self._serve(events)
        else:
            self._move_ball(dt, events)
        self.time_left = max(0.0, self.time_left - dt)
        if any(s >= self.settings["score_limit"] for s in self.scores.values()):
            self.finished, self.reason = True, "score_limit"
        elif self.time_left <= 1e-9:  # float steps may leave a crumb
            self.finished, self.reason = True, "time_up"
        return events

    def _serve(self, events: list[Event]) -> None:
        self.serve_in = 0.0
        angle = self.rng.uniform(-MAX_SERVE_ANGLE, MAX_SERVE_ANGLE)
        direction = -1.0 if self.serve_toward == 0 else 1.0
        self.bx, self.by = WIDTH / 2, HEIGHT / 2
        self.vx, self.vy = direction * BALL_SPEED * math.cos(angle), BALL_SPEED * math.sin(angle)
        if self.serve_toward < len(self.players):
            events.append({"type": "serve", "toward": self.players[self.serve_toward].id})

    def _move_ball(self, dt: float, events: list[Event]) -> None:
        """Move the ball in sub-steps: walls, then paddles, then the goal lines."""
        substeps = max(1, math.ceil(math.hypot(self.vx, self.vy) * dt / BALL_SUBSTEP))
        for _ in range(substeps):
            self.bx += self.vx * dt / substeps
            self.by += self.vy * dt / substeps
            if self.by < BALL_RADIUS or self.by > HEIGHT - BALL_RADIUS:
                self.by = min(HEIGHT - BALL_RADIUS, max(BALL_RADIUS, self.by))
                self.vy = abs(self.vy) if self.by <= BALL_RADIUS else -abs(self.vy)
            for index, player in enumerate(self.players):
                if self._paddle_hit(index, player.id):
                    events.append({"type": "return", "id": player.id})
            if self.bx < -BALL_RADIUS or self.bx > WIDTH + BALL_RADIUS:
                self._point(0 if self.bx > WIDTH else 1, events)
                return

    def _paddle_hit(self, index: int, pid: int) -> bool:
        """Return the ball if it meets paddle ``index`` moving toward its goal; the farther
        from the paddle's centre, the steeper it leaves, and a little faster."""
        x = PADDLE_MARGIN if index == 0 else WIDTH - PADDLE_MARGIN - PADDLE_W
        moving_in = self.vx < 0 if index == 0 else self.vx > 0
        py = self.paddle_y[pid]
        if not moving_in or not (x - BALL_RADIUS <= self.bx <= x + PADDLE_W + BALL_RADIUS):
            return False
        if abs(self.by - py) > PADDLE_H / 2 + BALL_RADIUS:
            return False
        offset = max(-1.0, min(1.0, (self.by - py) / (PADDLE_H / 2)))
        speed = min(BALL_MAX_SPEED, math.hypot(self.vx, self.vy) * BALL_SPEEDUP)
        angle = offset * MAX_BOUNCE_ANGLE
        direction = 1.0 if index == 0 else -1.0
        self.vx, self.vy = direction * speed * math.cos(angle), speed * math.sin(angle)
        self.bx = x + PADDLE_W + BALL_RADIUS if index == 0 else x - BALL_RADIUS
        return True

    def _point(self, scorer_index: int, events: list[Event]) -> None:
        if scorer_index < len(self.players):
            scorer = self.players[scorer_index].id
            self.scores[scorer] += 1
            events.append({"type": "point", "id": scorer})
        self.serve_toward = 1 - scorer_index  # toward the player who lost the point
        self.bx, self.by, self.vx, self.vy = WIDTH / 2, HEIGHT / 2, 0.0, 0.0
        self.serve_in = SERVE_DELAY_S

    # -- views -------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """``g``: t = seconds left (0.1), sl = score limit. ``e``: paddles ``p<id>`` (y =
        centre, side = 0 left / 1 right, s = score, n = name; a forfeited paddle is not
        shown) and ``ball`` (x, y, vx, vy in px/s; at rest in the centre between points)."""
        entities: dict[str, dict[str, Any]] = {
            player_key(p.id): {"y": round(self.paddle_y[p.id], 1), "side": self.side(p.id), "s": self.scores[p.id],
                         "n": p.name}
            for p in self.players if p.id != self.forfeited}
        entities["ball"] = {"x": round(self.bx, 1), "y": round(self.by, 1), "vx": round(self.vx), "vy": round(self.vy)}
        return {"g": {"t": round(self.time_left, 1), "sl": self.settings["score_limit"]}, "e": entities}

    def result(self) -> Result:
        """Ranked by forfeit (last), score, then seat. The winner is whoever did not forfeit,
        else the higher score; level scores are a draw (None). Meaningful at any time."""
        ids = [p.id for p in self.players]
        ranking = sorted(ids, key=lambda pid: (pid == self.forfeited, -self.scores[pid], ids.index(pid)))
        winner = None
        if len(ids) == 2 and (self.forfeited is not None or self.scores[ranking[0]] > self.scores[ranking[1]]):
            winner = ranking[0]
        places = shared_places(ranking, lambda pid: (pid == self.forfeited, self.scores[pid]))
        return Result(scores=dict(self.scores), ranking=ranking, winner=winner, reason=self.reason or "aborted",
                      places=places)
