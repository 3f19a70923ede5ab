"""Tick timing figures of one lobby loop, for logs, the dashboard and benchmarks."""

from __future__ import annotations

from collections import deque


class LoopStats:
    """Durations of the most recent ticks, plus overrun and skip counters."""

    def __init__(self, window: int = 1200) -> None:
        self.durations: deque[float] = deque(maxlen=window)
        self.ticks = 0
        self.overruns = 0
        self.skipped_ticks = 0
        self.max_lateness = 0.0
        self.matches_ended = 0  # handed to the writer: finished or aborted

    def record(self, duration: float, lateness: float) -> None:
        self.ticks += 1
        self.durations.append(duration)
        if lateness > self.max_lateness:
            self.max_lateness = lateness

    def percentile_ms(self, q: float) -> float:
        if not self.durations:
            return 0.0
        ordered = sorted(self.durations)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0

    def as_dict(self) -> dict[str, float]:
        return {"ticks": self.ticks, "overruns": self.overruns, "skipped_ticks": self.skipped_ticks,
                "matches_ended": self.matches_ended,
                "tick_p50_ms": round(self.percentile_ms(0.5), 3),
                "tick_p99_ms": round(self.percentile_ms(0.99), 3)}
