"""Reads from the database, for views and tests."""

from __future__ import annotations

from django.db.models import QuerySet

from game.models import LobbyRecord, Match, Player, Rating, Result


def match_list(*, lobby_code: str | None = None, limit: int = 20) -> QuerySet[Match]:
    matches = Match.objects.prefetch_related("results").order_by("-ended_at")
    if lobby_code:
        matches = matches.filter(lobby_code=lobby_code)
    return matches[:limit]


def match_count(*, lobby_code: str) -> int:
    return Match.objects.filter(lobby_code=lobby_code).count()


def match_as_dict(match: Match) -> dict:
    return {
        "id": match.id.hex, "lobby": match.lobby_code, "game": match.game, "status": match.status,
        "reason": match.reason, "ended_at": match.ended_at.isoformat(), "ticks": match.ticks,
        "results": [{"name": r.nickname, "score": r.score, "rank": r.rank, "winner": r.is_winner}
                    for r in match.results.all()],
    }


def lobby_record_get(*, code: str) -> LobbyRecord | None:
    return LobbyRecord.objects.filter(code=code).first()


def leaderboard(*, game: str, limit: int = 100) -> QuerySet[Rating]:
    """The best-rated players of a game (those with at least one rated match)."""
    return Rating.objects.filter(game=game, matches__gt=0).select_related("player").order_by("-rating")[:limit]


def player_profile(*, player_id: int) -> dict | None:
    """A player's ratings, rating history and recent matches."""
    player = Player.objects.filter(id=player_id).first()
    if player is None:
        return None
    results = (Result.objects.filter(player=player).select_related("match").order_by("-match__ended_at")[:50])
    history = [{"game": r.match.game, "at": r.match.ended_at, "rating": r.rating_after}
               for r in reversed(results) if r.rating_after is not None]
    return {"player": player, "ratings": list(player.ratings.order_by("game")), "history": history,
            "results": results}
