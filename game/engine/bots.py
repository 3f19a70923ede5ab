"""Bots in a lobby: seating them for a match and driving them, tick by tick.

A bot is a `Member` with ``bot=True``, seated only for one match: `seat_bots` puts the
host's ``bots`` setting's worth of them in the seats people left free when the match
starts, and `BotDriver` takes them out again once it is over. A bot holds a connection
that goes nowhere (a `NullConnection`), counts for no ban, is never host, and yields its seat:
a person may join while bots play and takes a seat at the next start.

`BotDriver.step` runs once per tick inside the lobby's tick, before the queued inputs are
applied. While the match plays, each bot's policy (`game.bots`) reads the snapshot of the
tick before — what a client would have seen — and its raw payload goes through the game's
``parse_input`` and the loop's ``submit_input``, the same path as a person's input.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from game.bots import DEFAULT_DIFFICULTY, Policy, bot_identity, bot_name, make_policy
from game.engine.lobby import Lobby, Member, NullConnection
from game.rules.base import Game, InvalidInput, Rng, Snapshot

log = logging.getLogger("game.bots")


# Where a bot's frames go: nowhere (it reads the game directly).
BOT_CONNECTION = NullConnection()


def seat_bots(lobby: Lobby) -> list[Member]:
    """Called as a match starts: unseat the bots of the last match, then seat
    `Lobby.bot_seats` new ones, named ``Bot <n> (<difficulty>)``, after the people."""
    lobby.remove_bots()
    difficulty = lobby.settings.get("bot_difficulty", DEFAULT_DIFFICULTY)
    return [lobby.add_bot(name=bot_name(n, difficulty), identity=bot_identity(lobby.code, n), conn=BOT_CONNECTION)
            for n in range(1, lobby.bot_seats() + 1)]


class BotDriver:
    """Drives the bots of one match; made when the match starts. ``submit_input`` queues an
    input as the loop queues a person's; ``forfeit`` takes a player out of the match."""

    def __init__(self, lobby: Lobby, game: Game, bots: list[Member], *, seed: int,
                 submit_input: Callable[[Member, int, Any], str | None],
                 forfeit: Callable[[Member], None]) -> None:
        self.lobby = lobby
        self.game = game
        self.submit_input = submit_input
        self.forfeit = forfeit
        difficulty = lobby.settings.get("bot_difficulty", DEFAULT_DIFFICULTY)
        # Each bot's Rng is drawn from the match's seed: a replay of the seed replays the bots.
        self.policies: dict[int, Policy] = {
            m.id: make_policy(lobby.game_cls.name, member_id=m.id, difficulty=difficulty,
                              rng=Rng(seed * 7919 + m.id), tick_rate_hz=lobby.tick_rate_hz)
            for m in bots}
        self.input_seq = dict.fromkeys(self.policies, 0)
        self.sent: dict[int, Any] = {}  # the last payload each bot submitted

    def step(self, dt: float, seen: Snapshot | None) -> None:
        """Called by the loop once per tick, before inputs are applied, with the last
        snapshot sent to clients (None before the first). While the match plays, queue each
        bot's input; when no person is left in the lobby (players or spectators), unseat the
        bots so the match ends by forfeit; once the match is over, unseat them without a word
        (the lobby frame shows them gone)."""
        if not self.policies:
            return  # a match without bots, or its bots are gone already
        lobby = self.lobby
        if lobby.phase not in ("countdown", "playing"):
            lobby.remove_bots()
            self.policies.clear()
            return
        if not any(not m.bot for m in lobby.members.values()):
            self._forfeit_all()
        elif lobby.phase == "playing":
            self._act(seen if seen is not None else self.game.snapshot())

    def _act(self, snapshot: Snapshot) -> None:
        parse = self.lobby.game_cls.parse_input
        members = self.lobby.members
        views = self.lobby.game_cls.has_views()
        for member_id, policy in self.policies.items():
            member = members.get(member_id)
            if member is None or not member.in_match:
                continue  # kicked, or the match is over for it
            raw = policy.act(self.game.view(member_id) if views else snapshot)  # a bot sees what its seat sees
            if raw == self.sent.get(member_id):
                continue  # the game holds the last input: nothing new to say
            try:
                cleaned = parse(raw)
            except InvalidInput:
                log.warning("lobby %s: bot %s made an invalid input %r", self.lobby.code, member.name, raw)
                continue
            if self.submit_input(member, self.input_seq[member_id], cleaned) is None:
                self.input_seq[member_id] += 1
                self.sent[member_id] = raw

    def _forfeit_all(self) -> None:
        """Nobody is left to play with or watch the bots: take them out of the match."""
        for member in self.lobby.remove_bots():
            self.forfeit(member)
        self.policies.clear()
