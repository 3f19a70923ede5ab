"""Matches played by bot policies alone, without a server, the way the engine drives them:
each tick every bot acts on the snapshot of the tick before, its payload goes through
`parse_input`, then the game steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from game.bots import make_policy
from game.rules import get_game
from game.rules.base import MoveRefused, PlayerInfo, Result, Rng


@dataclass
class Played:
    result: Result
    ticks: int
    inputs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # raw payloads, per bot
    events: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # reasons the rules refused a bot's move


def bot_rng(seed: int, member_id: int) -> Rng:
    return Rng(seed * 7919 + member_id)


def play(game: str, difficulties: dict[int, str | None], *, seed: int, tick_rate_hz: int = 20,
         max_s: float = 400.0, **settings: Any) -> Played:
    """Play ``game`` with players ``{id: difficulty}``; a ``None`` difficulty is a player
    who never touches anything. Stops when the game finishes (or after ``max_s``)."""
    cls = get_game(game)
    rules = cls(seed=seed, players=[PlayerInfo(pid, f"p{pid}") for pid in difficulties], settings=settings)
    policies = {pid: make_policy(game, member_id=pid, difficulty=level, rng=bot_rng(seed, pid),
                                 tick_rate_hz=tick_rate_hz)
                for pid, level in difficulties.items() if level is not None}
    played = Played(result=rules.result(), ticks=0, inputs={pid: [] for pid in policies})
    dt = 1.0 / tick_rate_hz
    views = cls.has_views()
    snapshot = rules.snapshot()
    while not rules.finished and played.ticks < max_s * tick_rate_hz:
        for pid, policy in policies.items():
            raw = policy.act(rules.view(pid) if views else snapshot)  # what the bot's seat sees
            played.inputs[pid].append(dict(raw))
            try:
                rules.apply_input(pid, cls.parse_input(raw))
            except MoveRefused as refused:
                played.refused.append(refused.reason)
        played.events += rules.step(dt)
        played.ticks += 1
        snapshot = rules.snapshot()
    played.result = rules.result()
    return played
