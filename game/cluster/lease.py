"""Lobby ownership: a lease in Redis, acquired atomically, renewed, released.

The lease key (`game.cluster.keys.Keys.lease`: ``gs:{<bucket>}:lease:<code>``) holds
``"<node>|<epoch>"`` and expires after the lease's TTL unless renewed. Each acquisition
increments the lobby's epoch key, so every owner of a lobby has a larger epoch than the one
before; the epoch is stamped on the frames it relays and the records it writes, and directory
writes are fenced by it (see `directory`). Everything is one Lua script per operation: no
read-then-write races. A lobby's keys share its bucket's hash tag, so each script touches one
Redis Cluster slot; renewals go one script per bucket. The epoch and the directory entry live
as long as the lease is renewed and DIRECTORY_TTL_S more: a closed lobby leaves nothing behind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from game.cluster.keys import Keys
from game.cluster.shards import Shards

# KEYS: lease, epoch; ARGV[1]: node, ARGV[2]: lease ttl ms, ARGV[3]: epoch ttl ms.
ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local epoch = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
return epoch
"""
# KEYS: (lease, directory entry, epoch) triples of one bucket; ARGV[1]: lease ttl ms, ARGV[2]:
# directory ttl ms, ARGV[3..]: the value each lease must still hold. A held lease keeps its
# directory entry and epoch alive; those of a lobby nobody took over expire.
RENEW = """
local out = {}
for i = 1, #KEYS / 3 do
  if redis.call('GET', KEYS[3 * i - 2]) == ARGV[i + 2] then
    redis.call('PEXPIRE', KEYS[3 * i - 2], ARGV[1])
    redis.call('PEXPIRE', KEYS[3 * i - 1], ARGV[2])
    redis.call('PEXPIRE', KEYS[3 * i], ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Lease:
    code: str
    node: str
    epoch: int

    @property
    def value(self) -> str:
        return f"{self.node}|{self.epoch}"


def parse(code: str, value: bytes | str | None) -> Lease | None:
    """The lease a key's value describes (None for no lease)."""
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else value
    node, _, epoch = text.rpartition("|")
    return Lease(code, node, int(epoch)) if node and epoch.isdigit() else None


class Leases:
    """The lease operations (``redis``: a redis.asyncio client, or the `Shards`; ``keys``: a
    `Keys`, or its prefix). Each lobby's scripts run on its bucket's shard."""

    def __init__(self, redis, keys: Keys | str, ttl_s: float, directory_ttl_s: float = 120.0) -> None:
        self.keys = keys if isinstance(keys, Keys) else Keys(keys)
        self.shards = Shards.wrap(redis, self.keys)
        self.redis = redis = self.shards.main
        self.failure: BaseException | None = None  # of the last renewal, when a shard failed
        self.ttl_ms = int(ttl_s * 1000)
        self.directory_ttl_ms = int(directory_ttl_s * 1000)
        self._acquire = redis.register_script(ACQUIRE)
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)

    def key(self, code: str) -> str:
        return self.keys.lease(code)

    async def acquire(self, code: str, node: str) -> Lease | None:
        """Take the lease of ``code`` if nobody holds it; None if somebody does."""
        epoch = await self._acquire(keys=[self.key(code), self.keys.epoch(code)],
                                    args=[node, self.ttl_ms, self.directory_ttl_ms], client=self.shards.of(code))
        return Lease(code, node, int(epoch)) if epoch else None

    async def renew(self, leases: list[Lease]) -> list[bool | None]:
        """Extend each lease still held as given; False for each one lost, None for each one
        whose shard could not be reached (``failure`` says why). One script per bucket (one
        slot each), one pipeline per shard, all at once."""
        self.failure = None
        if not leases:
            return []
        by_bucket: dict[int, list[int]] = defaultdict(list)
        for i, lease in enumerate(leases):
            by_bucket[self.keys.bucket(lease.code)].append(i)

        def renew(pipe, bucket: int):
            keys = []
            for i in by_bucket[bucket]:
                code = leases[i].code
                keys += [self.key(code), self.keys.lobby(code), self.keys.epoch(code)]
            return self._renew(keys=keys, args=[self.ttl_ms, self.directory_ttl_ms,
                                                *(leases[i].value for i in by_bucket[bucket])], client=pipe)

        held: list[bool | None] = [False] * len(leases)
        replies = await self.shards.pipelined(list(by_bucket), lambda bucket: bucket, renew)
        for indexes, out in zip(by_bucket.values(), replies, strict=True):
            if isinstance(out, BaseException):
                self.failure = out
                out = [None] * len(indexes)
            for i, ok in zip(indexes, out, strict=True):
                held[i] = None if ok is None else bool(ok)
        return held

    async def release(self, lease: Lease) -> bool:
        return bool(await self._release(keys=[self.key(lease.code)], args=[lease.value],
                                        client=self.shards.of(lease.code)))

    async def holders(self, codes: list[str]) -> dict[str, Lease | None]:
        """The current lease of each lobby (one round trip per shard, at once; one GET per
        lobby, as the keys of several lobbies may lie in several slots)."""
        if not codes:
            return {}
        values = await self.shards.pipelined_or_raise(codes, self.keys.bucket,
                                                      lambda pipe, code: pipe.get(self.key(code)))
        return {code: parse(code, value) for code, value in zip(codes, values, strict=True)}
