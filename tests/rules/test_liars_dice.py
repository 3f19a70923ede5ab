"""Liar's Dice: bids, calls, wild ones, the turn clock's timeout action, what each seat sees."""

from __future__ import annotations

import pytest

from game.rules.base import MoveRefused, PlayerInfo
from game.rules.liars_dice import REVEAL_S, LiarsDice, counts, raises

DT = 0.05


def new(n=3, **settings):
    return LiarsDice(seed=11, players=[PlayerInfo(i, f"p{i}") for i in range(1, n + 1)], settings=settings)


def move(game, pid, **d):
    game.apply_input(pid, LiarsDice.parse_input(d))
    return game.step(DT)


def test_counting_and_raising():
    assert counts([1, 2, 2, 5], 2, True) == 3 and counts([1, 2, 2, 5], 2, False) == 2
    assert counts([1, 1, 3], 1, True) == 2  # ones are not wild in a bid on ones
    assert raises(3, 2, 2, 6) and raises(2, 5, 2, 4) and not raises(2, 4, 2, 4) and not raises(1, 6, 2, 2)


def test_each_seat_sees_its_own_dice_only_and_spectators_none():
    game = new()
    for seat in (1, 2, 3):
        view = game.view(seat)
        for pid in (1, 2, 3):
            entity = view["e"][f"p{pid}"]
            assert ("d" in entity) == (pid == seat)
            assert entity["k"] == 5 and entity["s"] == 5
    assert all("d" not in e for e in game.view(None)["e"].values())
    assert all(len(e["d"]) == 5 for e in game.snapshot()["e"].values())  # the whole truth (replays)


def test_moves_out_of_turn_or_too_low_are_refused_with_a_reason_and_change_nothing():
    game = new()
    before = game.snapshot()
    with pytest.raises(MoveRefused) as refused:
        game.apply_input(2, LiarsDice.parse_input({"bq": 2, "bf": 3}))
    assert refused.value.reason == "not_your_turn" and game.snapshot() == before
    for d, reason in (({"call": True}, "nothing_to_call"), ({"bq": 2, "bf": 0}, "bad_face"),
                      ({"bq": 16, "bf": 3}, "bad_quantity")):
        with pytest.raises(MoveRefused) as refused:
            game.apply_input(1, LiarsDice.parse_input(d))
        assert refused.value.reason == reason and reason in LiarsDice.refusals
    move(game, 1, bq=3, bf=4)
    assert game.view(None)["g"]["tu"] == 2
    for d in ({"bq": 3, "bf": 4}, {"bq": 3, "bf": 2}, {"bq": 2, "bf": 6}):
        with pytest.raises(MoveRefused) as refused:
            game.apply_input(2, LiarsDice.parse_input(d))
        assert refused.value.reason == "too_low"
    assert move(game, 2, bq=3, bf=5) == [{"type": "bid", "id": 2, "q": 3, "f": 5}]
    assert move(game, 3, bq=0) == []  # an empty input is no move


def test_a_call_lifts_the_cups_and_the_wrong_one_loses_a_die():
    game = new(wild_ones=False)
    face = game.dice[1][0]
    table = sum(counts(game.dice[p], face, False) for p in (1, 2, 3))
    move(game, 1, bq=table, bf=face)  # true: the caller loses
    events = move(game, 2, call=True)
    assert events[0]["type"] == "call" and events[0]["count"] == table and events[0]["loser"] == 2
    assert game.held[2] == 4
    assert all("d" in e for e in game.view(1)["e"].values())  # cups lifted: everyone sees
    assert game.view(None)["g"]["rv"]["loser"] == 2
    with pytest.raises(MoveRefused):
        game.apply_input(2, LiarsDice.parse_input({"bq": 1, "bf": 1}))
    for _ in range(int(REVEAL_S / DT) + 1):
        game.step(DT)
    view = game.view(None)
    assert "rv" not in view["g"] and view["g"]["tu"] == 2 and view["g"]["rd"] == 2  # the loser opens
    assert len(game.dice[2]) == 4 and all("d" not in e for e in view["e"].values())


def test_the_turn_clock_runs_out_into_the_rules_timeout_action():
    game = new(turn_time=5)
    assert game.wake_in() == pytest.approx(5.0)
    events = []
    for _ in range(int(5 / DT) + 1):
        events += game.step(DT)
    assert [e["type"] for e in events] == ["timeout", "bid"]  # no bid yet: it opens with one die
    assert game.bid == (1, game.dice[1][0], 1)
    events = []
    for _ in range(int(5 / DT) + 1):
        events += game.step(DT)
    assert [e["type"] for e in events] == ["timeout", "call"]  # a bid stands: it is called
    assert events[1]["id"] == 2


def test_the_volatile_clock_is_the_only_thing_that_changes_between_moves():
    game = new()
    before = game.view(1)
    game.step(DT)
    after = game.view(1)
    assert {k for k in after["g"] if after["g"][k] != before["g"][k]} == {"tl"} <= LiarsDice.volatile
    assert after["e"] == before["e"]


def test_players_leaving_end_the_match_with_the_last_one_standing():
    game = new()
    game.remove_player(1)
    assert not game.finished and game.view(None)["g"]["tu"] == 2
    game.remove_player(3)
    assert game.finished
    result = game.result()
    assert result.winner == 2 and result.ranking == [2, 3, 1] and result.reason == "last_standing"


def test_the_same_seed_rolls_the_same_dice():
    assert new().dice == new().dice
    assert new().dice != LiarsDice(seed=12, players=[PlayerInfo(i, "x") for i in (1, 2, 3)], settings={}).dice


def test_skipping_quiet_steps_leaves_the_game_as_single_steps_do():
    for steps in (1, 7, 99, 100, 101, 250, 5000):
        one, many = new(turn_time=5), new(turn_time=5)
        move(one, 1, bq=2, bf=3)
        move(many, 1, bq=2, bf=3)
        singles = []
        for _ in range(steps):
            singles += one.step(DT)
        assert many.skip(steps, DT) == singles
        assert many.snapshot() == one.snapshot() and many.left_us == one.left_us and many.tick == one.tick
