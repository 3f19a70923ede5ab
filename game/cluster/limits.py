"""Limits counted across the cluster: sockets per client address, open lobbies per client.

Each process alone would allow the whole limit, so N processes would allow N times as much;
with Redis, the counts that guard shared resources live there (per-socket rate buckets stay
in their process: a socket lives on one).

- Sockets per address: ``<prefix>conns:<address>`` is a hash of each process's count, keyed
  by its node channel. A process writes its own count (absolute, so a lost write heals with
  the next) and reads the others' in one script, which drops the counts of processes whose
  heartbeat key (``<prefix>node:<channel>``, renewed every third of the lease TTL) is gone:
  what a killed process held stops counting within the lease TTL. The handshake never waits
  for Redis: it decides on this process's own count plus the others' as this process last
  read them (read again after each socket it opens, closes or refuses, and every
  LIMITS_RESYNC_S). So a client spreading sockets over N processes may pass the limit by
  what the others accepted since that last read — about N - 1 sockets in sequence, more in
  a burst within one round trip — where it had N times the limit before.
- Lobbies per identity and per address: ``<prefix>made:i:<identity>`` and
  ``<prefix>made:a:<address>`` are sorted sets of lobby codes (score 0) and of reservations
  (score: when they expire). A lobby counts while its lease or its directory entry exists
  (the directory keeps a lobby whose owner died, for a successor, until DIRECTORY_TTL_S), so
  nothing needs to be released when a process dies. Admitting a creation counts and reserves
  in one script; the reservation becomes the lobby's code once it exists.

When Redis fails, each process counts its own (fails open) and says so once, not per
request, until Redis answers again (`Gate`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import MutableMapping
from typing import Any

from game.cluster.keys import DEFAULT_BUCKETS, Keys
from game.outage import OUTAGE

log = logging.getLogger("game.cluster")

# KEYS: one hash per address; ARGV[1]: this node, ARGV[2]: the prefix of node heartbeat keys,
# ARGV[3]: the hashes' TTL (ms), ARGV[3 + i]: this node's count for KEYS[i].
# Returns, for each key, the count of every live node (this one's included).
SYNC = """
local out = {}
for i, key in ipairs(KEYS) do
  local mine = tonumber(ARGV[3 + i])
  if mine > 0 then redis.call('HSET', key, ARGV[1], mine) else redis.call('HDEL', key, ARGV[1]) end
  local total = mine
  local fields = redis.call('HGETALL', key)
  for j = 1, #fields, 2 do
    if fields[j] ~= ARGV[1] then
      if redis.call('EXISTS', ARGV[2] .. fields[j]) == 1 then
        total = total + tonumber(fields[j + 1])
      else
        redis.call('HDEL', key, fields[j])
      end
    end
  end
  if redis.call('EXISTS', key) == 1 then redis.call('PEXPIRE', key, ARGV[3]) end
  out[i] = total
end
return out
"""
# KEYS: the identity's set, [the address's set]; ARGV[1]: reservation id, ARGV[2]: how long it
# holds (ms), ARGV[3]: the sets' TTL (ms), ARGV[4]: the key prefix (``gs:``), ARGV[5]: '' when
# the lobbies' keys are on this server, '1' when they are on several shards (game.cluster.shards:
# then the caller has looked, and ARGV[6 + #KEYS ..] are the bound members found gone),
# ARGV[5 + i]: the limit for KEYS[i]. A bound member is ``{<bucket>}:<code>`` (Keys.counted),
# whose lease and directory entry are ``<prefix>{<bucket>}:lease:<code>`` and ``...lobby:<code>``.
# Returns 1 (reserved) or 0 (a limit is reached).
ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = {}
for j = 6 + #KEYS, #ARGV do gone[ARGV[j]] = true end
for i, key in ipairs(KEYS) do
  local n = 0
  local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for j = 1, #entries, 2 do
    local code, until_ms = entries[j], tonumber(entries[j + 1])
    local live
    if until_ms > 0 then live = until_ms > now
    elseif ARGV[5] == '1' then live = not gone[code]
    else
      local tag, name = string.match(code, '^({[^}]*}:)(.+)$')
      live = tag ~= nil and redis.call('EXISTS', ARGV[4] .. tag .. 'lease:' .. name,
                                       ARGV[4] .. tag .. 'lobby:' .. name) > 0
    end
    if live then n = n + 1 else redis.call('ZREM', key, code) end
  end
  if n >= tonumber(ARGV[5 + i]) then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, ARGV[3])
end
return 1
"""
# KEYS: the sets a reservation was made in; ARGV: reservation id, lobby code, the sets' TTL (ms).
BIND = """
for _, key in ipairs(KEYS) do
  redis.call('ZREM', key, ARGV[1])
  redis.call('ZADD', key, 0, ARGV[2])
  redis.call('PEXPIRE', key, ARGV[3])
end
return 1
"""
SYNC_CHUNK = 200  # keys per script call: one call must not hold Redis up for long


class Gate:
    """Whether Redis is to be asked: after a failure, not for ``retry_s`` seconds. Failures
    count in the process's outage (game.outage), logged once when it starts and once when it ends."""

    def __init__(self, retry_s: float) -> None:
        self.retry_s = retry_s
        self.down_since: float | None = None
        self.retry_at = 0.0

    @property
    def healthy(self) -> bool:
        return self.down_since is None

    def usable(self) -> bool:
        return self.down_since is None or time.monotonic() >= self.retry_at

    def failed(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        self.retry_at = now + self.retry_s
        if self.down_since is None:
            self.down_since = now
        OUTAGE.failed(f"{what} (each process counts alone meanwhile)", exc)  # logged once per outage

    def ok(self) -> None:
        self.down_since = None


class SharedCounts:
    """A count per key that every process adds to: this process's own in ``local`` (the
    truth for its part), the others' as last read from Redis in ``elsewhere``."""

    def __init__(self, redis, key_prefix: str, node_prefix: str, local: MutableMapping[str, int],
                 gate: Gate, ttl_s: float) -> None:
        self.key_prefix, self.node_prefix = key_prefix, node_prefix
        self.local = local
        self.gate = gate
        self.ttl_ms = int(ttl_s * 1000)
        self.elsewhere: dict[str, int] = {}
        self.dirty: set[str] = set()
        self.wake = asyncio.Event()
        self.node = ""  # this process's node channel, once it has joined the cluster
        self._sync = redis.register_script(SYNC)

    def others(self, key: str) -> int:
        """The other processes' count for ``key`` (0 while Redis is failing: fail open)."""
        return self.elsewhere.get(key, 0) if self.gate.healthy else 0

    def changed(self, key: str) -> None:
        """This process's count for ``key`` changed, or a refusal wants a fresh look."""
        self.dirty.add(key)
        self.wake.set()

    def resync(self) -> None:
        """Write every count again (periodically, and when this process was taken for dead)."""
        self.dirty.update(self.local)
        self.dirty.update(self.elsewhere)
        self.wake.set()

    async def run(self) -> None:
        """Write changed counts and read the others', one script call per batch of keys."""
        while True:
            await self.wake.wait()
            self.wake.clear()
            if not self.gate.usable():
                await asyncio.sleep(max(0.05, self.gate.retry_at - time.monotonic()))
                self.wake.set()
                continue
            keys, self.dirty = sorted(self.dirty), set()
            for start in range(0, len(keys), SYNC_CHUNK):
                if not await self._write(keys[start:start + SYNC_CHUNK]):
                    self.dirty.update(keys[start:])
                    self.wake.set()
                    break

    async def _write(self, keys: list[str]) -> bool:
        mine = [max(0, self.local.get(key, 0)) for key in keys]
        try:
            totals = await self._sync(keys=[self.key_prefix + key for key in keys],
                                      args=[self.node, self.node_prefix, self.ttl_ms, *mine])
        except Exception as exc:
            self.gate.failed("counting sockets per address", exc)
            return False
        self.gate.ok()
        for key, own, total in zip(keys, mine, totals, strict=True):
            if int(total) > own:
                self.elsewhere[key] = int(total) - own
            else:
                self.elsewhere.pop(key, None)
        return True


class LobbyQuota:
    """Open lobbies per creator identity and per creator address, across the cluster."""

    def __init__(self, redis, prefix: str, gate: Gate, *, reserve_s: float, ttl_s: float,
                 timeout_s: float, buckets: int = DEFAULT_BUCKETS, shards=None) -> None:
        self.prefix = prefix
        self.keys = Keys(prefix, buckets)
        self.shards = shards if shards is not None and len(shards) > 1 else None  # (lobbies on other servers)
        self.redis = redis
        self.gate = gate
        self.reserve_ms, self.ttl_ms = int(reserve_s * 1000), int(ttl_s * 1000)
        self.timeout_s = timeout_s
        self._admit = redis.register_script(ADMIT)
        self._bind = redis.register_script(BIND)

    def _keys(self, identity: str, address: str | None) -> list[str]:
        keys = [f"{self.prefix}made:i:{identity}"]
        return [*keys, f"{self.prefix}made:a:{address}"] if address else keys

    async def admit(self, identity: str, address: str | None, limits: tuple[int, int]) -> Any:
        """A reservation (to `bind` to the new lobby's code), False when a limit is reached,
        or None when Redis could not say (the caller counts this process's lobbies instead)."""
        if not self.gate.usable():
            return None
        reservation = "?" + secrets.token_hex(8)
        keys = self._keys(identity, address)
        try:
            ok = await asyncio.wait_for(self._admit_on(keys, reservation, limits), self.timeout_s)
        except Exception as exc:
            self.gate.failed("counting lobbies per client", exc)
            return None
        self.gate.ok()
        return (keys, reservation) if ok else False

    async def _admit_on(self, keys: list[str], reservation: str, limits: tuple[int, int]) -> int:
        args = [reservation, self.reserve_ms, self.ttl_ms, self.prefix, "", *limits[:len(keys)]]
        if self.shards is not None:  # the counted lobbies' keys are on their shards: look there first
            args[4] = "1"
            args += await self._gone(keys)
        return await self._admit(keys=keys, args=args)

    async def _gone(self, keys: list[str]) -> list[str]:
        """The bound members of ``keys`` whose lobby has neither lease nor directory entry
        (one round trip here, then one per shard, at once). A lobby that goes between this
        look and the script still counts, once: a conservative count."""
        pipe = self.redis.pipeline(transaction=False)
        for key in keys:
            pipe.zrangebyscore(key, 0, 0)
        members = sorted({m.decode() if isinstance(m, bytes) else m for ms in await pipe.execute() for m in ms})
        counted = [(m, int(m[1:m.index("}")])) for m in members if m.startswith("{") and "}:" in m]

        def exists(p, item: tuple[str, int]):
            tag, code = item[0].split(":", 1)
            return p.exists(f"{self.prefix}{tag}:lease:{code}", f"{self.prefix}{tag}:lobby:{code}")
        found = await self.shards.pipelined_or_raise(counted, lambda item: item[1], exists)
        return [member for (member, _), n in zip(counted, found, strict=True) if not n]

    async def bind(self, reservation: tuple[list[str], str], code: str) -> None:
        """The reserved lobby exists now as ``code``: it counts for as long as it lives."""
        keys, rid = reservation
        try:
            await asyncio.wait_for(self._bind(keys=keys, args=[rid, self.keys.counted(code), self.ttl_ms]),
                                   self.timeout_s)
        except Exception as exc:  # the reservation runs out; the lobby goes uncounted (fail open)
            self.gate.failed("recording a new lobby", exc)


class ClusterLimits:
    """The cluster's shared limits, as one `game.cluster.node.Node` keeps them."""

    def __init__(self, redis, prefix: str, connections: MutableMapping[str, int], cfg: dict[str, Any],
                 shards=None) -> None:
        self.gate = Gate(cfg["LIMITS_RETRY_S"])
        self.resync_s = cfg["LIMITS_RESYNC_S"]
        self.connections = SharedCounts(redis, f"{prefix}conns:", f"{prefix}node:", connections, self.gate,
                                        ttl_s=3 * self.resync_s)
        self.lobbies = LobbyQuota(redis, prefix, self.gate, reserve_s=cfg["LOBBY_RESERVE_S"],
                                  ttl_s=cfg["LOBBY_COUNT_TTL_S"], timeout_s=cfg["LIMITS_TIMEOUT_S"],
                                  buckets=cfg.get("BUCKETS", DEFAULT_BUCKETS), shards=shards)
        self.last_resync = time.monotonic()

    def start(self, node: str) -> asyncio.Task:
        self.connections.node = node
        self.connections.resync()  # what was counted before the node had joined
        return asyncio.get_running_loop().create_task(self.connections.run(), name="node-limits")

    def upkeep(self, lapsed: bool) -> None:
        """Called with each heartbeat: rewrite every count now and then, and at once when
        this node's heartbeat had lapsed (the others have dropped its counts meanwhile)."""
        now = time.monotonic()
        if lapsed or now - self.last_resync >= self.resync_s:
            self.last_resync = now
            self.connections.resync()
