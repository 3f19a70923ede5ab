"""The observer's state frames, counted per window: frames per second as they arrived, and
frames lost — ticks the server ran whose frame never came, or ticks it skipped.

Each record is ``(socket, arrival, tick, server time)``. A frame belongs to the window in
which its tick *ran* (the server's ``time``, moved onto this machine's monotonic clock by the
offset the baseline shows), so a frame that arrives late is late, not lost, and the client's
own pauses cannot make losses up. Within a window, each socket's ticks run from the last one
before the window (the anchor) to the last one in it: a number missing between them is a lost
frame; a stretch of server time longer than its ticks (past one tick of jitter) is skipped ticks.
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
    lost: int
    loss_pct: float
    max_gap_ms: float  # longest wait between two frames of one socket

    def as_dict(self) -> dict:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


def clock_offset(records: list[tuple[int, float, int, int]]) -> float:
    """Seconds to add to a server time (ms / 1000) to get this machine's monotonic time of arrival."""
    if not records:
        return 0.0
    return statistics.median(arrival - server_ms / 1000.0 for _s, arrival, _t, server_ms in records)


def _socket_loss(frames: list[tuple[float, int]], anchor: tuple[float, int] | None, start: float, end: float,
                 rate: float, ended: bool) -> int:
    """Lost frames of one socket in [start, end): ``frames`` are its (tick time, tick) inside."""
    if not frames:
        return round((end - start) * rate)
    ticks = sorted({tick for _t, tick in frames})
    first_time, first_tick = anchor if anchor is not None else min(frames)
    last_time, last_tick = max(frames)
    missing = (last_tick - first_tick) - len([t for t in ticks if t > first_tick])
    skipped = round((last_time - first_time) * rate) - (last_tick - first_tick) - 1
    tail = round((end - last_time) * rate) - 1 if ended else 0  # the stream stopped in this window
    return max(0, missing) + max(0, skipped) + max(0, tail)


def window_stats(records: list[tuple[int, float, int, int]], start: float, end: float, *, rate: float,
                 offset: float) -> WindowStats:
    """`WindowStats` of [start, end) (monotonic seconds) over every observer socket."""
    seconds = max(1e-6, end - start)
    by_socket: dict[int, list[tuple[float, float, int]]] = {}
    for sock, arrival, tick, server_ms in records:
        by_socket.setdefault(sock, []).append((server_ms / 1000.0 + offset, arrival, tick))
    frames = lost = 0
    arrived = 0
    max_gap = 0.0
    for rows in by_socket.values():
        rows.sort()
        if rows[-1][0] < start - 1.0 or rows[0][0] >= end:
            continue  # a socket of a lobby that was replaced, or not yet made
        inside = [(t, tick) for t, _a, tick in rows if start <= t < end]
        before = [(t, tick) for t, _a, tick in rows if t < start]
        ended = not any(t >= end for t, _a, _tick in rows)
        lost += _socket_loss(inside, before[-1] if before else None, start, end, rate, ended)
        frames += len(inside)
        arrivals = sorted(a for _t, a, _tick in rows if start <= a < end)
        arrived += len(arrivals)
        gaps = [b - a for a, b in zip([start] + arrivals, arrivals + [end])]
        max_gap = max([max_gap] + gaps)
    sockets = max(1, sum(1 for rows in by_socket.values() if not (rows[-1][0] < start - 1.0 or rows[0][0] >= end)))
    total = frames + lost
    return WindowStats(seconds=seconds, frames=frames, fps=arrived / seconds / sockets, lost=lost,
                       loss_pct=100.0 * lost / total if total else 100.0, max_gap_ms=max_gap * 1000.0)
