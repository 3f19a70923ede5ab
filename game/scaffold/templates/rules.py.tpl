"""{{ title }}: a race for stars, the game `manage.py startgame` writes to be grown into
another (docs/new-game.md walks through it).

Each player moves a disc around a field, with the keys (a held direction) or toward a point
they clicked or tapped (a one-off input). A star lies somewhere; whoever touches it scores a
point and another appears, at a spot drawn with the game's `Rng`. The first to
``score_limit`` wins, else the leader when ``time_limit_s`` runs out (level scores: a draw).
A player who leaves is out of the match, their score kept; one player left alone wins by
forfeit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from game.rules.base import (
    Axis,
    Event,
    Game,
    InputField,
    Number,
    PlayerInfo,
    Result,
    Rng,
    Setting,
    Snapshot,
    player_key,
    shared_places,
)

WIDTH, HEIGHT = 800.0, 500.0  # px: the field; the browser module repeats these
RADIUS, STAR_RADIUS = 16.0, 12.0  # px
SPEED = 240.0  # px/s
STAR_MARGIN = 40.0  # px: a star never lies closer to an edge


@dataclass
class Disc:
    """One seated player's state."""

    info: PlayerInfo
    x: float
    y: float
    mx: float = 0.0
    my: float = 0.0
    target: tuple[float, float] | None = None  # a clicked point it walks to, until keys take over
    score: int = 0
    left: bool = False


class {{ Class }}(Game):
    """{{ title }}'s rules. See the module docstring for the game, `snapshot` for the view."""

    name = "{{ name }}"
    title = "{{ title }}"
    #: The title in the site's other languages (settings.LANGUAGES); translate it (docs/i18n.md).
    titles: ClassVar[dict[str, str]] = {"hi": "{{ title }}"}
    min_players = 2
    max_players = 8
    rules_version = 0  # bump when a change makes old replays play differently
    settings_schema: ClassVar[dict[str, Setting]] = {"score_limit": Setting(5, 1, 100),
                                                     "time_limit_s": Setting(60, 1, 3600)}
    # A held direction, and the optional point of a click (None in every input without one).
    input_schema: ClassVar[dict[str, InputField]] = {"mx": Axis(), "my": Axis(), "tx": Number(0.0, WIDTH),
                                                     "ty": Number(0.0, HEIGHT)}
    events: ClassVar[dict[str, str]] = {"star": "player `id` took the star and has `s` points"}
    # It ends by the shared reasons score_limit, time_up or forfeit (game/rules/base.py:
    # SHARED_REASONS). An end of its own is declared here with its words in each language, and
    # worded as `reason.<reason>` in the browser module's MESSAGES (docs/new-game.md):
    # reasons: ClassVar[dict[str, dict[str, str]]] = {"all_stars": {"en": "every star taken", "hi": "..."}}

    def __init__(self, *, seed: int, players: list[PlayerInfo], settings: dict[str, Any]):
        super().__init__(seed=seed, players=players, settings=settings)
        self.rng = Rng(seed)
        self.discs: dict[int, Disc] = {}
        for i, info in enumerate(players):  # evenly around the centre, in seat order
            angle = 2 * math.pi * i / max(1, len(players))
            self.discs[info.id] = Disc(info, WIDTH / 2 + 180 * math.cos(angle), HEIGHT / 2 + 180 * math.sin(angle))
        self.star = self._new_star()
        self.time_left = float(self.settings["time_limit_s"])
        self.reason = ""

    # -- inputs ------------------------------------------------------------------------
    # parse_input is the default one: a map of input_schema's fields, each cleaned.

    def apply_input(self, player: int, cleaned: dict[str, Any]) -> None:
        """Hold the direction; a click's point becomes the disc's target, and a held key
        cancels it. Unknown or gone players are ignored."""
        disc = self.discs.get(player)
        if disc is None or disc.left:
            return
        disc.mx, disc.my = cleaned["mx"], cleaned["my"]
        if cleaned["tx"] is not None and cleaned["ty"] is not None:
            disc.target = (cleaned["tx"], cleaned["ty"])
        elif disc.mx or disc.my:
            disc.target = None

    def remove_player(self, player: int) -> None:
        """Called when ``player`` leaves for good: out of play, score kept; one player left
        alone wins by forfeit."""
        disc = self.discs.get(player)
        if disc is None or disc.left:
            return
        disc.left = True
        if not self.finished and sum(1 for d in self.discs.values() if not d.left) < 2:
            self._finish("forfeit")

    # -- simulation --------------------------------------------------------------------
    def step(self, dt: float) -> list[Event]:
        """Advance by ``dt`` seconds: every disc moves in seat order and takes the star if it
        touches it, then the clock, then the end of the match. A finished game no longer
        changes."""
        if self.finished:
            return []
        self.tick += 1
        events: list[Event] = []
        for disc in self.discs.values():
            if not disc.left:
                self._move(disc, dt)
                if math.hypot(disc.x - self.star[0], disc.y - self.star[1]) <= RADIUS + STAR_RADIUS:
                    disc.score += 1
                    self.star = self._new_star()
                    events.append({"type": "star", "id": disc.info.id, "s": disc.score})
        self.time_left = max(0.0, self.time_left - dt)
        if any(d.score >= self.settings["score_limit"] for d in self.discs.values()):
            self._finish("score_limit")
        elif self.time_left <= 1e-9:  # float steps may leave a crumb
            self._finish("time_up")
        return events

    def _finish(self, reason: str) -> None:
        self.finished, self.reason = True, reason

    def _move(self, disc: Disc, dt: float) -> None:
        """Toward the target when there is one (stopping on it), else along the held
        direction (normalised when longer than 1); the field's edges stop it."""
        dx, dy = disc.mx, disc.my
        if disc.target is not None:
            dx, dy = disc.target[0] - disc.x, disc.target[1] - disc.y
            if math.hypot(dx, dy) <= SPEED * dt:
                disc.x, disc.y, disc.target = disc.target[0], disc.target[1], None
                return
        length = math.hypot(dx, dy)
        if length > 1.0 or (disc.target is not None and length > 0.0):
            dx, dy = dx / length, dy / length
        disc.x = min(WIDTH - RADIUS, max(RADIUS, disc.x + dx * SPEED * dt))
        disc.y = min(HEIGHT - RADIUS, max(RADIUS, disc.y + dy * SPEED * dt))

    def _new_star(self) -> tuple[float, float]:
        return (round(self.rng.uniform(STAR_MARGIN, WIDTH - STAR_MARGIN), 1),
                round(self.rng.uniform(STAR_MARGIN, HEIGHT - STAR_MARGIN), 1))

    # -- views -------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """``g``: t = seconds left (0.1), sl = score limit. ``e``: players ``p<id>`` (x, y,
        s = score, n = name; those who left are not shown) and ``star`` (x, y)."""
        entities: dict[str, dict[str, Any]] = {
            player_key(d.info.id): {"x": round(d.x, 1), "y": round(d.y, 1), "s": d.score, "n": d.info.name}
            for d in self.discs.values() if not d.left}
        entities["star"] = {"x": self.star[0], "y": self.star[1]}
        return {"g": {"t": round(self.time_left, 1), "sl": self.settings["score_limit"]}, "e": entities}

    # Everyone sees the whole snapshot. For hidden information define ``view(self, seat)``: the
    # snapshot as seated player ``seat`` sees it (``None``: spectators); the engine then sends
    # each socket its own view only (docs/new-game.md, 8: a dice game hides each player's dice). For a
    # turn-based game set ``turn_based = True`` (no frame while nothing changed, the loop rests
    # between moves), ``volatile`` (a turn clock), ``wake_in()`` (its timer), and refuse a move
    # with ``raise MoveRefused(reason)``, ``reason`` one of ``refusals`` (docs/new-game.md, 8).

    def result(self) -> Result:
        """Ranked by score, then seat, those who left last. The winner is the top player who
        stayed when alone or ahead of the next; equal top scores are a draw (None).
        Meaningful at any time (an aborted match has the reason "aborted")."""
        d = self.discs
        seats = list(d)
        ranking = sorted(seats, key=lambda pid: (d[pid].left, -d[pid].score, seats.index(pid)))
        stayed = [pid for pid in ranking if not d[pid].left]
        winner = None
        if len(stayed) == 1 or (len(stayed) > 1 and d[stayed[0]].score > d[stayed[1]].score):
            winner = stayed[0]
        return Result(scores={pid: x.score for pid, x in d.items()}, ranking=ranking, winner=winner,
                      reason=self.reason or "aborted",
                      places=shared_places(ranking, lambda pid: (d[pid].left, d[pid].score)))
