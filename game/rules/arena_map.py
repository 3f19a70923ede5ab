"""The arena's floor: its size, walls and spawn points, and how a player moves on it.

Kept apart from the rules (game/rules/arena.py) because the browser repeats `move` to predict
its own player (``frontend/src/games/arena.js``), and both copies are checked against
``tests/fixtures/arena_movement.json``. Changing `move` means regenerating that fixture
(``python -m tests.fixtures.make_arena_movement``) and porting the change. Pure: no Django,
no Channels.
"""

from __future__ import annotations

import math
from typing import Any

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

#: What the browser's prediction port needs, written into the shared movement fixture.
WORLD: dict[str, Any] = {"width": WIDTH, "height": HEIGHT, "player_radius": PLAYER_RADIUS,
                         "speed": SPEED, "max_substep": MAX_SUBSTEP, "walls": [list(w) for w in WALLS]}
# Each wall grown by the player's radius, as (x0, y0, x1, y1, wall): where a centre may not be.
_GROWN_WALLS = tuple((wx - PLAYER_RADIUS, wy - PLAYER_RADIUS, wx + ww + PLAYER_RADIUS, wy + wh + PLAYER_RADIUS,
                      (wx, wy, ww, wh)) for wx, wy, ww, wh in WALLS)


_WALL_BOXES = tuple((x, y, x + w, y + h) for x, y, w, h in WALLS)

# The floor cut into square cells, each with the (grown) walls that touch it, in WALLS order:
# a point is tested against its cell's few walls instead of all of them (same answers).
_CELL = 50.0
_COLUMNS, _ROWS = math.ceil(WIDTH / _CELL), math.ceil(HEIGHT / _CELL)


def _walls_by_cell(boxes: tuple[tuple, ...]) -> tuple[tuple[tuple, ...], ...]:
    return tuple(tuple(box for box in boxes if box[0] <= (cx + 1) * _CELL and cx * _CELL <= box[2]
                       and box[1] <= (cy + 1) * _CELL and cy * _CELL <= box[3])
                 for cy in range(_ROWS) for cx in range(_COLUMNS))


_GROWN_BY_CELL = _walls_by_cell(_GROWN_WALLS)
_BOXES_BY_CELL = _walls_by_cell(_WALL_BOXES)


def _blocked(x: float, y: float) -> tuple[float, float, float, float] | None:
    """The wall a player centred at (x, y) overlaps, if any (walls grown by the radius)."""
    if 0.0 <= x < WIDTH and 0.0 <= y < HEIGHT:
        candidates = _GROWN_BY_CELL[int(y // _CELL) * _COLUMNS + int(x // _CELL)]
    else:
        candidates = _GROWN_WALLS
    for x0, y0, x1, y1, wall in candidates:
        if x0 < x < x1 and y0 < y < y1:
            return wall
    return None


def move(x: float, y: float, mx: float, my: float, dt: float) -> tuple[float, float]:
    """One movement step: direction (mx, my) normalised if longer than 1, at SPEED for dt
    seconds, stopped by the world's edges and the walls. The step is cut into sub-steps of
    at most MAX_SUBSTEP px so no wall is jumped over, each resolved x first, then y.

    Pure and deterministic; ported to JavaScript, so keep it to plain float arithmetic."""
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
    x += dx
    x = r if x < r else WIDTH - r if x > WIDTH - r else x
    if dx != 0.0 and (wall := _blocked(x, y)) is not None:
        x = wall[0] - r if dx > 0 else wall[0] + wall[2] + r
    y += dy
    y = r if y < r else HEIGHT - r if y > HEIGHT - r else y
    if dy != 0.0 and (wall := _blocked(x, y)) is not None:
        y = wall[1] - r if dy > 0 else wall[1] + wall[3] + r
    return x, y
