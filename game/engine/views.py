"""State frames of a game with per-player views (hidden information) or played in turns.

A game that defines ``view(seat)`` (game.rules.base) shows each seated player their own
view and spectators the ``None`` view; a ``turn_based`` game changes only on moves and its
own timers. For such a lobby the loop hands each tick's state to `ViewFeed` instead of the
`Broadcaster`'s shared path (game.engine.broadcast), and `ViewFeed`:

- groups the members connected here by the view they may see: a player in the match sees
  their seat's view, everyone else (spectators, staff, players waiting for the next match)
  the ``None`` view. Each distinct view that someone watches is computed, diffed and encoded
  once a tick, whatever the number of connections watching it; a player's socket never gets
  another view's frame, so nothing hidden from them reaches it.
- in a turn-based game, sends nothing to a view that did not change (a change of ``volatile``
  globals alone, a turn clock, is no change): between moves no state frame leaves. Deltas
  are taken against the last frame that view's watchers got (the frame's ``base``), not the
  tick before, and a connection that needs a full frame gets the view as it is now.
- holds the ``None`` view for the spectators of a lobby with ``spectator_delay`` (staff
  watch live): they see it that many ticks late, also after the match ends.
- relays to members on other processes the frames of the views they see, as it would hand
  them here (`relay`): a game with views hands the relay hook each relayed member with the
  key of its view and that view's frames, computed once with the local watchers' (the
  cluster sends each process only the views its members see: game.cluster.guests); a game
  without views relays one frame per lobby, the ``None`` view (and the delayed one).

Game events go with each view through ``view_events``; a view that sees none of a tick's
events and no change gets no frame.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from game import protocol
from game.engine.delta import diff
from game.engine.lobby import Connection, Lobby, Member
from game.rules.base import Game

#: The key of the delayed spectators' frames among the views relayed (seats are ints, spectators None).
LATE = "late"


class ViewState:
    """What the watchers of one view saw last: its snapshot, that frame's tick, and when the
    last keyframe went."""

    __slots__ = ("last_full_tick", "prev", "tick")

    def __init__(self) -> None:
        self.prev: dict | None = None
        self.tick = 0
        self.last_full_tick = -(10**9)

    def frames(self, *, tick: int, now_ms: int, snap: dict, last_processed_input: dict, events: list,
               turn_based: bool, volatile: frozenset[str], keyframe_ticks: int,
               want_full: bool) -> tuple[bytes | None, bytes | None]:
        """This view's (delta, full) frames of this tick; (None, None) when nothing is to
        be sent (a turn-based view that did not change, and nobody needs a full frame)."""
        prev, processed = self.prev, last_processed_input
        keyframe = prev is None or (not turn_based and tick - self.last_full_tick >= keyframe_ticks)
        delta = full = None
        if keyframe:
            full = protocol.encode_full(tick=tick, time=now_ms, snapshot=snap, last_processed_input=processed,
                                        ev=events)
            self.last_full_tick = tick
        else:
            changes = diff(prev, snap)
            if turn_based and not events and not want_full and _only(changes, volatile):
                return None, None
            delta = protocol.encode_delta(tick=tick, time=now_ms, base=self.tick, delta=changes,
                                          last_processed_input=processed, ev=events)
            if want_full:
                full = protocol.encode_full(tick=tick, time=now_ms, snapshot=snap, last_processed_input=processed,
                                            ev=events)
        self.prev, self.tick = snap, tick
        return delta, full


def _only(changes: dict[str, Any], volatile: frozenset[str]) -> bool:
    """Whether a delta changes nothing but volatile globals."""
    if not changes:
        return True
    if changes.keys() != {"g"}:
        return False
    return changes["g"].keys() <= volatile


def _push(conns: list[Connection], delta: bytes | None, full: bytes | None) -> None:
    for conn in conns:
        if delta is not None and not conn.needs_full:
            conn.push_state(delta, full=False)
        elif full is not None:
            conn.push_state(full, full=True)


def watches_late(member: Member) -> bool:
    """Who gets the delayed view when the lobby has a spectator delay: spectators, not staff."""
    return member.role == "spectator" and not member.staff


class ViewFeed:
    """The state frames of one lobby whose game has views or is turn-based (`wanted`)."""

    def __init__(self, lobby: Lobby, *, keyframe_interval_s: float, relay: Any) -> None:
        self.lobby = lobby
        self.keyframe_interval_s = keyframe_interval_s
        self.relay = relay  # LoopHooks.relay_state
        self.match_id: str | None = None
        self.views: dict[int | None, ViewState] = {}
        self.late = ViewState()  # what the delayed spectators saw last
        self.delayed: deque[tuple[int, dict, list]] = deque()  # (tick, None view, its events)
        self.delayed_last: dict | None = None  # the last None view queued for them
        self.relay_full_wanted = False
        self.encoded = 0  # frames encoded (full or delta): the benchmark's count

    @staticmethod
    def wanted(game_cls: type[Game]) -> bool:
        """Whether a lobby of ``game_cls`` sends its state through a `ViewFeed`."""
        return game_cls.turn_based or game_cls.has_views()

    @property
    def pending(self) -> bool:
        """Delayed frames still to play out after the match."""
        return bool(self.delayed)

    def send_state(self, *, tick: int, now_ms: int, game: Game, last_processed_input: dict[int, int],
                   events: list[dict], match_id: str, epoch: int) -> None:
        """Called by the loop where it would call `Broadcaster.send_state`: offer this tick's
        views to every member."""
        if match_id != self.match_id:
            self.match_id = match_id
            self.views.clear()
            self.late, self.delayed_last = ViewState(), None
            self.delayed.clear()
        cls = type(game)
        has_views, delay = cls.has_views(), self._delay_ticks()
        groups: dict[int | None, list[Connection]] = {}
        late: list[Connection] = []
        relayed: list[tuple[Connection, int | str | None]] = []  # members on other processes, and their view
        relay_full: set[int | str | None] = set()  # the views whose relayed frame must be a full one
        for member in self.lobby.members.values():
            if member.bot:
                continue  # a bot reads its own view (game.engine.bots)
            conn = member.conn
            if delay and watches_late(member):
                key: int | str | None = LATE
            else:
                key = member.id if has_views and member.in_match and member.role == "player" else None
            if conn.relayed:
                relayed.append((conn, key))
                if conn.needs_full or self.relay_full_wanted:
                    relay_full.add(key)
                    conn.needs_full = False
                if key != LATE:
                    groups.setdefault(key, [])
            elif key == LATE:
                late.append(conn)
            else:
                groups.setdefault(key, []).append(conn)
        self.relay_full_wanted = False
        if delay:
            groups.setdefault(None, [])
        shared = None if has_views else game.snapshot()
        kw = {"tick": tick, "now_ms": now_ms, "last_processed_input": last_processed_input,
              "turn_based": cls.turn_based, "volatile": cls.volatile, "keyframe_ticks": self._keyframe_ticks()}
        frames: dict[int | str | None, tuple[bytes | None, bytes | None]] = {}
        chain: dict[int | str | None, tuple[int, int]] = {}  # each view's (delta base, frame tick)
        for key, conns in groups.items():
            snap = game.view(key) if has_views else shared
            seen = game.view_events(events, key) if has_views else events
            want_full = key in relay_full or any(conn.needs_full for conn in conns)
            view = self.views.get(key)
            if view is None:
                view = self.views[key] = ViewState()
            base = view.tick
            frames[key] = delta, full = view.frames(snap=snap, events=seen, want_full=want_full, **kw)
            chain[key] = base, view.tick
            self.encoded += (delta is not None) + (full is not None)
            _push(conns, delta, full)
            if key is None and delay:
                self._hold(tick, snap, seen)
        if delay:
            base = self.late.tick
            frames[LATE] = self._send_late(late, tick, now_ms, draining=False, relay_full=LATE in relay_full)
            chain[LATE] = base, self.late.tick
        if relayed:
            self._relay(epoch, tick, relayed, frames, chain, relay_full, views=has_views, delayed=bool(delay))

    def play_out(self, *, tick: int, now_ms: int, epoch: int) -> None:
        """Called once a tick after a match while delayed frames remain: the delayed
        spectators see its end."""
        late, relayed = [], []
        for member in self.lobby.members.values():
            if watches_late(member) and not member.bot:
                (relayed if member.conn.relayed else late).append(member.conn)
        relay_full = self.relay_full_wanted or any(conn.needs_full for conn in relayed)
        self.relay_full_wanted = False
        for conn in relayed:
            conn.needs_full = False
        base = self.late.tick
        frames = {LATE: self._send_late(late, tick, now_ms, draining=True, relay_full=relay_full)}
        if relayed:
            self._relay(epoch, tick, [(conn, LATE) for conn in relayed], frames, {LATE: (base, self.late.tick)},
                        {LATE} if relay_full else set(), views=self.lobby.game_cls.has_views(), delayed=True)

    # -- the members on other processes --------------------------------------------------
    def _relay(self, epoch: int, tick: int, relayed: list[tuple[Connection, int | str | None]],
               frames: dict[int | str | None, tuple[bytes | None, bytes | None]],
               chain: dict[int | str | None, tuple[int, int]], relay_full: set[int | str | None], *,
               views: bool, delayed: bool) -> None:
        """Hand this tick's frames to the relay hook. A relayed member whose full frame did
        not go (a delayed feed still filling up) asks for one again next tick. With views,
        the hook gets each relayed member's view key (``seats``) and, for those views,
        ``views``: (delta, full, the delta's base tick, the frames' tick), never a view none
        of them sees (the base lets the member's process tell a lost frame: a turn-based view
        has no periodic keyframe); without, the one relayed frame (``delta``/``full``, and
        ``ddelta``/``dfull`` for delayed spectators)."""
        for conn, key in relayed:
            if key in relay_full and frames.get(key, (None, None))[1] is None:
                conn.needs_full = True
        if views:
            seen = {key: (*frames[key], *chain[key]) for _, key in relayed
                    if frames.get(key, (None, None)) != (None, None)}
            if seen:
                self.relay(self.lobby.code, epoch, tick, None, None, views=seen, seats=relayed)
            return
        (delta, full), (ddelta, dfull) = frames.get(None, (None, None)), frames.get(LATE, (None, None))
        if (delta, full, ddelta, dfull) != (None, None, None, None):
            self.relay(self.lobby.code, epoch, tick, delta, full, delayed=delayed, ddelta=ddelta, dfull=dfull)

    # -- the delayed spectators --------------------------------------------------------
    def _hold(self, tick: int, snap: dict, events: list) -> None:
        """Queue the None view of this tick for the delayed spectators (a turn-based game's
        only when it changed)."""
        if not events and self.delayed_last is not None and self.lobby.game_cls.turn_based \
                and _only(diff(self.delayed_last, snap), self.lobby.game_cls.volatile):
            return
        self.delayed.append((tick, snap, events))
        self.delayed_last = snap

    def _send_late(self, conns: list[Connection], tick: int, now_ms: int, *, draining: bool,
                   relay_full: bool) -> tuple[bytes | None, bytes | None]:
        """Release the delayed views that are old enough (all of them when ``draining``,
        one a tick) to the delayed spectators here; returns the frames, for the relay."""
        delay = self._delay_ticks()
        want_full = relay_full or any(conn.needs_full for conn in conns)
        if self.delayed and (draining or tick - self.delayed[0][0] >= delay):
            at, snap, events = self.delayed.popleft()
            delta, full = self.late.frames(tick=at, now_ms=now_ms, snap=snap, last_processed_input={}, events=events,
                                           turn_based=self.lobby.game_cls.turn_based,
                                           volatile=self.lobby.game_cls.volatile,
                                           keyframe_ticks=self._keyframe_ticks(), want_full=want_full)
        elif want_full and self.late.prev is not None:  # a newcomer gets what the others see
            delta, full = None, protocol.encode_full(tick=self.late.tick, time=now_ms, snapshot=self.late.prev,
                                                     last_processed_input={}, ev=[])
        else:
            return None, None
        _push(conns, delta, full)
        return delta, full

    # -- timing ------------------------------------------------------------------------
    def _keyframe_ticks(self) -> int:
        return max(1, round(self.keyframe_interval_s * self.lobby.tick_rate_hz))

    def _delay_ticks(self) -> int:
        seconds = self.lobby.settings.get("spectator_delay", 0)
        return round(seconds * self.lobby.tick_rate_hz) if seconds else 0
