"""Frames out of the tick loop: each tick's state encoded once and offered to every member,
live or delayed (`game.engine.delayed`), local or on another process (one relayed frame).

A mixin of `LobbyLoop` (kept apart to keep each file about one concern).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from game import protocol
from game.engine.delta import diff

if TYPE_CHECKING:
    from game.engine.loop import LobbyLoop


class StateBroadcast:
    def _broadcast_state(self: LobbyLoop) -> None:
        """Encode this tick's state once (full and/or delta) and offer it to every member."""
        game = self.game
        assert game is not None
        snapshot = game.snapshot()
        now = self.clock.wall_ms()
        ack = {m.id: m.last_seq for m in self.roster.values() if m.in_match}
        keyframe = self.prev_snapshot is None or self.tick - self.last_full_tick >= self._keyframe_ticks()
        full = delta = None
        events, self.game_events = self.game_events, []
        if keyframe:
            full = protocol.encode_full(tick=self.tick, time=now, snapshot=snapshot, ack=ack, ev=events)
            self.last_full_tick = self.tick
        else:
            delta = protocol.encode_delta(tick=self.tick, time=now, base=self.tick - 1,
                                          delta=diff(self.prev_snapshot, snapshot), ack=ack, ev=events)
        delay = self._spectator_delay()
        delayed: list = []
        relayed, relay_full = False, self.relay_full_wanted
        for member in self.lobby.members.values():
            conn = member.conn
            if conn.relayed:  # on another process: one relayed frame serves them all, below
                relayed = True
                if conn.needs_full:
                    relay_full, conn.needs_full = True, False
                continue
            if delay and self._watches_late(member):
                delayed.append(conn)
                continue
            if delta is not None and not conn.needs_full:
                conn.push_state(delta, full=False)
            else:
                if full is None:
                    full = protocol.encode_full(tick=self.tick, time=now, snapshot=snapshot, ack=ack, ev=events)
                conn.push_state(full, full=True)
        ddelta = dfull = None
        if delay:
            if self.delayed_match != self.match_id:
                self.delayed.reset()
                self.delayed_match = self.match_id
            self.delayed.push(self.tick, snapshot, events)
            ddelta, dfull = self._delayed_frames(delayed, relay_full, now, draining=False)
        if relayed:
            if relay_full and full is None:
                full = protocol.encode_full(tick=self.tick, time=now, snapshot=snapshot, ack=ack, ev=events)
            self.relay_full_wanted = False
            self.hooks.relay_state(self.lobby.code, self.epoch, self.tick, delta, full,
                                   delayed=bool(delay), ddelta=ddelta, dfull=dfull)
        self.prev_snapshot = snapshot

    def _keyframe_ticks(self: LobbyLoop) -> int:
        return max(1, round(self.keyframe_interval_s * self.lobby.tick_rate_hz))

    @staticmethod
    def _watches_late(member) -> bool:
        """Who gets the delayed feed when the lobby has one: spectators, not staff."""
        return member.role == "spectator" and not member.staff

    def _spectator_delay(self: LobbyLoop) -> int:
        """How many ticks behind the spectators are (0: live)."""
        seconds = self.lobby.settings.get("spectator_delay", 0)
        return round(seconds * self.lobby.tick_rate_hz) if seconds else 0

    def _delayed_frames(self: LobbyLoop, conns: list, want_full: bool, now: int, *,
                        draining: bool) -> tuple[bytes | None, bytes | None]:
        """Encode this tick's delayed frames once and offer them to the delayed spectators."""
        want_full = want_full or any(conn.needs_full for conn in conns)
        delta, full = self.delayed.frames(delay_ticks=self._spectator_delay(), keyframe_ticks=self._keyframe_ticks(),
                                          now_ms=now, want_full=want_full, draining=draining)
        for conn in conns:
            if delta is not None and not conn.needs_full:
                conn.push_state(delta, full=False)
            elif full is not None:
                conn.push_state(full, full=True)
        return delta, full

    def _play_out_delayed(self: LobbyLoop) -> None:
        """After the match: the delayed spectators still see its last seconds, a tick a tick."""
        conns = [m.conn for m in self.lobby.members.values() if self._watches_late(m) and not m.conn.relayed]
        relayed = any(m.conn.relayed for m in self.lobby.members.values())
        ddelta, dfull = self._delayed_frames(conns, self.relay_full_wanted, self.clock.wall_ms(), draining=True)
        if relayed and (ddelta is not None or dfull is not None):
            self.relay_full_wanted = False
            self.hooks.relay_state(self.lobby.code, self.epoch, self.tick, None, None,
                                   delayed=True, ddelta=ddelta, dfull=dfull)
