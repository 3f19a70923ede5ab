"""Reads from the database, for views and tests."""

from __future__ import annotations

from django.db.models import QuerySet

from game.models import LobbyRecord, Match


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
