"""The cluster's lobby directory in Redis: the lobby list, and each lobby's last trusted state.

``<prefix>lobby:<code>`` is a hash: ``summary`` (JSON, what lobby lists show), ``state``
(msgpack, `snapshot.lobby_state`: what a new owner restores), ``epoch``. ``<prefix>lobbies``
is the set of open codes. Only the owner writes a lobby's entry, and every write checks the
lease in the same script (a fenced write): an owner that lost its lease cannot overwrite
what its successor wrote.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack

PUT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'summary', ARGV[2], 'state', ARGV[3], 'epoch', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('SADD', KEYS[3], ARGV[5])
return 1
"""
REMOVE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[2])
return 1
"""


class Directory:
    def __init__(self, redis, prefix: str, ttl_s: float = 120.0) -> None:
        self.redis = redis
        self.ttl_ms = int(ttl_s * 1000)
        self.prefix = prefix
        self.index = f"{prefix}lobbies"
        self._put = redis.register_script(PUT)
        self._remove = redis.register_script(REMOVE)

    def key(self, code: str) -> str:
        return f"{self.prefix}lobby:{code}"

    async def put(self, lease, summary: dict[str, Any], state: dict[str, Any]) -> bool:
        """Write a lobby's entry, if ``lease`` is still the lobby's lease."""
        ok = await self._put(
            keys=[f"{self.prefix}lease:{lease.code}", self.key(lease.code), self.index],
            args=[lease.value, json.dumps(summary), msgpack.packb(state, use_bin_type=True),
                  lease.epoch, lease.code, self.ttl_ms])
        return bool(ok)

    async def remove(self, lease) -> bool:
        """Forget a closed lobby (fenced like `put`)."""
        ok = await self._remove(keys=[f"{self.prefix}lease:{lease.code}", self.key(lease.code), self.index],
                                args=[lease.value, lease.code])
        return bool(ok)

    async def state(self, code: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.key(code), "state")
        return msgpack.unpackb(raw, raw=False, strict_map_key=False) if raw else None

    async def summary(self, code: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.key(code), "summary")
        return json.loads(raw) if raw else None

    async def summaries(self) -> list[dict[str, Any]]:
        """Every listed lobby's summary (entries whose hash vanished are dropped from the set)."""
        codes = sorted(c.decode() if isinstance(c, bytes) else c for c in await self.redis.smembers(self.index))
        if not codes:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for code in codes:
            pipe.hget(self.key(code), "summary")
        out, stale = [], []
        for code, raw in zip(codes, await pipe.execute()):
            if raw:
                out.append(json.loads(raw))
            else:
                stale.append(code)
        if stale:
            await self.redis.srem(self.index, *stale)
        return out
