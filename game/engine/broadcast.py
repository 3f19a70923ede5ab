"""How a lobby's frames leave its loop: the one place that decides who gets which frame.

Lobby frames (the lobby's state after a change) and event frames go to every member through
the lobby's channel-layer group (``publish``: `LoopHooks.publish`). State frames leave on each
broadcast tick while a match runs (every tick, or every k-th with a ``broadcast_rate`` below the
tick rate), encoded once, then offered to three audiences:

- live: the members connected to this process who watch the match as it is played (a delta
  against the tick before, or a full snapshot at each keyframe and for whoever needs one);
- delayed: spectators of a lobby with ``spectator_delay`` set, who see it that many seconds
  late (`game.engine.delayed`);
- relayed: the members connected to other processes of a cluster, who all get one relayed
  frame (live and delayed) through ``relay`` (`LoopHooks.relay_state`), whatever their number.

State frames go straight into each member's connection (an `Outbox` for a local socket);
nothing here awaits. Answers to one connection (its welcome, its errors) are not broadcast:
the loop hands those to that connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from game import protocol
from game.engine.delayed import DelayedFeed
from game.engine.delta import diff
from game.engine.lobby import Connection, Lobby, Member
from game.engine.settings import broadcast_every

#: ``publish(code, frame)``: `LoopHooks.publish`.
Publish = Callable[[str, bytes], None]
#: ``relay(code, epoch, tick, delta, full, *, delayed, ddelta, dfull)``: `LoopHooks.relay_state`.
Relay = Callable[..., None]


class TickFrames:
    """One tick's live state, and its frames: encoded when first asked for, then shared."""

    __slots__ = ("delta", "events", "full", "last_processed_input", "now_ms", "snapshot", "tick")

    def __init__(self, tick: int, now_ms: int, snapshot: dict, last_processed_input: dict[int, int],
                 events: list[dict]) -> None:
        self.tick, self.now_ms, self.snapshot, self.events = tick, now_ms, snapshot, events
        self.last_processed_input = last_processed_input
        self.delta: bytes | None = None
        self.full: bytes | None = None

    def full_frame(self) -> bytes:
        if self.full is None:
            self.full = protocol.encode_full(tick=self.tick, time=self.now_ms, snapshot=self.snapshot,
                                             last_processed_input=self.last_processed_input, ev=self.events)
        return self.full


class Broadcaster:
    """The frames of one lobby; for its state frames, what was sent last, when the next
    keyframe is due, the delayed feed, and whether the relayed frame must be a full one."""

    def __init__(self, lobby: Lobby, *, keyframe_interval_s: float, publish: Publish, relay: Relay) -> None:
        self.lobby = lobby
        self.keyframe_interval_s = keyframe_interval_s
        self.publish = publish
        self.relay = relay
        self.prev_snapshot: dict | None = None  # the last live snapshot sent (what clients saw)
        self.prev_tick = 0  # its tick: the base of the next delta
        self.last_full_tick = 0
        self.delayed = DelayedFeed()  # spectators' late view, when the lobby sets spectator_delay
        self.delayed_match: str | None = None  # the match the delayed feed holds
        self.relay_full_wanted = False  # another process asked for a full frame

    def send_lobby(self, now_ms: int) -> None:
        """Called by the loop after a tick that changed the lobby: its state, to everyone."""
        self.publish(self.lobby.code, protocol.encode_lobby(lobby=self.lobby.state(), time=now_ms))

    def send_events(self, tick: int, now_ms: int, events: list[dict]) -> None:
        """Called by the loop after a tick with lobby events: one frame of them, to everyone."""
        self.publish(self.lobby.code, events_frame(tick, now_ms, events))

    def due(self, tick: int) -> bool:
        """Whether tick ``tick`` is broadcast: every k-th step, k = tick rate / broadcast rate."""
        return tick % broadcast_every(self.lobby.tick_rate_hz, self.lobby.settings) == 0

    def new_match(self) -> None:
        """Called as a match starts: its first frame is a keyframe."""
        self.prev_snapshot = None

    def send_state(self, *, tick: int, now_ms: int, snapshot: dict, last_processed_input: dict[int, int],
                   events: list[dict], match_id: str, epoch: int) -> None:
        """Called by the loop on each broadcast tick (`due`) while a match counts down or
        plays, and once more with the final positions as it ends: offer this tick's state to
        every member, a delta against the last one broadcast."""
        frames = TickFrames(tick, now_ms, snapshot, last_processed_input, events)
        keyframe = self.prev_snapshot is None or tick - self.last_full_tick >= self._keyframe_ticks()
        if keyframe:
            frames.full_frame()
            self.last_full_tick = tick
        else:
            frames.delta = protocol.encode_delta(tick=tick, time=now_ms, base=self.prev_tick,
                                                 delta=diff(self.prev_snapshot, snapshot),
                                                 last_processed_input=last_processed_input, ev=events)
        delay = self._delay_ticks()
        late, relayed, relay_full = self._send_live(frames, delay)
        ddelta = dfull = None
        if delay:
            if self.delayed_match != match_id:
                self.delayed.reset()
                self.delayed_match = match_id
            self.delayed.push(tick, snapshot, events)
            ddelta, dfull = self._send_delayed(late, relay_full, now_ms, draining=False)
        if relayed:
            full = frames.full_frame() if relay_full else frames.full
            self._relay(tick, epoch, frames.delta, full, delayed=bool(delay), ddelta=ddelta, dfull=dfull)
        self.prev_snapshot, self.prev_tick = snapshot, tick

    def play_out_delayed(self, *, tick: int, now_ms: int, epoch: int) -> None:
        """Called on each broadcast tick after a match while the delayed feed still holds
        some of it: the delayed spectators see its last seconds, a frame a broadcast."""
        members = self.lobby.members.values()
        late = [m.conn for m in members if _watches_late(m) and not m.conn.relayed]
        relayed = any(m.conn.relayed for m in members)
        ddelta, dfull = self._send_delayed(late, self.relay_full_wanted, now_ms, draining=True)
        if relayed and (ddelta is not None or dfull is not None):
            self._relay(tick, epoch, None, None, delayed=True, ddelta=ddelta, dfull=dfull)

    # -- the three audiences -----------------------------------------------------------
    def _send_live(self, frames: TickFrames, delay: int) -> tuple[list[Connection], bool, bool]:
        """Offer the live frames to the members here who watch live. Returns who it passed
        over: the connections that watch late, whether members on other processes wait for
        the relayed frame, and whether that frame must be a full one."""
        late: list[Connection] = []
        relayed, relay_full = False, self.relay_full_wanted
        delta = frames.delta
        for member in self.lobby.members.values():
            conn = member.conn
            if conn.relayed:  # on another process: one relayed frame serves them all
                relayed = True
                if conn.needs_full:
                    relay_full, conn.needs_full = True, False
            elif delay and _watches_late(member):
                late.append(conn)
            elif delta is not None and not conn.needs_full:
                conn.push_state(delta, full=False)
            else:
                conn.push_state(frames.full_frame(), full=True)
        return late, relayed, relay_full

    def _send_delayed(self, conns: list[Connection], want_full: bool, now_ms: int, *,
                      draining: bool) -> tuple[bytes | None, bytes | None]:
        """Encode this tick's delayed frames once and offer them to the delayed spectators
        here; returns them, for the relayed frame."""
        want_full = want_full or any(conn.needs_full for conn in conns)
        delta, full = self.delayed.frames(delay_ticks=self._delay_ticks(), keyframe_ticks=self._keyframe_ticks(),
                                          now_ms=now_ms, want_full=want_full, draining=draining)
        for conn in conns:
            if delta is not None and not conn.needs_full:
                conn.push_state(delta, full=False)
            elif full is not None:
                conn.push_state(full, full=True)
        return delta, full

    def _relay(self, tick: int, epoch: int, delta: bytes | None, full: bytes | None, **delayed: Any) -> None:
        """One frame for all the members on other processes (their processes hand it on)."""
        self.relay_full_wanted = False
        self.relay(self.lobby.code, epoch, tick, delta, full, **delayed)

    # -- timing ------------------------------------------------------------------------
    def _keyframe_ticks(self) -> int:
        return max(1, round(self.keyframe_interval_s * self.lobby.tick_rate_hz))

    def _delay_ticks(self) -> int:
        """How many broadcasts behind the delayed spectators are (0: live)."""
        settings = self.lobby.settings
        seconds = settings.get("spectator_delay", 0)
        return round(seconds * self.lobby.tick_rate_hz / broadcast_every(self.lobby.tick_rate_hz, settings)) \
            if seconds else 0


def events_frame(tick: int, now_ms: int, events: list[dict]) -> bytes:
    return protocol.encode_events(tick=tick, time=now_ms, events=events)


def _watches_late(member: Member) -> bool:
    """Who gets the delayed feed when the lobby has one: spectators, not staff."""
    return member.role == "spectator" and not member.staff
