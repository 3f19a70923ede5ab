"""Reads from the database, for views and tests."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.db.models.functions import Length

from game.engine.replay import Replay, decode, replay_result
from game.models import LobbyRecord, Match, Player, Rating, Result
from game.ratings import DEFAULT_RATING, DEFAULT_RD
from game.rules.base import Result as Outcome


def match_list(*, lobby_code: str | None = None, limit: int = 20) -> QuerySet[Match]:
    matches = (Match.objects.prefetch_related("results").defer("replay")
               .annotate(replay_bytes=Length("replay")).order_by("-ended_at"))
    if lobby_code:
        matches = matches.filter(lobby_code=lobby_code)
    return matches[:limit]


def match_count(*, lobby_code: str) -> int:
    return Match.objects.filter(lobby_code=lobby_code).count()


def match_as_dict(match: Match) -> dict:
    return {
        "id": match.id.hex, "lobby": match.lobby_code, "game": match.game, "status": match.status,
        "reason": match.reason, "ended_at": match.ended_at.isoformat(), "ticks": match.ticks,
        "replay": getattr(match, "replay_bytes", None) is not None,
        "results": [{"name": r.nickname, "score": r.score, "rank": r.rank, "winner": r.is_winner}
                    for r in match.results.all()],
    }


def lobby_record_get(*, code: str) -> LobbyRecord | None:
    return LobbyRecord.objects.filter(code=code).first()


def leaderboard(*, game: str, limit: int = 100) -> QuerySet[Rating]:
    """The best-rated players of a game (those with at least one rated match)."""
    return Rating.objects.filter(game=game, matches__gt=0).select_related("player").order_by("-rating")[:limit]


def player_rating(*, identity: str, game: str) -> tuple[float, float]:
    """``(rating, deviation)`` of the player known as ``identity`` in ``game``, as matchmaking
    uses it; the Glicko-2 defaults (1500, 350) for someone never rated (every new guest)."""
    row = Rating.objects.filter(player__identity=identity, game=game).values_list("rating", "rd").first()
    return (float(row[0]), float(row[1])) if row else (DEFAULT_RATING, DEFAULT_RD)


def player_profile(*, player_id: int) -> dict | None:
    """A player's ratings, rating history and recent matches."""
    player = Player.objects.filter(id=player_id).first()
    if player is None:
        return None
    results = (Result.objects.filter(player=player).select_related("match").defer("match__replay")
               .annotate(replay_bytes=Length("match__replay")).order_by("-match__ended_at")[:50])
    history = [{"game": r.match.game, "at": r.match.ended_at, "rating": r.rating_after}
               for r in reversed(results) if r.rating_after is not None]
    return {"player": player, "ratings": list(player.ratings.order_by("game")), "history": history,
            "results": results}


def match_get(*, match_id: str) -> Match | None:
    """A saved match without its replay blob (``replay_bytes``: the blob's size or None);
    None for a malformed id or an unknown match."""
    try:
        key = uuid.UUID(match_id)
    except ValueError:
        return None
    return Match.objects.defer("replay").annotate(replay_bytes=Length("replay")).filter(id=key).first()


def match_replay(*, match_id: str) -> tuple[Match, bytes] | None:
    """A saved match and its replay blob; None for a malformed id, an unknown match or a
    match saved without a replay."""
    try:
        key = uuid.UUID(match_id)
    except ValueError:
        return None
    match = Match.objects.filter(id=key, replay__isnull=False).first()
    return None if match is None else (match, bytes(match.replay))


def match_replay_check(*, match_id: str) -> list[str]:
    """Run a saved match's replay again and compare its end with the saved results: the
    differences, empty when the replay reproduces the match. LookupError when there is no
    replay; `ReplayError` (or `ReplayMismatch`) when the blob cannot run or ends otherwise
    than the match it was recorded from."""
    found = match_replay(match_id=match_id)
    if found is None:
        raise LookupError(f"no replay of match {match_id}")
    match, blob = found
    replay = decode(blob)
    return replay_differences(replay, replay_result(replay), match)


def replay_differences(replay: Replay, result: Outcome, match: Match) -> list[str]:
    """How a replay's ``result`` differs from ``match`` as saved: game, seed, ticks, and every
    result row (rank, nickname, score, winner; nicknames as the match saved them)."""
    names = {p.id: p.name for p in replay.players}
    expected = [(rank, names[pid][:40], result.scores.get(pid, 0), pid == result.winner)
                for pid, rank in result.ranks().items()]
    saved = [(r.rank, r.nickname, r.score, r.is_winner) for r in match.results.order_by("rank", "id")]
    problems = []
    if replay.game != match.game:
        problems.append(f"game: replay {replay.game}, saved {match.game}")
    if replay.seed != match.seed:
        problems.append(f"seed: replay {replay.seed}, saved {match.seed}")
    if replay.ticks != match.ticks:
        problems.append(f"ticks: replay {replay.ticks}, saved {match.ticks}")
    if expected != saved:
        problems.append(f"results: replay {expected}, saved {saved}")
    return problems
