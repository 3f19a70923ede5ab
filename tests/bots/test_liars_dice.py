"""The Liar's Dice bot: it plays from its own seat's view (never the others' dice), every move
it makes is one the rules accept, and the difficulty levels differ in strength."""

from __future__ import annotations

from game.bots import make_policy
from game.rules.base import PlayerInfo, Rng
from game.rules.liars_dice import LiarsDice

from .helpers import play


def test_bots_play_a_whole_match_with_moves_the_rules_accept():
    for seed in range(3):
        played = play("liars_dice", {1: "hard", 2: "normal", 3: "easy"}, seed=seed, turn_time=10)
        assert played.result.reason == "last_standing" and played.result.winner is not None
        assert played.refused == []
        assert {"bid", "call"} <= {e["type"] for e in played.events}
        assert not any(e["type"] == "timeout" for e in played.events)  # bots move in time


def test_a_bot_decides_from_its_own_view_only():
    game = LiarsDice(seed=5, players=[PlayerInfo(1, "a"), PlayerInfo(2, "b")], settings={})
    policy = make_policy("liars_dice", member_id=1, difficulty="hard", rng=Rng(1), tick_rate_hz=20)
    moves = [policy.act(game.view(1)) for _ in range(30)]  # 1.5 s: one think time
    made = [m for m in moves if m]
    assert len(made) == 1 and made[0]["bq"] >= 1  # one opening bid, after thinking
    other = game.view(1)["e"]["p2"]
    assert "d" not in other  # what it read held no dice of the other player


def test_harder_bots_win_more():
    wins = sum(play("liars_dice", {1: "hard", 2: "easy"}, seed=s, turn_time=10).result.winner == 1
               for s in range(20))
    assert wins >= 15
