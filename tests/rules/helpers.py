"""Helpers shared by the rules tests."""

from __future__ import annotations

from game.rules.base import Game


def run_for(game: Game, seconds: float, dt: float) -> list[dict]:
    """Step ``game`` for ``seconds`` at ``dt``; returns every event, in order."""
    events = []
    for _ in range(round(seconds / dt)):
        events += game.step(dt)
    return events


def of_type(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["type"] == kind]
