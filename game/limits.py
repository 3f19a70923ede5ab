"""Per-connection rate limits: token buckets by kind of client message.

A bucket holds ``burst`` tokens and refills at ``rate`` per second; each message takes one.
The consumer answers a message that finds its bucket empty with a ``rate_limited`` error, and
those count toward the connection's error budget, so a persistent flood is closed (4029).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float | None = None) -> bool:
        """Take one token if there is one."""
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
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
