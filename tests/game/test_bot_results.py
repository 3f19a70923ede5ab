"""Bots in saved results: each bot is a Player row with a Result, never a rating; people
are rated by their order among themselves."""

from __future__ import annotations

import uuid

import pytest

from game import services
from game.models import Match, Player, Rating, Result

pytestmark = pytest.mark.django_db(transaction=True)


def entry(pid: int, name: str, identity: str, score: int, rank: int) -> dict:
    return {"id": pid, "name": name, "identity": identity, "user_id": None, "score": score, "rank": rank,
            "winner": rank == 1}


def record(results: list[dict], status: str = "finished") -> dict:
    return {"match_id": uuid.uuid4().hex, "lobby": "BOTS22", "game": "arena", "seed": 1, "status": status,
            "reason": "score_limit", "settings": {"bots": 2}, "ticks": 400, "tick_rate": 20,
            "started_ms": 1.7e12, "ended_ms": 1.7e12 + 20_000, "winner": results[0]["id"], "results": results}


def test_bots_get_results_but_no_ratings_and_people_are_rated_among_themselves():
    saved = record([entry(3, "Bot 1 (hard)", "bot:BOTS22:1", 10, 1), entry(1, "alice", "g:alice", 6, 2),
                    entry(4, "Bot 2 (hard)", "bot:BOTS22:2", 5, 3), entry(2, "bob", "g:bob", 2, 4)])
    assert services.match_record(record=saved) is True
    match = Match.objects.get()
    assert match.winner.identity == "bot:BOTS22:1" and match.winner.nickname == "Bot 1 (hard)"
    rows = {r.nickname: r for r in Result.objects.filter(match=match)}
    assert [rows[n].rank for n in ("Bot 1 (hard)", "alice", "Bot 2 (hard)", "bob")] == [1, 2, 3, 4]
    assert rows["Bot 1 (hard)"].rating_after is None and rows["Bot 2 (hard)"].rating_before is None
    assert rows["alice"].rating_after > rows["alice"].rating_before == 1500.0  # beat bob
    assert rows["bob"].rating_after < rows["bob"].rating_before == 1500.0
    assert set(Rating.objects.values_list("player__identity", flat=True)) == {"g:alice", "g:bob"}


def test_one_person_among_bots_is_not_rated():
    saved = record([entry(2, "Bot 1 (easy)", "bot:BOTS22:1", 5, 1), entry(1, "alice", "g:alice", 2, 2)])
    assert services.match_record(record=saved) is True
    assert Rating.objects.count() == 0
    assert Result.objects.filter(rating_after__isnull=False).count() == 0


def test_a_bot_seat_of_the_same_lobby_is_one_player_row_across_matches():
    for _ in range(2):
        services.match_record(record=record([entry(2, "Bot 1 (hard)", "bot:BOTS22:1", 5, 1),
                                             entry(1, "alice", "g:alice", 2, 2)]))
    services.match_record(record=record([entry(2, "Bot 1 (easy)", "bot:BOTS22:1", 5, 1),
                                         entry(1, "alice", "g:alice", 2, 2)]))
    bot = Player.objects.get(identity="bot:BOTS22:1")
    assert bot.nickname == "Bot 1 (easy)" and bot.results.count() == 3 and bot.user_id is None
