"""The cluster's lobby directory in Redis: the lobby list, and each lobby's last trusted state.

A lobby's entry (`Keys.lobby`: ``gs:{<bucket>}:lobby:<code>``) is a hash: ``summary`` (JSON,
what lobby lists show), ``state`` (msgpack, `snapshot.lobby_state`: what a new owner
restores), ``epoch``. Its bucket's index (`Keys.index`: ``gs:{<bucket>}:lobbies``) is a hash
of code -> summary JSON of the bucket's *listed* lobbies (public and not closed), which is
what the lobby list reads: one HGETALL per bucket, no key per lobby. Only the owner writes a
lobby's entry, and every write checks the lease in the same script (a fenced write): an owner
that lost its lease cannot overwrite what its successor wrote. Lease, entry and index share
the bucket's hash tag, so each script touches one Redis Cluster slot.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgpack

from game.cluster.keys import Keys
from game.cluster.shards import Shards
from game.lobbylist import listed

# KEYS: lease, entry, index; ARGV: lease value, summary, state, epoch, code, entry ttl ms,
# listed (1: the summary goes to the index; 0: the code leaves it).
PUT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'summary', ARGV[2], 'state', ARGV[3], 'epoch', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
if ARGV[7] == '1' then redis.call('HSET', KEYS[3], ARGV[5], ARGV[2])
else redis.call('HDEL', KEYS[3], ARGV[5]) end
return 1
"""
REMOVE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[3], ARGV[2])
return 1
"""
# KEYS: a bucket's index; ARGV[1]: the prefix of its entries' keys (``gs:{17}:lobby:``),
# ARGV[2]: '1' to first drop the listed codes whose entry expired (owner gone, nobody took
# the lobby over within DIRECTORY_TTL_S). Returns the index as HGETALL does.
LIST = """
if ARGV[2] == '1' then
  local codes = redis.call('HKEYS', KEYS[1])
  for _, code in ipairs(codes) do
    if redis.call('EXISTS', ARGV[1] .. code) == 0 then redis.call('HDEL', KEYS[1], code) end
  end
end
return redis.call('HGETALL', KEYS[1])
"""


ROUTE_RE = re.compile(r"[A-Za-z0-9_-]{0,32}")


class Directory:
    """A lobby's entry carries its owner's ``route`` (GAME_ROUTE), which lookups answer."""

    def __init__(self, redis, keys: Keys | str, ttl_s: float = 120.0, *, route: str = "") -> None:
        if not ROUTE_RE.fullmatch(route):
            raise ValueError(f"GAME_ROUTE must be at most 32 letters, digits, - or _, not {route!r}")
        self.route = route
        self.keys = keys if isinstance(keys, Keys) else Keys(keys)
        self.shards = Shards.wrap(redis, self.keys)  # each lobby's entry on its bucket's shard
        self.redis = redis = self.shards.main
        self.ttl_ms = int(ttl_s * 1000)
        self._put = redis.register_script(PUT)
        self._remove = redis.register_script(REMOVE)
        self._list = redis.register_script(LIST)

    def key(self, code: str) -> str:
        return self.keys.lobby(code)

    def _fenced(self, code: str) -> list[str]:
        return [self.keys.lease(code), self.key(code), self.keys.index(self.keys.bucket(code))]

    async def put(self, lease, summary: dict[str, Any], state: dict[str, Any]) -> bool:
        """Write a lobby's entry, if ``lease`` is still the lobby's lease."""
        if self.route:
            summary = summary | {"route": self.route}
        text = json.dumps(summary, separators=(",", ":"))
        ok = await self._put(
            keys=self._fenced(lease.code),
            args=[lease.value, text, msgpack.packb(state, use_bin_type=True), lease.epoch, lease.code,
                  self.ttl_ms, "1" if listed(summary) else "0"], client=self.shards.of(lease.code))
        return bool(ok)

    async def remove(self, lease) -> bool:
        """Forget a closed lobby (fenced like `put`)."""
        ok = await self._remove(keys=self._fenced(lease.code), args=[lease.value, lease.code],
                                 client=self.shards.of(lease.code))
        return bool(ok)

    async def state(self, code: str) -> dict[str, Any] | None:
        raw = await self.shards.of(code).hget(self.key(code), "state")
        return msgpack.unpackb(raw, raw=False, strict_map_key=False) if raw else None

    async def summary(self, code: str) -> dict[str, Any] | None:
        raw = await self.shards.of(code).hget(self.key(code), "summary")
        return json.loads(raw) if raw else None

    async def listed_raw(self, *, sweep: bool = False) -> list[bytes]:
        """The summary JSON of every listed lobby, one HGETALL per bucket (pipelined, one
        round trip per shard, at once); ``sweep`` first drops the codes whose entry expired."""
        def read(pipe, bucket: int):
            return self._list(keys=[self.keys.index(bucket)],
                              args=[self.keys.tag(bucket) + "lobby:", "1" if sweep else "0"], client=pipe)
        replies = await self.shards.pipelined_or_raise(range(self.keys.buckets), lambda bucket: bucket, read)
        return [flat[i] for flat in replies for i in range(1, len(flat), 2)]

    async def summaries(self) -> list[dict[str, Any]]:
        """Every listed lobby's summary, by code (entries that expired are dropped)."""
        return sorted((json.loads(raw) for raw in await self.listed_raw(sweep=True)), key=lambda s: s["code"])
