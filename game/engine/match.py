"""One match of a lobby, from the start command to its record: the game, the roster, the
replay log and the bots.

The loop makes a `Match` when the lobby starts one (the start or rematch command, or every
reserved seat taken) and keeps it, finished, until the next. Every method runs inside the
loop's tick; none of them sends a frame (the loop and its `Broadcaster` do).
"""

from __future__ import annotations

import secrets
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from game import protocol
from game.engine.bots import BotDriver, seat_bots
from game.engine.lobby import RESERVED_EVENTS, Lobby, Member, NullConnection
from game.engine.replay import ReplayRecorder, catch_up
from game.engine.settings import game_settings
from game.rules.base import MoveRefused, PlayerInfo


def match_over_event(record: dict[str, Any]) -> dict[str, Any]:
    """The ``match_over`` event of a match's record (`Match.finish`, or the record a cluster
    process makes of a match whose owner vanished): what every member is told of its end."""
    public = [{k: r[k] for k in ("id", "name", "score", "rank", "winner")} for r in record["results"]]
    return {"type": "match_over", "match": record["match_id"], "status": record["status"],
            "reason": record["reason"], "winner": record["winner"], "results": public}


class Match:
    """Seats the players (and bots) as the match starts; counts down, plays and records it."""

    def __init__(self, lobby: Lobby, *, countdown_s: float,
                 submit_input: Callable[[Member, int, Any], str | None]) -> None:
        bots = seat_bots(lobby)  # in the seats people left free
        players = lobby.players()
        for member in players:
            member.in_match, member.last_processed_input, member.ready = True, -1, False
        self.lobby = lobby
        self.roster = {m.id: m for m in players}
        self.seed = secrets.randbits(31)
        seated = [PlayerInfo(m.id, m.name) for m in players]
        self.game = lobby.game_cls(seed=self.seed, players=seated, settings=game_settings(lobby.settings))
        self.recorder = ReplayRecorder()
        self.recorder.start(game=lobby.game_cls, seed=self.seed, settings=self.game.settings, players=seated,
                            tick_rate=lobby.tick_rate_hz)
        self.bots = BotDriver(lobby, self.game, bots, seed=self.seed, submit_input=submit_input,
                              forfeit=self.forfeit)
        self.id = uuid.uuid4().hex
        self.saved = False  # recorded (or dropped unplayed): never recorded twice
        # With an input log outside the process (a cluster's continuity, game.cluster.inputlog):
        # each player's last input_seq the log holds, with the connection it came from.
        self.logged: dict[int, tuple[int, Any]] | None = None
        self.handed_on = False  # goes on in another process, which records it
        self.ticks = 0  # steps of the game so far
        self.started_ms = 0.0  # wall time of the first step; 0 while counting down
        self.countdown_left = countdown_s
        self.events: list[dict] = []  # game events since the last state frame, for the next one

    def count_down(self, dt: float, now_ms: int) -> None:
        """Called each tick of the countdown: announce each second, then start playing."""
        lobby, before = self.lobby, self.countdown_left
        self.countdown_left -= dt
        if self.countdown_left <= 1e-9:
            lobby.phase = "playing"
            lobby.changed = True
            self.started_ms = now_ms
            lobby.events.append({"type": "match_start", "match": self.id})
        elif int(before + 0.999999) != int(self.countdown_left + 0.999999):
            lobby.events.append({"type": "countdown", "seconds": int(self.countdown_left + 0.999999),
                                 "match": self.id})

    def play(self, inputs: deque[tuple[int, int, Any]], dt: float) -> None:
        """Called each tick of play: apply the queued inputs (emptying ``inputs``), then step."""
        game, members, ticks = self.game, self.lobby.members, self.ticks
        applied = []  # (member id, cleaned) as applied, for the replay log in one call
        try:
            while inputs:
                member_id, input_seq, cleaned = inputs.popleft()
                member = members.get(member_id)
                if member is None:
                    continue
                member.pending_inputs -= 1
                if member.in_match and input_seq > member.last_processed_input:  # stale or repeated: dropped
                    member.last_processed_input = input_seq
                    try:
                        game.apply_input(member_id, cleaned)
                    except MoveRefused as refused:  # the rules said no, and why: the game is unchanged
                        member.conn.push_event(protocol.encode_error(code="move_refused", msg=refused.reason,
                                                                     ref="input"))
                        continue
                    applied.append((member_id, cleaned))
        finally:  # (what was applied is logged even if a later input's rules fail)
            if applied:
                self.recorder.inputs(ticks, applied)
        # Game events ride on the next state frame: they are as frequent as the state and
        # only illustrate it, so they need no channel-layer message of their own. They add
        # up between broadcasts when the lobby broadcasts every k-th step.
        self.events += [e for e in game.step(dt) if e.get("type") not in RESERVED_EVENTS]
        self.ticks += 1

    def last_processed_input(self) -> dict[int, int]:
        """Each player's ``input_seq`` of the last input applied, for the state frames. When
        the match's inputs are logged outside the process (`logged`), the last one logged: a
        client is told an input was processed only once the match can no longer lose it
        (-1 for a connection none of whose inputs is logged yet)."""
        logged = self.logged
        if logged is None:
            return {m.id: m.last_processed_input for m in self.roster.values() if m.in_match}
        out = {}
        for member in self.roster.values():
            if member.in_match:
                seen = logged.get(member.id)
                out[member.id] = seen[0] if seen is not None and seen[1] is member.conn else -1
        return out

    def let_go(self, member: Member) -> None:
        """A player's connection dropped: their keys are released (the seat waits for them)."""
        neutral = self.lobby.game_cls.neutral_input()
        self.game.apply_input(member.id, neutral)
        self.recorder.input(self.ticks, member.id, neutral)

    def forfeit(self, member: Member) -> None:
        """A player is out of this match for good (left, kicked, or a bot nobody watches)."""
        if member.in_match:
            member.in_match = False
            self.game.remove_player(member.id)
            self.recorder.removed(self.ticks, member.id)  # replays see it too

    def finish(self, status: str, reason: str | None, *, now_ms: int, epoch: int) -> tuple[dict, dict]:
        """Called once, as the match ends: its record (for `LoopHooks.save_match`) and its
        ``match_over`` event. Everyone seated is out of the match from now on."""
        game = self.game
        self.saved = True
        outcome = game.result()
        results = []
        for member_id, rank in outcome.ranks().items():  # players who tie share a rank
            who = self.roster.get(member_id)
            if who is not None:
                results.append({"id": member_id, "name": who.name, "identity": who.identity,
                                "user_id": who.user_id, "score": outcome.scores.get(member_id, 0),
                                "rank": rank, "winner": member_id == outcome.winner})
        lobby = self.lobby
        record = {"match_id": self.id, "lobby": lobby.code, "game": lobby.game_cls.name,
                  "seed": game.seed, "status": status, "reason": reason or outcome.reason,
                  "settings": dict(lobby.settings), "ticks": self.ticks,
                  "tick_rate": lobby.tick_rate_hz, "started_ms": self.started_ms,
                  "ended_ms": now_ms, "winner": outcome.winner, "results": results,
                  "epoch": epoch, "replay": self.recorder.encode(ticks=self.ticks, result=outcome)}
        for member in lobby.members.values():
            member.in_match = False
        return record, match_over_event(record)

    def info(self) -> dict[str, Any]:
        """The match as the cluster's lobby state keeps it (game.cluster.snapshot)."""
        return {"id": self.id, "seed": self.game.seed, "started_ms": self.started_ms,
                "settings": dict(self.lobby.settings), "tick_rate": self.lobby.tick_rate_hz,
                "roster": [{"id": m.id, "name": m.name, "identity": m.identity, "user_id": m.user_id}
                           for m in self.roster.values()]}

    def hand_on(self) -> None:
        """Called when the match goes on in another process (a cluster hands its lobby over):
        this process never records it; the next owner, which rebuilds it from its input log,
        does (game.cluster.continuity)."""
        self.saved = self.handed_on = True

    @classmethod
    def resume(cls, lobby: Lobby, *, header: dict[str, Any], entries: list[tuple], ticks: int,
               started_ms: float, game: Any = None, game_ticks: int = 0, applied: int = 0,
               submit_input: Callable[[Member, int, Any], str | None]) -> Match:
        """A match another process was playing, rebuilt from its input log: its game made
        again from the seed (or ``game``, a copy of it after ``game_ticks`` steps and the first
        ``applied`` entries) and brought to ``ticks`` steps with every logged entry; its
        recorder holds the whole log, so its replay covers the whole match. Players who left the
        lobby stay in its roster (for the record), out of the match.
        Raises `game.engine.replay.ReplayError` when the log does not fit the rules."""
        match = cls.__new__(cls)
        game_cls = lobby.game_cls
        seated = [PlayerInfo(pid, name) for pid, name in header["players"]]
        removed = {entry[1] for entry in entries if len(entry) == 2}
        match.lobby, match.seed, match.id = lobby, header["seed"], header["match"]
        match.roster = {}
        for who in header["roster"]:
            member = lobby.members.get(who["id"])
            if member is None:
                member = Member(id=who["id"], name=who["name"], role="player", identity=who["identity"],
                                conn=NullConnection(), user_id=who["user_id"])
            else:
                member.in_match, member.ready = who["id"] not in removed, False
            member.last_processed_input = -1
            match.roster[member.id] = member
        if game is None:
            game, game_ticks, applied = game_cls(seed=match.seed, players=seated, settings=header["settings"]), 0, 0
        catch_up(game, entries[applied:], from_tick=game_ticks, to_tick=ticks, dt=1.0 / header["tick_rate"])
        match.game = game
        match.recorder = ReplayRecorder()
        match.recorder.start(game=game_cls, seed=match.seed, settings=header["settings"], players=seated,
                             tick_rate=header["tick_rate"])
        for entry in entries:
            if len(entry) == 3:
                match.recorder.input(*entry)
            else:
                match.recorder.removed(*entry)
        bots = [m for m in lobby.members.values() if m.bot and m.id in match.roster]
        match.bots = BotDriver(lobby, game, bots, seed=match.seed, submit_input=submit_input, forfeit=match.forfeit)
        match.saved, match.handed_on, match.logged = False, False, {}
        match.ticks, match.started_ms = ticks, started_ms
        match.countdown_left, match.events = 0.0, []  # (the loop's tick goes on from its own count)
        return match
