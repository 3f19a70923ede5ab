"""The public lobby list, served from a snapshot that each process refreshes every few seconds.

`GET /api/lobbies` never reads every lobby: it answers a page of the process's current
`LobbyList`, an immutable snapshot indexed by filter (all, one game, open seats, both) and
sorted once, so a page costs a bisect and a slice whatever the number of lobbies. A
`LobbyListCache` keeps one snapshot per process and builds the next one (from the registry on
one process; from the cluster's shared snapshot, game.cluster.lobbylist) at most once every
``refresh_s``, and sooner after a local change the runtime reports (`invalidate`).

Order: lobbies with an open seat first, then fuller lobbies first, then by code. A page's
``next`` cursor names the last row's place in that order (``<0|1>.<players>.<code>``), so the
following page starts after it even when the snapshot changed in between.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import re
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import msgpack

log = logging.getLogger("game.lobbylist")

MAX_PAGE, DEFAULT_PAGE = 100, 50
SNAPSHOT_VERSION = 1
_CURSOR = re.compile(r"^([01])\.(\d{1,4})\.([A-Za-z0-9]{1,16})$")

Key = tuple[int, int, str]


class BadCursor(ValueError):
    """A ``cursor`` no page of the list ever gave."""


def listed(summary: dict[str, Any]) -> bool:
    """Whether a lobby belongs in the public list: neither private nor closed."""
    return not summary.get("private") and summary.get("phase") != "closed"


def open_seats(summary: dict[str, Any]) -> int:
    """The seats a newcomer could take: none in a locked lobby."""
    return 0 if summary.get("locked") else max(0, summary["max_players"] - summary["players"])


def order_key(summary: dict[str, Any]) -> Key:
    return (0 if open_seats(summary) else 1, -summary["players"], summary["code"])


def encode_cursor(key: Key) -> str:
    return f"{key[0]}.{-key[1]}.{key[2]}"


def decode_cursor(text: str) -> Key:
    found = _CURSOR.match(text)
    if found is None:
        raise BadCursor(text)
    return (int(found[1]), -int(found[2]), found[3])


class LobbyList:
    """One snapshot of the listed lobbies, with an index per filter."""

    def __init__(self, summaries: Iterable[dict[str, Any]], *, built_ms: int | None = None) -> None:
        self.built_ms = int(time.time() * 1000) if built_ms is None else built_ms
        self.rows = sorted((s for s in summaries if listed(s)), key=order_key)
        self.views: dict[tuple[str | None, bool], tuple[list[Key], list[dict[str, Any]]]] = {}
        for row in self.rows:
            key = order_key(row)
            for view in ((None, False), (row["game"], False)) + (((None, True), (row["game"], True))
                                                                  if key[0] == 0 else ()):
                keys, rows = self.views.setdefault(view, ([], []))
                keys.append(key)
                rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def page(self, *, game: str | None = None, open_only: bool = False, cursor: str | None = None,
             limit: int = DEFAULT_PAGE) -> dict[str, Any]:
        """At most ``limit`` lobbies after ``cursor`` (BadCursor if unreadable), those of
        ``game`` only and with an open seat only if asked; ``total`` counts every match and
        ``next`` is the cursor of the following page (None on the last)."""
        keys, rows = self.views.get((game, open_only), ([], []))
        start = bisect.bisect_right(keys, decode_cursor(cursor)) if cursor else 0
        end = start + limit
        return {"lobbies": rows[start:end], "total": len(rows),
                "next": encode_cursor(keys[end - 1]) if end < len(rows) else None}

    # -- as the cluster shares it (game.cluster.lobbylist) ---------------------------------
    def to_bytes(self) -> bytes:
        body = msgpack.packb([SNAPSHOT_VERSION, self.built_ms, self.rows], use_bin_type=True)
        return zlib.compress(body, 1)

    @classmethod
    def from_bytes(cls, blob: bytes) -> LobbyList:
        version, built_ms, rows = msgpack.unpackb(zlib.decompress(blob), raw=False)
        if version != SNAPSHOT_VERSION:
            raise ValueError(f"lobby list snapshot of version {version}")
        return cls(rows, built_ms=built_ms)

    @classmethod
    def from_json(cls, summaries: Iterable[bytes | str], *, built_ms: int | None = None) -> LobbyList:
        return cls((json.loads(raw) for raw in summaries), built_ms=built_ms)


class LobbyListCache:
    """This process's current `LobbyList`: built by ``build`` at most every ``refresh_s``
    (and after `invalidate`, at most every ``min_refresh_s``), one build at a time however
    many requests wait for it. A failed build keeps the last snapshot until the next period."""

    def __init__(self, build: Callable[[], Awaitable[LobbyList]], *, refresh_s: float,
                 min_refresh_s: float = 0.25, clock: Callable[[], float] = time.monotonic) -> None:
        self.build = build
        self.refresh_s, self.min_refresh_s = refresh_s, min_refresh_s
        self.clock = clock
        self.current: LobbyList | None = None
        self.built_at = 0.0
        self.dirty = False
        self.builds = 0
        self._building: asyncio.Future[LobbyList] | None = None

    def invalidate(self) -> None:
        """Called when this process changed a listed lobby: the next request rebuilds (soon)."""
        self.dirty = True

    def _fresh(self) -> bool:
        age = self.clock() - self.built_at
        return self.current is not None and age < (self.min_refresh_s if self.dirty else self.refresh_s)

    async def get(self) -> LobbyList:
        if self._fresh():
            return self.current  # type: ignore[return-value]
        if self._building is None:
            self._building = asyncio.ensure_future(self._rebuild())
        building = self._building
        return await asyncio.shield(building)

    async def _rebuild(self) -> LobbyList:
        self.dirty = False
        try:
            self.current = await self.build()
            self.builds += 1
        except Exception:
            if self.current is None:
                raise
            log.warning("lobby list: refresh failed; serving the last one", exc_info=True)
        finally:
            self.built_at = self.clock()
            self._building = None
        return self.current
