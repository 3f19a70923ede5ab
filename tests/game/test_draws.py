"""Draws: players with equal scores share a place, from the rules to the saved results and
the ratings (Glicko-2 scores a tie 0.5). The issue: a 0-0 arena match that ran out of time
said "Draw" yet rated the player who joined first as the winner (1662/1338)."""

from __future__ import annotations

import asyncio

import pytest

from game import ratings, services
from game.engine.replay import decode, replay_result
from game.models import Match, Rating
from game.rules.arena import Arena
from game.rules.base import PlayerInfo, Result
from game.rules.pong import Pong
from game.selectors import replay_differences
from tests.engine.helpers import make_loop
from tests.engine.test_lifecycle import DT, join

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_result_without_places_ranks_by_its_order():
    result = Result(scores={1: 3, 2: 3}, ranking=[2, 1], winner=None, reason="time_up")
    assert result.ranks() == {2: 1, 1: 2}


def test_arena_players_with_equal_scores_share_a_place_and_leavers_come_last():
    game = Arena(seed=1, players=[PlayerInfo(i, f"p{i}") for i in range(1, 6)], settings={})
    for pid, (score, deaths) in {1: (3, 2), 2: (3, 0), 3: (5, 9), 4: (1, 0), 5: (3, 0)}.items():
        game.fighters[pid].score, game.fighters[pid].deaths = score, deaths
    game.remove_player(5)
    result = game.result()
    assert result.ranking == [3, 2, 1, 4, 5]  # unchanged: the display order
    assert result.ranks() == {3: 1, 2: 2, 1: 2, 4: 4, 5: 5}


def test_pong_level_scores_share_first_place():
    game = Pong(seed=1, players=[PlayerInfo(1, "a"), PlayerInfo(2, "b")], settings={})
    assert game.result().ranks() == {1: 1, 2: 1}
    game.scores[2] = 1
    assert game.result().ranks() == {2: 1, 1: 2}


def test_glicko_rates_a_shared_place_as_a_tie():
    even = {1: ratings.Rating(), 2: ratings.Rating(), 3: ratings.Rating()}
    new = ratings.match_updates(even, {1: 1, 2: 1, 3: 1})
    assert all(r.rating == pytest.approx(1500, abs=1e-6) for r in new.values())
    new = ratings.match_updates(even, {1: 1, 2: 1, 3: 3})
    assert new[1].rating == pytest.approx(new[2].rating) and new[1].rating > 1500 > new[3].rating


async def drawn_record(names: list[str]) -> dict:
    """An arena match of ``names`` in which nobody touches anything until time runs out."""
    loop, _clock, hooks = make_loop(game_cls=Arena, max_players=8)
    people = [await join(loop, name, creator=i == 0) for i, name in enumerate(names)]
    loop.submit_command(people[0][0].id, "settings", {"settings": {"time_limit_s": 1}})
    for member, _conn in people[1:]:
        loop.submit_command(member.id, "ready", {"ready": True})
    loop.submit_command(people[0][0].id, "start", {})
    for _ in range(2_000):
        loop.step_tick(DT)
        if hooks.saved:
            return hooks.saved[-1]
    raise AssertionError("the match did not end")


@pytest.mark.parametrize("names", [["alice", "bob"], ["alice", "bob", "carol"]])
def test_a_timed_out_draw_is_saved_as_a_shared_first_place_and_rated_as_ties(names):
    record = asyncio.run(drawn_record(names))
    assert record["winner"] is None and record["reason"] == "time_up"
    assert [r["rank"] for r in record["results"]] == [1] * len(names)
    assert services.match_record(record=record) is True
    match = Match.objects.get()
    assert list(match.results.values_list("rank", flat=True)) == [1] * len(names)
    rows = list(Rating.objects.all())
    assert len(rows) == len(names) and all(r.rating == pytest.approx(1500, abs=1e-6) for r in rows)
    replay = decode(match.replay)
    assert replay_differences(replay, replay_result(replay), match) == []
