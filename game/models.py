"""Persistent records: players, lobbies, matches and results. No game logic here."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Player(models.Model):
    """Someone who played: a Django account, or a guest known by a session key."""

    identity = models.CharField(max_length=80, unique=True, help_text='"u:<user id>" or "g:<guest key>"')
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    nickname = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.nickname


class LobbyRecord(models.Model):
    """A lobby as it was created; the live state lives in its loop."""

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    code = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=40)
    game = models.CharField(max_length=32)
    private = models.BooleanField(default=False)
    max_players = models.PositiveSmallIntegerField()
    tick_rate_hz = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    creator_name = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    close_reason = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "lobby"
        verbose_name_plural = "lobbies"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Match(models.Model):
    """One played match; its id is the engine's match id, which makes saving idempotent."""

    class Status(models.TextChoices):
        FINISHED = "finished"
        ABORTED = "aborted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lobby = models.ForeignKey(LobbyRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches")
    lobby_code = models.CharField(max_length=12)
    game = models.CharField(max_length=32)
    seed = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices)
    reason = models.CharField(max_length=32, blank=True)
    winner = models.ForeignKey(Player, null=True, blank=True, on_delete=models.SET_NULL, related_name="wins")
    settings = models.JSONField(default=dict)
    ticks = models.PositiveIntegerField(default=0)
    tick_rate_hz = models.PositiveSmallIntegerField(default=20)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField()
    #: The match's replay: seed, settings, players and input log (docs/replays.md); None for
    #: matches saved without one (before replays, or whose owner process vanished).
    replay = models.BinaryField(null=True, blank=True, editable=False)
    #: The cluster lease epoch of the process that saved the match (0 outside a cluster).
    epoch = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "matches"
        ordering = ["-ended_at"]

    def __str__(self) -> str:
        return f"{self.game} {self.lobby_code} {self.ended_at:%Y-%m-%d %H:%M}"


class Result(models.Model):
    """One player's outcome in one match."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="results")
    player = models.ForeignKey(Player, on_delete=models.PROTECT, related_name="results")
    nickname = models.CharField(max_length=40)
    score = models.IntegerField()
    rank = models.PositiveSmallIntegerField()
    is_winner = models.BooleanField(default=False)
    rating_before = models.FloatField(null=True, blank=True)
    rating_after = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["match", "rank"]
        constraints = [models.UniqueConstraint(fields=["match", "player"], name="one_result_per_player")]

    def __str__(self) -> str:
        return f"{self.nickname}: {self.score}"


class Rating(models.Model):
    """A player's Glicko-2 rating in one game; updated with each finished match."""

    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="ratings")
    game = models.CharField(max_length=32)
    rating = models.FloatField(default=1500.0)
    rd = models.FloatField(default=350.0)
    volatility = models.FloatField(default=0.06)
    matches = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["game", "-rating"]
        constraints = [models.UniqueConstraint(fields=["player", "game"], name="one_rating_per_game")]

    def __str__(self) -> str:
        return f"{self.player} {self.game}: {self.rating:.0f}"
