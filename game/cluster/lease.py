"""Lobby ownership: a lease in Redis, acquired atomically, renewed, released.

The lease key ``<prefix>lease:<code>`` holds ``"<node>|<epoch>"`` and expires after the
lease's TTL unless renewed. Each acquisition increments ``<prefix>epoch:<code>``, so every
owner of a lobby has a larger epoch than the one before; the epoch is stamped on the frames
it relays and the records it writes, and directory writes are fenced by it (see
`directory`). Everything is one Lua script per operation: no read-then-write races.
"""

from __future__ import annotations

from dataclasses import dataclass

ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
return epoch
"""
# KEYS: (lease key, directory key) pairs; ARGV[1]: lease ttl ms, ARGV[2]: directory ttl ms,
# ARGV[3..]: the value each lease must still hold. A held lease keeps its directory entry alive;
# the entry of a lobby nobody took over expires.
RENEW = """
local out = {}
for i = 1, #KEYS / 2 do
  if redis.call('GET', KEYS[2 * i - 1]) == ARGV[i + 2] then
    redis.call('PEXPIRE', KEYS[2 * i - 1], ARGV[1])
    redis.call('PEXPIRE', KEYS[2 * i], ARGV[2])
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
    """The lease operations, on one redis.asyncio client."""

    def __init__(self, redis, prefix: str, ttl_s: float, directory_ttl_s: float = 120.0) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_ms = int(ttl_s * 1000)
        self.directory_ttl_ms = int(directory_ttl_s * 1000)
        self._acquire = redis.register_script(ACQUIRE)
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)

    def key(self, code: str) -> str:
        return f"{self.prefix}lease:{code}"

    async def acquire(self, code: str, node: str) -> Lease | None:
        """Take the lease of ``code`` if nobody holds it; None if somebody does."""
        epoch = await self._acquire(keys=[self.key(code), f"{self.prefix}epoch:{code}"],
                                    args=[node, self.ttl_ms])
        return Lease(code, node, int(epoch)) if epoch else None

    async def renew(self, leases: list[Lease]) -> list[bool]:
        """Extend each lease still held as given; False for each one lost."""
        if not leases:
            return []
        keys = []
        for lease in leases:
            keys += [self.key(lease.code), f"{self.prefix}lobby:{lease.code}"]
        out = await self._renew(keys=keys, args=[self.ttl_ms, self.directory_ttl_ms,
                                                 *(lease.value for lease in leases)])
        return [bool(x) for x in out]

    async def release(self, lease: Lease) -> bool:
        return bool(await self._release(keys=[self.key(lease.code)], args=[lease.value]))

    async def holders(self, codes: list[str]) -> dict[str, Lease | None]:
        """The current lease of each lobby (one round trip)."""
        if not codes:
            return {}
        values = await self.redis.mget([self.key(code) for code in codes])
        return {code: parse(code, value) for code, value in zip(codes, values)}
