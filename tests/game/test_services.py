"""Services save matches atomically and exactly once; selectors read them back."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from game import selectors, services
from game.models import LobbyRecord, Match, Player, Rating, Result

pytestmark = pytest.mark.django_db(transaction=True)


def record(match_id: str | None = None, **overrides) -> dict:
    base = {
        "match_id": match_id or uuid.uuid4().hex, "lobby": "ABC234", "game": "arena", "seed": 42,
        "status": "finished", "reason": "score_limit", "settings": {"score_limit": 10}, "ticks": 600,
        "tick_rate": 20, "started_ms": 1.7e12, "ended_ms": 1.7e12 + 30_000, "winner": 1,
        "results": [
            {"id": 1, "name": "alice", "identity": "g:aaaa", "user_id": None, "score": 10, "rank": 1, "winner": True},
            {"id": 2, "name": "bob", "identity": "g:bbbb", "user_id": None, "score": 4, "rank": 2, "winner": False},
        ],
    }
    base.update(overrides)
    return base


def test_match_record_saves_the_match_and_each_result():
    services.lobby_create(code="ABC234", name="x", game="arena", private=False, max_players=8, tick_rate_hz=20)
    assert services.match_record(record=record()) is True
    match = Match.objects.get()
    assert match.lobby.code == "ABC234" and match.winner.nickname == "alice"
    assert list(match.results.values_list("nickname", "score", "rank", "is_winner")) == [
        ("alice", 10, 1, True), ("bob", 4, 2, False)]
    assert match.ended_at > match.started_at


def test_the_same_match_id_is_saved_once():
    data = record()
    assert services.match_record(record=data) is True
    assert services.match_record(record=data) is False
    assert Match.objects.count() == 1 and Result.objects.count() == 2


@pytest.mark.skipif("sqlite" in connection.vendor, reason="SQLite serialises writers; the race needs PostgreSQL")
def test_concurrent_writers_of_one_match_save_it_once():
    data = record()

    def write():
        try:
            return services.match_record(record=data)
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: write(), range(4)))
    assert outcomes.count(True) == 1
    assert Match.objects.count() == 1 and Result.objects.count() == 2


def test_players_are_reused_across_matches():
    services.match_record(record=record())
    services.match_record(record=record())
    assert Player.objects.count() == 2
    assert Result.objects.filter(player__identity="g:aaaa").count() == 2


def test_a_failed_write_leaves_nothing_behind():
    broken = record(results=[{"id": 1, "name": "a", "identity": "g:x", "score": 1, "rank": 1}, {"id": 2}])
    with pytest.raises(KeyError):
        services.match_record(record=broken)
    assert Match.objects.count() == 0 and Player.objects.count() == 0


def test_lobby_close_marks_the_record_closed():
    services.lobby_create(code="QWE234", name="x", game="pong", private=True, max_players=2, tick_rate_hz=30)
    services.lobby_close(code="QWE234", reason="host")
    lobby = LobbyRecord.objects.get(code="QWE234")
    assert lobby.status == "closed" and lobby.close_reason == "host" and lobby.closed_at


def test_selectors_list_matches_of_a_lobby_newest_first():
    services.match_record(record=record(ended_ms=1.7e12 + 1000))
    services.match_record(record=record(ended_ms=1.7e12 + 5000))
    services.match_record(record=record(lobby="OTHER2"))
    matches = list(selectors.match_list(lobby_code="ABC234"))
    assert len(matches) == 2 and matches[0].ended_at > matches[1].ended_at
    as_dict = selectors.match_as_dict(matches[0])
    assert as_dict["results"][0] == {"name": "alice", "score": 10, "rank": 1, "winner": True}


def test_a_finished_match_updates_ratings_in_the_same_transaction():
    services.match_record(record=record())
    alice = Rating.objects.get(player__identity="g:aaaa", game="arena")
    bob = Rating.objects.get(player__identity="g:bbbb", game="arena")
    assert alice.rating > 1500 > bob.rating and alice.matches == bob.matches == 1
    result = Result.objects.get(player__identity="g:aaaa")
    assert result.rating_before == 1500 and result.rating_after == round(alice.rating, 1)


def test_aborted_matches_and_retries_rate_nobody_twice():
    data = record(status="aborted")
    services.match_record(record=data)
    assert Rating.objects.count() == 0
    finished = record()
    services.match_record(record=finished)
    services.match_record(record=finished)  # a retry: no second rating update
    assert Rating.objects.get(player__identity="g:aaaa").matches == 1


def test_leaderboard_and_player_pages_show_saved_ratings(client):
    services.match_record(record=record())
    page = client.get("/leaderboard/arena/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index("alice") < body.index("bob")  # best rated first
    alice = Player.objects.get(identity="g:aaaa")
    profile = client.get(f"/players/{alice.id}/").content.decode()
    assert "alice" in profile and "ABC234" in profile and "icon-trophy" in profile
    assert client.get("/leaderboard/chess/").status_code == 404
    assert client.get("/players/999999/").status_code == 404
