"""The observer's state frames, counted per window: frames per second as they arrived, and
frames lost — ticks the server ran whose frame never came, and ticks it skipped.

Each record is ``(socket, arrival, tick, server time)``. A frame belongs to the window in
which its tick *ran* (the server's ``time``, moved onto this machine's monotonic clock by the
offset the baseline shows), so a frame that arrives late is late, not lost, and the client's
own pauses cannot make losses up. Within a window, each socket's ticks run from the last one
before the window (the anchor) to the last one in it: a number missing between them is a lost
frame; a socket that got nothing in a window (or whose stream ended in it) lost that time's
frames. Ticks the server skipped (its lobby stats' ``skipped_ticks``, read around the window by
the runner) are lost frames too: the observer never got them.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass


class Recorder:
    """Appends state-frame records (from the observer's thread); read once the run is over."""

    def __init__(self) -> None:
        self.records: list[tuple[int, float, int, int]] = []

    def add(self, sock: int, arrival: float, tick: int, server_ms: int) -> None:
        self.records.append((sock, arrival, tick, server_ms))


@dataclass
class WindowStats:
    seconds: float
    frames: int  # state frames received in the window, all observer sockets
    fps: float  # per observer socket, as they arrived
    lost: int  # frames missing, and ticks the server skipped (``skipped`` of them), times sockets
    loss_pct: float
    max_gap_ms: float  # longest wait between two frames of one socket
    skipped: int = 0  # ticks the server skipped in the window (its lobby stats)

    def as_dict(self) -> dict:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


def clock_offset(records: list[tuple[int, float, int, int]]) -> float:
    """Seconds to add to a server time (ms / 1000) to get this machine's monotonic time of arrival."""
    if not records:
        return 0.0
    return statistics.median(arrival - server_ms / 1000.0 for _s, arrival, _t, server_ms in records)


def _socket_loss(rows: list[tuple[float, int]], start: float, end: float, rate: float) -> int:
    """Lost frames of one socket in [start, end). ``rows``: its (tick time, tick) of the whole
    run, in order. A tick missing between two frames ran at the time interpolated between them
    and counts in the window that time falls in; after the last frame of a stream that ended,
    every tick the window still had is lost."""
    period, lost, previous = 1.0 / rate, 0, None
    for time_, tick in rows:
        if previous is not None and tick > previous[1] + 1:
            before_time, before_tick = previous
            lost += sum(1 for k in range(before_tick + 1, tick)
                        if start <= before_time + (k - before_tick) * period < end)
        if time_ >= end:
            return lost
        previous = (time_, tick)
    resumed_at = max(start, previous[0] + period) if previous is not None else start
    return lost + max(0, round((end - resumed_at) * rate))


def window_stats(records: list[tuple[int, float, int, int]], start: float, end: float, *, rate: float,
                 offset: float, skipped: int = 0) -> WindowStats:
    """`WindowStats` of [start, end) (monotonic seconds) over every observer socket; ``skipped``:
    the ticks the server says it skipped meanwhile (each a frame lost by every socket)."""
    seconds = max(1e-6, end - start)
    by_socket: dict[int, list[tuple[float, int, float]]] = {}
    for sock, arrival, tick, server_ms in records:
        by_socket.setdefault(sock, []).append((server_ms / 1000.0 + offset, tick, arrival))
    frames = lost = arrived = sockets = 0
    max_gap = 0.0
    for rows in by_socket.values():
        rows.sort()
        if rows[-1][0] < start - 1.0 or rows[0][0] >= end:
            continue  # a socket of a lobby that was replaced before, or made after, this window
        sockets += 1
        lost += _socket_loss([(t, tick) for t, tick, _a in rows], start, end, rate)
        frames += sum(1 for t, _tick, _a in rows if start <= t < end)
        arrivals = sorted(a for _t, _tick, a in rows if start <= a < end)
        arrived += len(arrivals)
        max_gap = max([max_gap, *(b - a for a, b in zip([start, *arrivals], [*arrivals, end], strict=True))])
    sockets = max(1, sockets)
    lost += max(0, skipped) * sockets
    total = frames + lost
    return WindowStats(seconds=seconds, frames=frames, fps=arrived / seconds / sockets, lost=lost,
                       loss_pct=100.0 * lost / total if total else 100.0, max_gap_ms=max_gap * 1000.0,
                       skipped=max(0, skipped))
