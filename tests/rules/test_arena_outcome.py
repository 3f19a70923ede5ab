"""Arena's outcome and state on the wire: snapshots, the same seed and inputs give the same match,
a bullet's entry, the broad phase against checking everything, and the golden trace.
(Movement, combat, pickups, the round and input parsing: test_arena.py.)"""

from __future__ import annotations

import json
import math
from itertools import chain

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from game.rules import arena
from game.rules.arena import Arena, Controls

from .helpers import of_type
from .test_arena import DT, new_game, place


def test_snapshot_has_short_fields_for_players_bullets_and_pickups():
    game = new_game()
    place(game, 1, 400.04, 300.06, aim=0.123)
    game.pickups["c50"] = ("coin", 1000.0, 300.0)
    game.pickups["h51"] = ("health", 1000.0, 600.0)
    game.apply_input(1, Controls(0, 0, 0.123, True))
    game.step(DT)
    snap = game.snapshot()
    assert set(snap) == {"g", "e"} and snap["g"] == {"t": 179.9, "sl": 10, "n": 1, "dt": DT}
    p1 = snap["e"]["p1"]
    assert set(p1) == {"x", "y", "a", "hp", "s", "k", "d", "al", "sp", "rs", "n"}
    assert (p1["x"], p1["y"], p1["a"], p1["n"], p1["al"], p1["rs"]) == (400.0, 300.1, 0.12, "p1", True, 0.0)
    bullets = [v for k, v in snap["e"].items() if k.startswith("b")]
    assert len(bullets) == 1 and set(bullets[0]) == {"x", "y", "vx", "vy", "o", "t"} and bullets[0]["o"] == 1
    assert round(math.hypot(bullets[0]["vx"], bullets[0]["vy"])) == arena.BULLET_SPEED
    assert snap["e"]["c50"] == {"x": 1000.0, "y": 300.0} and snap["e"]["h51"] == {"x": 1000.0, "y": 600.0}


def play_scripted(seed: int) -> tuple[list, list, object]:
    """Four players running, aiming and shooting in a scripted dance for 10 s."""
    game = new_game(4, seed=seed, time_limit_s=10)
    snapshots, events = [], []
    for tick in range(200):
        for pid in range(1, 5):
            angle = (tick * 0.07 * pid) % (2 * math.pi)
            game.apply_input(pid, Arena.parse_input({"mx": math.cos(angle), "my": math.sin(angle * 1.3),
                                                     "aim": angle * 2, "fire": tick % (pid + 2) == 0}))
        events.append(game.step(DT))
        snapshots.append(game.snapshot())
    return snapshots, events, game.result()


def test_replay_with_the_same_seed_and_inputs_is_identical():
    first = play_scripted(11)
    assert any(of_type(list(chain(*first[1])), "hit")), "the script should make something happen"
    assert first == play_scripted(11)


def test_a_different_seed_gives_a_different_match():
    assert play_scripted(11)[0] != play_scripted(12)[0]


def test_a_bullets_entry_never_changes_and_places_it_at_every_step():
    """Bullets fly straight: the entry first shown stays the same object all the flight (so
    deltas never carry it), and `bullet_at` puts it where the rules have it, give or take the
    rounding of its entry (0.1 px, 0.5 px/s)."""
    game = new_game(4, seed=5, time_limit_s=10)
    first_seen: dict[int, dict] = {}
    checked = 0
    for tick in range(200):
        for pid in range(1, 5):
            angle = (tick * 0.07 * pid) % (2 * math.pi)
            game.apply_input(pid, Controls(math.cos(angle), math.sin(angle), angle * 2, tick % (pid + 2) == 0))
        game.step(DT)
        snap = game.snapshot()
        for b in game.bullets:
            entry = snap["e"][f"b{b.id}"]
            assert first_seen.setdefault(b.id, entry) is entry
            x, y = arena.bullet_at(entry, snap["g"])
            assert math.hypot(x - b.x, y - b.y) < 1.0
            checked += 1
    assert checked > 200 and len(first_seen) > 20


def test_snapshots_are_msgpack_serialisable_and_small():
    snapshots, events, _ = play_scripted(3)
    for snap, tick_events in zip(snapshots, events, strict=True):
        assert msgpack.unpackb(msgpack.packb(snap), strict_map_key=False) == snap
        assert msgpack.unpackb(msgpack.packb(tick_events)) == tick_events
    sizes = [len(msgpack.packb(s, use_single_float=True)) for s in snapshots]
    assert max(sizes) < 2000


# -- the bullets' broad phase ------------------------------------------------------------
def _advance_every_check(game: Arena, b: arena.Bullet, dt: float) -> bool:
    """The bullet step as first written: every wall and every living player at every sub-step."""
    b.life -= dt
    substeps = max(1, math.ceil(arena.BULLET_SPEED * dt / arena.BULLET_SUBSTEP))
    sx, sy = b.vx * dt / substeps, b.vy * dt / substeps
    reach2 = (arena.PLAYER_RADIUS + arena.BULLET_RADIUS) ** 2
    targets = [f for f in game.fighters.values() if f.alive and f.info.id != b.owner]
    for _ in range(substeps):
        x = b.x = b.x + sx
        y = b.y = b.y + sy
        if not (0.0 <= x <= arena.WIDTH and 0.0 <= y <= arena.HEIGHT):
            return False
        for x0, y0, x1, y1 in arena._WALL_BOXES:
            if x0 <= x <= x1 and y0 <= y <= y1:
                return False
        for f in targets:
            if (f.x - x) ** 2 + (f.y - y) ** 2 <= reach2:
                game._hit(f, b.owner)
                return False
    return b.life > 1e-9


@settings(max_examples=300, deadline=None)
@given(bullets=st.lists(st.tuples(st.floats(-20, 1620), st.floats(-20, 920), st.floats(-math.pi, math.pi),
                                  st.integers(1, 4)), min_size=1, max_size=12),
       players=st.lists(st.tuples(st.floats(0, 1600), st.floats(0, 900)), min_size=4, max_size=4),
       dt=st.sampled_from([1 / 60, 1 / 30, 0.05, 0.1]))
def test_the_broad_phase_gives_the_same_outcome_as_checking_everything(bullets, players, dt):
    games = [new_game(4), new_game(4)]
    for game in games:
        for pid, (x, y) in enumerate(players, start=1):
            place(game, pid, x, y)
        game.fighters[4].protected_for = 1.0  # one absorbs hits
        game.bullets = [arena.Bullet(i, owner, x, y, math.cos(a) * arena.BULLET_SPEED,
                                     math.sin(a) * arena.BULLET_SPEED, 0.5)
                        for i, (x, y, a, owner) in enumerate(bullets)]
    fast, slow = games
    for _ in range(3):
        fast._step_bullets(dt)
        slow.bullets = [b for b in slow.bullets if _advance_every_check(slow, b, dt)]
    assert fast.bullets == slow.bullets
    assert fast.step_events == slow.step_events
    assert [(f.hp, f.alive, f.deaths, f.score) for f in fast.fighters.values()] == \
        [(f.hp, f.alive, f.deaths, f.score) for f in slow.fighters.values()]


# -- the rules' outcome is pinned ----------------------------------------------------------
def test_the_simulation_matches_its_golden_trace():
    """Seeded matches hash to the digests in tests/fixtures/arena_golden.json: an optimisation
    leaves them alone; a change of how a match plays bumps rules_version and regenerates them
    (tests/fixtures/arena_trace.py says how)."""
    from tests.fixtures.arena_trace import CASES, GOLDEN, trace_digest

    golden = json.loads(GOLDEN.read_text())
    assert golden.keys() == CASES.keys()
    for name, case in CASES.items():
        assert trace_digest(*case) == golden[name], f"{name}: the arena plays differently"
