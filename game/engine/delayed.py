"""The delayed spectator feed: spectators of a lobby with ``spectator_delay`` set see the match
that many seconds late, so that watching cannot be used to help a player (ghosting).

The loop hands each tick's snapshot and game events to `DelayedFeed.push`; once the delay has
passed, `DelayedFeed.frames` encodes the snapshot of ``delay`` ticks ago — once for every
delayed spectator, as a delta against the previous delayed tick, or a full snapshot at each
keyframe and for whoever needs one. Frames carry the old tick but the current server time (they
are sent now; clients interpolate on arrival) and no input acknowledgements (spectators have
none). When the match ends, the feed plays out what it still holds, so spectators see the end.
Players, staff and the lobby's host always see the live game.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from game import protocol
from game.engine.delta import diff

MAX_DELAY_S = 30  # at 60 Hz: 1,800 snapshots held per lobby at most


class DelayedFeed:
    def __init__(self) -> None:
        self.buffer: deque[tuple[int, dict, list]] = deque()
        self.prev: dict | None = None  # the last snapshot sent to delayed spectators
        self.prev_tick = 0
        self.last_full_tick = -(10**9)

    def reset(self) -> None:
        self.buffer.clear()
        self.prev, self.prev_tick, self.last_full_tick = None, 0, -(10**9)

    def push(self, tick: int, snapshot: dict, events: list[dict[str, Any]]) -> None:
        self.buffer.append((tick, snapshot, events))

    @property
    def pending(self) -> bool:
        return bool(self.buffer)

    def frames(self, *, delay_ticks: int, keyframe_ticks: int, now_ms: int, want_full: bool,
               draining: bool = False) -> tuple[bytes | None, bytes | None]:
        """This tick's delayed (delta, full) frames; (None, None) while the delay fills up.
        ``draining``: the match is over; send the rest without waiting for new ticks."""
        if not self.buffer or (len(self.buffer) <= delay_ticks and not draining):
            return None, None
        tick, snapshot, events = self.buffer.popleft()
        keyframe = self.prev is None or tick - self.last_full_tick >= keyframe_ticks
        delta = full = None
        if keyframe or want_full:
            full = protocol.encode_full(tick=tick, time=now_ms, snapshot=snapshot,
                                        last_processed_input={}, ev=events)
            self.last_full_tick = tick if keyframe else self.last_full_tick
        if not keyframe:
            delta = protocol.encode_delta(tick=tick, time=now_ms, base=self.prev_tick,
                                          delta=diff(self.prev, snapshot), last_processed_input={}, ev=events)
        self.prev, self.prev_tick = snapshot, tick
        return delta, full
