"""Per-connection rate limits: token buckets by kind of client message.

A bucket holds ``burst`` tokens and refills at ``rate`` per second; each message takes one.
The consumer answers a message that finds its bucket empty with a ``rate_limited`` error, and
those count toward the connection's error budget, so a persistent flood is closed (4029).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from time import monotonic

# Refusals that say the client is broken or hostile: they count toward the error budget.
COUNTED_ERRORS = frozenset({"bad_frame", "bad_version", "unknown_kind", "bad_field",
                            "frame_too_large", "forbidden", "rate_limited"})


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = field(default_factory=monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float | None = None) -> bool:
        """Take one token if there is one."""
        if now is None:
            now = monotonic()
        tokens = self.tokens + (now - self.stamp) * self.rate
        self.stamp = now
        if tokens > self.burst:  # (not min(): this runs for every message of every client)
            tokens = self.burst
        if tokens >= 1.0:
            self.tokens = tokens - 1.0
            return True
        self.tokens = tokens
        return False


# Which bucket a client message kind draws from.
LIMIT_OF_KIND = {"input": "input", "ping": "ping", "chat": "chat", "ready": "command"}


def buckets_for(tick_rate: int, limits: dict[str, tuple[float, float]]) -> dict[str, TokenBucket]:
    """Fresh buckets for one connection. Inputs may come at up to twice the tick rate
    (clients that send on animation frames), with at least ``limits["input"]``."""
    rate, burst = limits["input"]
    out = {"input": TokenBucket(rate=max(rate, 2 * tick_rate), burst=max(burst, 2 * tick_rate))}
    for name in ("ping", "chat", "command"):
        out[name] = TokenBucket(*limits[name])
    return out


class ErrorBudget:
    """What a socket does with a refusal: at most ``budget`` counted refusals in ``window_s``
    seconds (one more closes the socket, 4029), and at most one error frame per code and
    kind a second (a flood of one mistake gets one answer a second)."""

    def __init__(self, budget: int, window_s: float) -> None:
        self.budget, self.window_s = budget, window_s
        self.errors: deque[float] = deque()
        self.last_sent: dict[tuple, float] = {}

    def refuse(self, code: str, ref: object = None, now: float | None = None) -> str | None:
        """``"close"`` when the budget is spent, ``"send"`` when an error frame is due, else None."""
        now = monotonic() if now is None else now
        if code in COUNTED_ERRORS:
            self.errors.append(now)
            while self.errors and self.errors[0] < now - self.window_s:
                self.errors.popleft()
            if len(self.errors) > self.budget:
                return "close"
        key = (code, ref if isinstance(ref, str) else None)
        if now - self.last_sent.get(key, -1e9) >= 1.0:
            self.last_sent[key] = now
            return "send"
        return None

