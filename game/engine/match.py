"""The match phases of a lobby loop: countdown, play, and the end of a match.

A mixin of `LobbyLoop` (kept apart to keep each file about one concern); every method
runs inside the loop's tick.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING

from game.engine.bots import BotDriver, seat_bots
from game.engine.lobby import RESERVED_EVENTS
from game.engine.replay import ReplayRecorder
from game.engine.settings import game_settings
from game.rules.base import PlayerInfo

if TYPE_CHECKING:
    from game.engine.lobby import Member
    from game.engine.loop import LobbyLoop


class MatchPhases:
    #: Drives the bots of the current or last match (game.engine.bots); none before a match.
    bot_driver: BotDriver | None = None
    #: The match's input log (game.engine.replay); this idle one ignores calls until a match.
    recorder = ReplayRecorder()

    def _begin_match(self: LobbyLoop) -> None:
        """Called by the lobby's start/rematch command: seat the players, count down."""
        bots = seat_bots(self.lobby)  # in the seats people left free
        players = self.lobby.players()
        for member in players:
            member.in_match, member.last_seq, member.ready = True, -1, False
        self.roster = {m.id: m for m in players}
        seed = secrets.randbits(31)
        seated = [PlayerInfo(m.id, m.name) for m in players]
        self.game = self.lobby.game_cls(seed=seed, players=seated, settings=game_settings(self.lobby.settings))
        self.bot_driver = BotDriver(self, bots, seed=seed)
        self.recorder = ReplayRecorder()
        self.recorder.start(game=self.lobby.game_cls, seed=seed, settings=self.game.settings, players=seated,
                            tick_rate=self.lobby.tick_rate_hz)
        self.match_id = uuid.uuid4().hex
        self.match_saved = False
        self.match_ticks = 0
        self.match_started_ms = 0.0
        self.prev_snapshot = None
        self.countdown_left = self.countdown_s
        self.lobby.phase = "countdown"
        self.lobby.changed = True
        self.lobby.events.append({"type": "countdown", "seconds": round(self.countdown_s),
                                  "match": self.match_id})

    def _count_down(self: LobbyLoop, dt: float) -> None:
        before = self.countdown_left
        self.countdown_left -= dt
        if self.countdown_left <= 1e-9:
            self.lobby.phase = "playing"
            self.lobby.changed = True
            self.match_started_ms = self.clock.wall_ms()
            self.lobby.events.append({"type": "match_start", "match": self.match_id})
        elif int(before + 0.999999) != int(self.countdown_left + 0.999999):
            self.lobby.events.append({"type": "countdown", "seconds": int(self.countdown_left + 0.999999),
                                      "match": self.match_id})

    def _play(self: LobbyLoop, dt: float) -> None:
        game = self.game
        assert game is not None
        members, recorder, ticks = self.lobby.members, self.recorder, self.match_ticks
        while self.inputs:
            member_id, seq, cleaned = self.inputs.popleft()
            member = members.get(member_id)
            if member is None:
                continue
            member.pending_inputs -= 1
            if member.in_match and seq > member.last_seq:  # a stale or repeated seq is dropped
                game.apply_input(member_id, cleaned)
                recorder.input(ticks, member_id, cleaned)
                member.last_seq = seq
        # Game events ride on this tick's state frame: they are as frequent as the state
        # and only illustrate it, so they need no channel-layer message of their own.
        self.game_events = [e for e in game.step(dt) if e.get("type") not in RESERVED_EVENTS]
        self.match_ticks += 1
        if game.finished:
            self._end_match("finished", None)

    def _closing_events(self: LobbyLoop) -> list[dict]:
        """What a closing lobby sends each member last: a match that was played is saved as
        aborted (reason ``lobby_<close reason>``) and its ``match_over`` comes first; then
        ``lobby_closed``. A match still counting down is dropped unsaved."""
        closing = [{"type": "lobby_closed", "reason": self.lobby.close_reason}]
        if self.game is not None and not self.match_saved:
            if self.match_started_ms:
                reason = f"lobby_{self.lobby.close_reason or 'closed'}"
                closing.insert(0, self._end_match("aborted", reason, announce=False))
            self.match_saved = True
        return closing

    def _resumed(self: LobbyLoop, member: Member) -> None:
        """A seat taken back on a new connection starts a new input sequence: its ``seq`` may
        start again from 0 (``ack`` shows -1 until its first input is applied); inputs of the
        old connection still queued are dropped."""
        kept = [entry for entry in self.inputs if entry[0] != member.id]
        member.pending_inputs -= len(self.inputs) - len(kept)
        self.inputs.clear()
        self.inputs.extend(kept)
        member.last_seq = -1

    def _end_match(self: LobbyLoop, status: str, reason: str | None, *, announce: bool = True) -> dict:
        """Record the match (exactly once) and move the lobby to finished; returns its
        ``match_over`` event, which ``announce`` adds to the lobby's events (a closing loop
        sends it itself, before ``lobby_closed``)."""
        game = self.game
        assert game is not None and self.match_id is not None
        self.match_saved = True
        outcome = game.result()
        results = []
        for member_id, rank in outcome.ranks().items():  # players who tie share a rank
            who = self.roster.get(member_id)
            if who is None:
                continue
            results.append({"id": member_id, "name": who.name, "identity": who.identity,
                            "user_id": who.user_id, "score": outcome.scores.get(member_id, 0),
                            "rank": rank, "winner": member_id == outcome.winner})
        record = {"match_id": self.match_id, "lobby": self.lobby.code, "game": self.lobby.game_cls.name,
                  "seed": game.seed, "status": status, "reason": reason or outcome.reason,
                  "settings": dict(self.lobby.settings), "ticks": self.match_ticks,
                  "tick_rate": self.lobby.tick_rate_hz, "started_ms": self.match_started_ms,
                  "ended_ms": self.clock.wall_ms(), "winner": outcome.winner, "results": results,
                  "epoch": self.epoch, "replay": self.recorder.encode(ticks=self.match_ticks, result=outcome)}
        self.hooks.save_match(record)
        self.stats.matches_ended += 1
        for member in self.lobby.members.values():
            member.in_match = False
        public = [{k: r[k] for k in ("id", "name", "score", "rank", "winner")} for r in results]
        over = {"type": "match_over", "match": self.match_id, "status": status, "reason": record["reason"],
                "winner": outcome.winner, "results": public}
        if announce:
            self._broadcast_state()  # the final positions, before the results
            self.lobby.events.append(over)
        if self.lobby.phase != "closed":
            self.lobby.phase = "finished"
        self.lobby.changed = True
        return over
