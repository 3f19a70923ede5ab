"""What each difficulty does differently, on hand-made snapshots: reaction delay, decision
rate, foreseeing bounces, leading a target, line of fire, going round walls, health, dodging."""

from __future__ import annotations

import math

import pytest

from game.bots import make_policy
from game.bots.arena import ArenaBot, is_clear, line_of_fire
from game.bots.pong import FACE_X, PongBot
from game.rules import arena, pong
from game.rules.arena import Arena
from game.rules.base import PlayerInfo, Rng

RATE = 20


def bot(game: str, level: str, member_id: int = 1, seed: int = 1):
    return make_policy(game, member_id=member_id, difficulty=level, rng=Rng(seed), tick_rate_hz=RATE)


# -- shared machinery ----------------------------------------------------------------------
def test_levels_differ_in_reaction_and_decision_rate():
    for game in ("arena", "pong"):
        easy, normal, hard = (bot(game, level) for level in ("easy", "normal", "hard"))
        assert easy.reaction_ticks > normal.reaction_ticks > hard.reaction_ticks
        assert easy.decide_ticks > normal.decide_ticks >= hard.decide_ticks == 1


def test_between_decisions_a_bot_holds_its_input():
    policy = bot("pong", "easy")
    snap = pong_snapshot(ball=(400.0, 100.0, -300.0, 0.0), paddle=400.0)
    held = [policy.act(snap) for _ in range(policy.decide_ticks * 3)]
    for start in range(0, len(held), policy.decide_ticks):
        chunk = held[start:start + policy.decide_ticks]
        assert all(h is chunk[0] for h in chunk)


def test_tick_rate_turns_seconds_into_ticks():
    slow = make_policy("arena", member_id=1, difficulty="easy", rng=Rng(1), tick_rate_hz=10)
    fast = make_policy("arena", member_id=1, difficulty="easy", rng=Rng(1), tick_rate_hz=60)
    reaction_s, decide_s = ArenaBot.SKILLS["easy"].reaction_s, ArenaBot.SKILLS["easy"].decide_every_s
    assert (slow.reaction_ticks, fast.reaction_ticks) == (round(reaction_s * 10), round(reaction_s * 60))
    assert (slow.decide_ticks, fast.decide_ticks) == (round(decide_s * 10), round(decide_s * 60))
    assert fast.reaction_ticks > slow.reaction_ticks


# -- pong ----------------------------------------------------------------------------------
def pong_snapshot(*, ball: tuple[float, float, float, float], paddle: float, other: float = 250.0) -> dict:
    x, y, vx, vy = ball
    return {"g": {"t": 100.0, "sl": 5}, "e": {
        "p1": {"y": paddle, "side": 0, "s": 0, "n": "bot"},
        "p2": {"y": other, "side": 1, "s": 0, "n": "them"},
        "ball": {"x": x, "y": y, "vx": vx, "vy": vy}}}


def test_pong_reaction_delay_is_in_ticks():
    """The ball was at rest, then comes toward the bot: each level starts moving only once
    its reaction delay has passed (and at its next decision)."""
    first_move = {}
    for level in ("easy", "normal", "hard"):
        policy = bot("pong", level)
        rest = pong_snapshot(ball=(400.0, 250.0, 0.0, 0.0), paddle=250.0)
        for _ in range(10):
            policy.act(rest)
        coming = pong_snapshot(ball=(400.0, 120.0, -320.0, 0.0), paddle=250.0)
        first_move[level] = next(t for t in range(40) if policy.act(coming)["my"] != 0.0)
        assert first_move[level] >= policy.reaction_ticks
    assert first_move["easy"] > first_move["normal"] > first_move["hard"]


def test_pong_hard_foresees_a_bounce_and_easy_does_not():
    """The ball heads down into the bottom wall and bounces up before reaching the paddle."""
    ball = (600.0, 400.0, -400.0, 400.0)
    hard, easy = PongBot(member_id=1, difficulty="hard", rng=Rng(3), tick_rate_hz=RATE), bot("pong", "easy")
    assert hard._intercept({"x": 600.0, "y": 400.0, "vx": -400.0, "vy": 400.0}, FACE_X[0]) == pytest.approx(
        2 * (pong.HEIGHT - pong.BALL_RADIUS) - (400.0 + (600.0 - FACE_X[0])))
    snap = pong_snapshot(ball=ball, paddle=250.0)
    hard_move = [hard.act(snap)["my"] for _ in range(10)][-1]
    easy_move = [easy.act(snap)["my"] for _ in range(10)][-1]
    predicted = hard._intercept(snap["e"]["ball"], FACE_X[0])
    assert predicted < pong.HEIGHT / 2  # folded back up, past the middle
    assert hard_move < 0 < easy_move  # hard goes up to meet it; easy goes down to the wall


def test_pong_hard_angles_returns_away_from_the_opponent():
    """Opponent high: hard meets the ball below the paddle's centre (the ball leaves downward)."""
    policy = PongBot(member_id=1, difficulty="hard", rng=Rng(2), tick_rate_hz=RATE)
    policy.act(pong_snapshot(ball=(400.0, 250.0, -300.0, 0.0), paddle=250.0, other=80.0))
    assert policy.offset > 0.5 * pong.PADDLE_H / 2
    policy = PongBot(member_id=1, difficulty="hard", rng=Rng(2), tick_rate_hz=RATE)
    policy.act(pong_snapshot(ball=(400.0, 250.0, -300.0, 0.0), paddle=250.0, other=420.0))
    assert policy.offset < -0.5 * pong.PADDLE_H / 2


def test_pong_bot_uses_its_level_top_speed():
    far = pong_snapshot(ball=(400.0, 450.0, -300.0, 0.0), paddle=50.0)
    assert bot("pong", "easy").act(far)["my"] == pytest.approx(0.6)
    assert bot("pong", "hard").act(far)["my"] == pytest.approx(1.0)


def test_pong_bot_idles_without_its_paddle_or_a_ball():
    policy = bot("pong", "hard", member_id=9)
    assert policy.act(pong_snapshot(ball=(400.0, 250.0, -300.0, 0.0), paddle=250.0)) == {"my": 0.0}
    assert bot("pong", "hard").act({"g": {}, "e": {}}) == {"my": 0.0}


# -- arena ---------------------------------------------------------------------------------
def fighter(x: float, y: float, *, hp: int = 100, alive: bool = True, protected: bool = False) -> dict:
    return {"x": x, "y": y, "a": 0.0, "hp": hp, "s": 0, "k": 0, "d": 0, "al": alive, "sp": protected,
            "rs": 0.0, "n": "x"}


def arena_snapshot(**entities: dict) -> dict:
    return {"g": {"t": 100.0, "sl": 10}, "e": entities}


def feed(policy: ArenaBot, frames: list[dict]) -> dict:
    raw = {}
    for frame in frames:
        raw = policy.act(frame)
    return raw


def test_arena_hard_leads_a_moving_target_and_easy_does_not():
    """The target crosses the bot's view downward at full speed, 500 px away."""
    frames = [arena_snapshot(p1=fighter(300.0, 450.0), p2=fighter(800.0, 300.0 + arena.SPEED * t / RATE))
              for t in range(30)]
    target_angle = math.atan2(frames[-1]["e"]["p2"]["y"] - 450.0, 500.0)
    hard = feed(ArenaBot(member_id=1, difficulty="hard", rng=Rng(4), tick_rate_hz=RATE), frames)
    easy = feed(ArenaBot(member_id=1, difficulty="easy", rng=Rng(4), tick_rate_hz=RATE), frames)
    assert hard["aim"] - target_angle > 0.2  # aimed well ahead (down) of where the target is
    assert easy["aim"] < target_angle  # aims at where it saw the target, which was behind


def test_careful_bots_hold_fire_without_a_line_of_fire_and_easy_does_not():
    # The centre wall (740..860, 390..510) stands between them.
    assert not line_of_fire(600.0, 450.0, 1000.0, 450.0)
    snap = arena_snapshot(p1=fighter(600.0, 450.0), p2=fighter(1000.0, 450.0))
    fired = {level: sum(ArenaBot(member_id=1, difficulty=level, rng=Rng(s), tick_rate_hz=RATE).act(snap)["fire"]
                        for s in range(20)) for level in ("easy", "normal", "hard")}
    assert fired["normal"] == fired["hard"] == 0 and fired["easy"] > 0


def test_careful_bots_hold_fire_at_a_protected_target():
    snap = arena_snapshot(p1=fighter(300.0, 300.0), p2=fighter(600.0, 300.0, protected=True))
    assert not any(ArenaBot(member_id=1, difficulty="hard", rng=Rng(s), tick_rate_hz=RATE).act(snap)["fire"]
                   for s in range(10))
    snap = arena_snapshot(p1=fighter(300.0, 300.0), p2=fighter(600.0, 300.0))
    assert all(ArenaBot(member_id=1, difficulty="hard", rng=Rng(s), tick_rate_hz=RATE).act(snap)["fire"]
               for s in range(10))


def test_a_hurt_bot_goes_for_health_unless_easy():
    snap = arena_snapshot(p1=fighter(400.0, 300.0, hp=25), p2=fighter(1000.0, 300.0), h5={"x": 400.0, "y": 700.0})
    hard = ArenaBot(member_id=1, difficulty="hard", rng=Rng(1), tick_rate_hz=RATE).act(snap)
    easy = ArenaBot(member_id=1, difficulty="easy", rng=Rng(1), tick_rate_hz=RATE).act(snap)
    assert hard["my"] > 0.9  # straight down to the pack
    assert easy["mx"] > 0.5  # toward the enemy


def test_a_bot_goes_for_a_near_coin():
    snap = arena_snapshot(p1=fighter(400.0, 300.0), p2=fighter(1000.0, 300.0), c3={"x": 200.0, "y": 300.0})
    raw = ArenaBot(member_id=1, difficulty="normal", rng=Rng(1), tick_rate_hz=RATE).act(snap)
    assert raw["mx"] < -0.8


def test_hard_sidesteps_a_bullet_coming_at_it():
    bullet = {"x": 500.0, "y": 300.0, "vx": arena.BULLET_SPEED, "vy": 0.0, "o": 2}
    snap = arena_snapshot(p1=fighter(700.0, 300.0), p2=fighter(300.0, 300.0), b9=bullet)
    raw = ArenaBot(member_id=1, difficulty="hard", rng=Rng(1), tick_rate_hz=RATE).act(snap)
    assert abs(raw["my"]) > 0.9 and abs(raw["mx"]) < 0.4  # across the bullet's path


def test_a_bot_sees_a_bullet_where_it_is_now_not_where_its_entry_was():
    """A bullet's entry holds where it was at step t (game.rules.arena.bullet_at)."""
    def act(entry_x: float | None, steps_since: int) -> dict:
        bullets = {} if entry_x is None else {
            "b9": {"x": entry_x, "y": 300.0, "vx": arena.BULLET_SPEED, "vy": 0.0, "o": 2, "t": 0}}
        snap = arena_snapshot(p1=fighter(700.0, 300.0), p2=fighter(300.0, 300.0), **bullets)
        snap["g"].update(n=steps_since, dt=0.05)
        return ArenaBot(member_id=1, difficulty="hard", rng=Rng(1), tick_rate_hz=RATE).act(snap)
    unthreatened = act(None, 10)
    coming = act(150.0, 5)  # now at 325 px, flying at it
    assert abs(coming["my"]) > 0.9 and abs(coming["mx"]) < 0.4 and coming != unthreatened
    gone = act(500.0, 10)  # shown at 500 px, but now at 850 px: past it, flying away
    assert gone == unthreatened
    assert act(500.0, 0) != unthreatened  # where its entry was, it would be a threat


def test_steering_keeps_clear_of_walls_and_edges():
    assert not is_clear(800.0, 450.0) and not is_clear(5.0, 450.0) and is_clear(100.0, 100.0)
    policy = ArenaBot(member_id=1, difficulty="hard", rng=Rng(1), tick_rate_hz=RATE)
    mx, my = policy._steer(700.0, 450.0, 1.0, 0.0)  # the centre wall is right ahead
    assert abs(my) > 0.3 and is_clear(700.0 + mx * 56, 450.0 + my * 56)


@pytest.mark.parametrize("level", ["easy", "normal", "hard"])
def test_a_bot_finds_its_way_round_the_centre_wall_to_a_target(level):
    """Bot and target face each other through the centre wall; the bot must go round it."""
    assert not line_of_fire(640.0, 450.0, 960.0, 450.0)
    game = Arena(seed=1, players=[PlayerInfo(1, "bot"), PlayerInfo(2, "target")], settings={})
    for pid, (x, y) in {1: (640.0, 450.0), 2: (960.0, 450.0)}.items():
        f = game.fighters[pid]
        f.x, f.y, f.protected_for = x, y, 0.0
    policy = ArenaBot(member_id=1, difficulty=level, rng=Rng(8), tick_rate_hz=RATE)
    snap = game.snapshot()
    for _ in range(RATE * 15):
        game.apply_input(1, Arena.parse_input(policy.act(snap)))
        game.step(1 / RATE)
        snap = game.snapshot()
        if game.fighters[2].hp < 100 or not game.fighters[2].alive:
            break
    assert game.fighters[2].hp < 100 or game.fighters[2].deaths


def test_an_arena_bot_that_is_dead_or_absent_lets_go():
    dead = arena_snapshot(p1=fighter(300.0, 300.0, alive=False), p2=fighter(600.0, 300.0))
    raw = ArenaBot(member_id=1, difficulty="hard", rng=Rng(1), tick_rate_hz=RATE).act(dead)
    assert (raw["mx"], raw["my"], raw["fire"]) == (0.0, 0.0, False)
    alone = ArenaBot(member_id=1, difficulty="hard", rng=Rng(1), tick_rate_hz=RATE).act(arena_snapshot())
    assert Arena.parse_input(alone) == Arena.parse_input({})
