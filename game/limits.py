"""Limits: per-connection rate limits, the error budget, and who a client is.

A bucket holds ``burst`` tokens and refills at ``rate`` per second; each message takes one.
The consumer answers a message that finds its bucket empty with a ``rate_limited`` error, and
those count toward the connection's error budget, so a persistent flood is closed (4029).

`client_address` is the one place that says which address a request or socket comes from
(the peer, or behind a trusted proxy the address that proxy saw); `limit_key` is what the
limits per address count (an IPv6 address by its network, as one host holds a whole /64).
"""

from __future__ import annotations

import ipaddress
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from time import monotonic

from django.conf import settings

# Refusals that say the client is broken or hostile: they count toward the error budget.
COUNTED_ERRORS = frozenset({"bad_frame", "bad_version", "unknown_kind", "bad_field",
                            "frame_too_large", "forbidden", "rate_limited"})


@dataclass(slots=True)  # one for each kind of message of each connection
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


def input_allowance(tick_rate: int, limits: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """``(rate, burst)`` of one connection's inputs: up to twice the tick rate (clients that
    send on animation frames), and at least ``limits["input"]``."""
    rate, burst = limits["input"]
    return max(rate, 2 * tick_rate), max(burst, 2 * tick_rate)


def buckets_for(tick_rate: int, limits: dict[str, tuple[float, float]]) -> dict[str, TokenBucket]:
    """Fresh buckets for one connection (inputs: `input_allowance`)."""
    out = {"input": TokenBucket(*input_allowance(tick_rate, limits))}
    for name in ("ping", "chat", "command"):
        out[name] = TokenBucket(*limits[name])
    return out


#: Keys (code, refused kind) an error budget remembers; a ``ref`` can be a client's own
#: string (an unknown kind), so older ones are forgotten past this many.
MAX_ERROR_KEYS = 64


class ErrorBudget:
    """What a socket does with a refusal: at most ``budget`` counted refusals in ``window_s``
    seconds (one more closes the socket, 4029), and at most one error frame per code and
    kind a second (a flood of one mistake gets one answer a second)."""

    __slots__ = ("budget", "errors", "last_sent", "window_s")  # one for each connection

    def __init__(self, budget: int, window_s: float) -> None:
        self.budget, self.window_s = budget, window_s
        self.errors: deque[float] | None = None  # made at the first counted refusal (an empty deque is 760 bytes)
        self.last_sent: dict[tuple, float] = {}

    def refuse(self, code: str, ref: object = None, now: float | None = None) -> str | None:
        """``"close"`` when the budget is spent, ``"send"`` when an error frame is due, else None."""
        now = monotonic() if now is None else now
        if code in COUNTED_ERRORS:
            errors = self.errors
            if errors is None:
                errors = self.errors = deque()
            errors.append(now)
            while errors and errors[0] < now - self.window_s:
                errors.popleft()
            if len(errors) > self.budget:
                return "close"
        key = (code, ref if isinstance(ref, str) else None)
        if now - self.last_sent.get(key, -1e9) >= 1.0:
            if len(self.last_sent) >= MAX_ERROR_KEYS:  # refs are client strings: keep a bound
                self.last_sent = {k: t for k, t in self.last_sent.items() if now - t < 1.0}
            self.last_sent[key] = now
            return "send"
        return None



# -- who a client is -------------------------------------------------------------------------
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def trusted_proxies() -> tuple[Network, ...]:
    """GAME["TRUSTED_PROXIES"] as networks (addresses and CIDRs; checked by the settings)."""
    return _networks(tuple(settings.GAME.get("TRUSTED_PROXIES") or ()))


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as a peer or an X-Forwarded-For entry gives it (``[v6]:port`` and
    ``v4:port`` too), IPv4-mapped IPv6 as IPv4; None for anything else."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


def _forwarded_for(scope: dict) -> list[str]:
    """Every X-Forwarded-For entry of the request, left to right, over all such headers."""
    entries: list[str] = []
    for name, value in scope.get("headers") or ():
        if name.lower() == b"x-forwarded-for":
            entries += value.decode("latin-1").split(",")
    return entries


def client_address(scope: dict) -> str | None:
    """The client's address for an ASGI scope (HTTP and websocket alike).

    The peer's address, unless the peer is a trusted proxy (GAME["TRUSTED_PROXIES"]): then
    the right-most X-Forwarded-For entry that is not a trusted proxy, walking from the right
    (each proxy appends the address it saw, so entries left of it are the client's own say).
    An entry that is not an address stops the walk at the last trusted hop. No header is
    read unless the peer is trusted; with no trusted proxies, none ever is."""
    client = scope.get("client") or (None, None)
    peer = _ip(str(client[0])) if client[0] is not None else None
    if peer is None:
        return client[0]
    trusted = trusted_proxies()
    if not trusted or not any(peer in net for net in trusted):
        return str(peer)
    found = peer
    for entry in reversed(_forwarded_for(scope)):
        ip = _ip(entry)
        if ip is None:
            break
        found = ip
        if not any(ip in net for net in trusted):
            break
    return str(found)


def limit_key(address: str | None) -> str:
    """What the limits per address count: an IPv4 address as is, an IPv6 address by its
    first GAME["IPV6_PREFIX_BITS"] bits (a network, as one host may hold a /64), "?" for none."""
    if not address:
        return "?"
    bits = settings.GAME.get("IPV6_PREFIX_BITS", 64)
    if ":" not in address or not bits or bits >= 128:
        return address
    try:
        return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))
    except ValueError:
        return address
