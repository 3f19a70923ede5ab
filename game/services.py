"""Writes to the database. Synchronous: async code reaches them through
`database_sync_to_async` (see `game.runtime`). Every write is atomic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from game import ratings as glicko
from game.bots import is_bot_identity
from game.models import LobbyRecord, Match, Player, Rating, Result


def _from_ms(ms: float | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000.0, tz=UTC) if ms else None


def player_get_or_create(*, identity: str, nickname: str, user_id: int | None = None) -> Player:
    player, created = Player.objects.get_or_create(
        identity=identity, defaults={"nickname": nickname[:40], "user_id": user_id})
    if not created and player.nickname != nickname[:40]:
        player.nickname = nickname[:40]
        player.save(update_fields=["nickname", "last_seen"])
    return player


def lobby_create(*, code: str, name: str, game: str, private: bool, max_players: int,
                 tick_rate_hz: int, created_by_id: int | None = None, creator_name: str = "") -> LobbyRecord:
    return LobbyRecord.objects.create(
        code=code, name=name, game=game, private=private, max_players=max_players,
        tick_rate_hz=tick_rate_hz, created_by_id=created_by_id, creator_name=creator_name[:40])


def lobby_close(*, code: str, reason: str = "") -> None:
    LobbyRecord.objects.filter(code=code, status=LobbyRecord.Status.OPEN).update(
        status=LobbyRecord.Status.CLOSED, close_reason=reason[:32], closed_at=timezone.now())


def match_record(*, record: dict[str, Any]) -> bool:
    """Save a match and its results once. Returns False when that match id was saved before.

    ``record`` is what the tick loop produced (see `LobbyLoop._end_match`). Calling this
    again with the same ``match_id`` (a retry after a lost reply) changes nothing.
    """
    match_id = uuid.UUID(str(record["match_id"]))
    if Match.objects.filter(id=match_id).exists():
        return False
    try:
        with transaction.atomic():
            players = {r["id"]: player_get_or_create(identity=r["identity"], nickname=r["name"],
                                                     user_id=r.get("user_id"))
                       for r in record["results"]}
            match = Match.objects.create(
                id=match_id, lobby=LobbyRecord.objects.filter(code=record["lobby"]).first(),
                lobby_code=record["lobby"], game=record["game"], seed=record["seed"],
                status=record["status"], reason=(record.get("reason") or "")[:32],
                winner=players.get(record.get("winner")), settings=record.get("settings", {}),
                ticks=record.get("ticks", 0), tick_rate_hz=record.get("tick_rate", 20),
                started_at=_from_ms(record.get("started_ms")),
                ended_at=_from_ms(record.get("ended_ms")) or timezone.now(),
                replay=record.get("replay"), epoch=record.get("epoch", 0))
            before, after = _rate(record, players)
            Result.objects.bulk_create([
                Result(match=match, player=players[r["id"]], nickname=r["name"][:40], score=r["score"],
                       rank=r["rank"], is_winner=bool(r.get("winner")),
                       rating_before=before.get(r["id"]), rating_after=after.get(r["id"]))
                for r in record["results"]])
    except IntegrityError:
        if Match.objects.filter(id=match_id).exists():
            return False  # another writer saved it first
        raise
    return True


def _rate(record: dict[str, Any], players: dict[int, Player]) -> tuple[dict[int, float], dict[int, float]]:
    """Update the Glicko-2 ratings of a finished match's people, inside its transaction.
    Bots are never rated and do not count: people are rated by their ranks among themselves,
    players of equal rank as drawn.
    Aborted matches and matches of fewer than two people rate nobody. Returns ratings
    before and after."""
    people = {pid: player for pid, player in players.items() if not is_bot_identity(player.identity)}
    if record["status"] != "finished" or len(people) < 2:
        return {}, {}
    rows = {pid: Rating.objects.select_for_update().get_or_create(player=player, game=record["game"])[0]
            for pid, player in people.items()}
    current = {pid: glicko.Rating(row.rating, row.rd, row.volatility) for pid, row in rows.items()}
    places = {r["id"]: r["rank"] for r in record["results"] if r["id"] in people}  # equal ranks: a draw
    new = glicko.match_updates(current, places)
    for pid, row in rows.items():
        row.rating, row.rd, row.volatility = new[pid].rating, new[pid].rd, new[pid].volatility
        row.matches += 1
        row.save(update_fields=["rating", "rd", "volatility", "matches", "updated_at"])
    return ({pid: round(r.rating, 1) for pid, r in current.items()},
            {pid: round(r.rating, 1) for pid, r in new.items()})
