"""The shared store (Redis) as this process sees it: reachable or not, logged once each way.

While Redis is unreachable every background task of a cluster process fails many times a
second (relays, batches, renewals, group sends). Those failures are counted here instead of
logged one by one: one warning when the first fails, one when Redis answers again, with the
seconds it was down, the operations that failed and the messages dropped (docs/deploy.md).

`Unavailable` is what a lookup raises when the shared store cannot answer for now; a
websocket handshake turns it into the retryable close 4015 ``unavailable`` and the HTTP API
into 503 with ``Retry-After``, instead of an error page.
"""

from __future__ import annotations

import asyncio
import logging
import time

log = logging.getLogger("game.outage")


class Unavailable(Exception):
    """The cluster's shared store cannot answer now, or is being rebuilt: retry shortly."""


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the store is unreachable (rather than a fault of this process),
    itself or the exception it was raised from (a write whose shard failed re-raises that)."""
    if exc.__cause__ is not None and exc.__cause__ is not exc and is_outage(exc.__cause__):
        return True
    if isinstance(exc, (OSError, asyncio.TimeoutError, TimeoutError, Unavailable)):
        return True
    try:
        from redis.exceptions import BusyLoadingError, ConnectionError
        from redis.exceptions import TimeoutError as RedisTimeout
    except ImportError:  # the embedded default without redis installed
        return False
    return isinstance(exc, (ConnectionError, RedisTimeout, BusyLoadingError))


class Outage:
    """Whether Redis is down, since when, and what failed meanwhile."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self.log = logger
        self.down_since: float | None = None
        self.failures = 0
        self.dropped = 0
        self.outages = 0  # outages seen since the process started (for /metrics)
        self.ended_at = float("-inf")  # monotonic time the last outage ended

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def seconds_down(self) -> float:
        return 0.0 if self.down_since is None else time.monotonic() - self.down_since

    def failed(self, what: str, exc: BaseException | None = None, *, dropped: int = 0) -> None:
        """Count one failed operation (``dropped`` messages lost with it); the first of an
        outage is logged."""
        self.failures += 1
        self.dropped += dropped
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.outages += 1
            cause = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
            self.log.warning("Redis unreachable: %s failed%s; failures are counted until it answers",
                             what, cause)

    def ok(self) -> None:
        """Redis answered: the end of an outage, if one was on, is logged with its counts."""
        if self.down_since is None:
            return
        self.log.warning("Redis answers again after %.1f s down: %d operations failed, %d messages dropped",
                         time.monotonic() - self.down_since, self.failures, self.dropped)
        self.down_since = None
        self.ended_at = time.monotonic()
        self.failures = 0
        self.dropped = 0

    def report(self, what: str, exc: BaseException, logger: logging.Logger, message: str, *args,
               dropped: int = 0) -> None:
        """An operation failed: counted if Redis is unreachable, else logged with its traceback."""
        if is_outage(exc):
            self.failed(what, exc, dropped=dropped)
        else:
            logger.warning(message, *args, exc_info=exc)


class OutageFilter(logging.Filter):
    """For a library's logger (channels_redis): its records about an unreachable Redis are
    counted in the outage, not written."""

    def __init__(self, outage: Outage) -> None:
        super().__init__()
        self.outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and (is_outage(exc) or is_outage(exc.__context__ or exc)):
            self.outage.failed(record.name, exc)
            return False
        return True


OUTAGE = Outage()  # one per process: every task of the process reports to it


def quiet_library_logs() -> None:
    """Route channels_redis' connection tracebacks into the outage count (idempotent)."""
    for name in ("channels_redis", "channels_redis.pubsub", "channels_redis.core"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, OutageFilter) for f in logger.filters):
            logger.addFilter(OutageFilter(OUTAGE))
