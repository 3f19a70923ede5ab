"""Redis is a cache of what the live processes know: putting it back after it lost its data.

When Redis restarts without its data (no persistence, a wiped replica promoted, a FLUSHALL),
every lease and directory entry is gone while the processes that own the lobbies still run
them. Four things bring the cluster back:

- **Reclaiming leases** (`Recovery.reclaim`). A renewal that finds a lease missing asks
  here before giving the lobby up: if nobody took the lease since (the lobby's epoch key is
  missing or still holds this owner's epoch), the lease is put back with the same epoch, the
  epoch key restored, and the lobby's directory entry rewritten at once. An owner whose epoch
  was overtaken has lost the lobby for real and stops, as before.
- **Orphans** (`Recovery.orphan`, `Recovery.restore_orphans`). A lobby that stopped because
  its lease went unconfirmed for nearly ``DIRECTORY_TTL_S`` (Redis unreachable all that
  time) is kept in memory (its last state, for ``DIRECTORY_TTL_S``); once Redis answers, its
  directory entry is put back if nobody holds the lobby, so the first member to reconnect
  takes it over as after a crash.
- **An outage's end** (`Recovery.recovering`). Owners whose leases ran out while Redis was
  unreachable played on in doubt (game.cluster.ownership) and confirm or put back their leases
  at their next renewal; for ``2 x GAME_LEASE_TTL_S`` after a process sees Redis answer again,
  it takes over no lobby whose lease is missing (the lookup answers `Unavailable`) and moves no
  member of one, so the owner has the time to put its lease back.
- **A generation marker** (``<prefix>generation``, no expiry) on each Redis shard
  (game.cluster.shards: a shard that comes back empty lost its own). Each process puts it back
  when it is missing and notes when; for ``2 x GAME_LEASE_TTL_S`` after that (owners are still
  re-registering), and while Redis cannot be reached, a lookup that finds no lobby answers
  `Unavailable` (close 4015, retried by the browser) rather than 4004 ``lobby_not_found``,
  which the browser takes as final.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from game.outage import OUTAGE, Unavailable

log = logging.getLogger("game.cluster")

# KEYS: lease, epoch (one slot); ARGV: lease value, its epoch, lease ttl ms, epoch ttl ms. A
# lease that holds this value already was put back by another task of its owner (the keeper
# and the directory writer may both find it missing): it is ours.
RECLAIM = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then return 1 end
if held then return 0 end
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
if epoch > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
"""


class Recovery:
    """One per node: reclaims its leases and restores its orphans after Redis lost them.
    ``leases`` and ``directory`` are the node's (game.cluster.lease, game.cluster.directory)."""

    def __init__(self, redis, leases, directory, *, ttl_s: float, directory_ttl_s: float) -> None:
        self.leases = leases
        self.directory = directory
        self.keys = leases.keys
        self.shards = leases.shards  # (``redis``: the leases' first shard or the `Shards`)
        self.redis = self.shards.main
        self.ttl_s = ttl_s
        self.directory_ttl_s = directory_ttl_s
        self.marker = f"{self.keys.prefix}generation"
        self.generations: list[str | None] = [None] * len(self.shards)  # each shard's marker, as last seen
        self.lost_at = float("-inf")  # monotonic time this process last found Redis had lost its data
        self.orphans: dict[str, tuple[float, Any, dict, dict]] = {}  # code -> (until, lease, summary, state)
        self.reclaimed = 0  # leases put back (for /metrics and the tests)
        self.restored = 0  # orphans' entries put back
        self._reclaim = self.redis.register_script(RECLAIM)

    # -- the generation marker ----------------------------------------------------------
    @property
    def generation(self) -> str | None:
        """The first shard's marker, as this process last saw it."""
        return self.generations[0]

    async def check_generation(self) -> bool:
        """Put each shard's marker back if that shard lost it; True when this process finds
        one missing or changed since its last look (that shard lost its data meanwhile). A
        process that is the first to write a marker stamps it 0, so that a cluster's first
        start is no recovery. The leases on a shard that lost them are put back by the
        renewals (`reclaim`), shard by shard."""
        lost = []
        for shard, client in enumerate(self.shards.clients):
            first = self.generations[shard] is None
            stamp = "0" if first else f"{time.time():.3f}"
            if await client.set(self.marker, stamp, nx=True):
                seen = stamp
            else:
                raw = await client.get(self.marker)
                seen = raw.decode() if isinstance(raw, bytes) else raw
            if not first and seen != self.generations[shard]:
                lost.append(shard)
            self.generations[shard] = seen
        if lost:
            self.lost_at = time.monotonic()
            log.warning("Redis lost its data (shard %s): this process puts back its leases and directory entries",
                        ", ".join(map(str, lost)))
        return bool(lost)

    def recovering(self) -> bool:
        """Redis is unreachable, or answers again or lost its data since moments ago: owners
        are still confirming or putting back their leases, so a lease missing now does not
        mean its owner is gone (its members are not moved, its lobby not taken over)."""
        now = time.monotonic()
        return OUTAGE.down or now - max(self.lost_at, OUTAGE.ended_at) < 2 * self.ttl_s

    async def not_found(self, code: str) -> None:
        """A lookup found no lobby ``code``: raise `Unavailable` if that may be Redis having
        lost it (or being rebuilt) rather than the lobby being gone."""
        if self.recovering():
            raise Unavailable(code)
        try:
            raw = await self.shards.of(code).get(self.marker)  # (the shard that would hold it)
        except Exception as exc:
            raise Unavailable(code) from exc
        if raw is None:  # lost, and no process has looked since
            raise Unavailable(code)
        stamp = float(raw)
        if stamp and time.time() - stamp < 2 * self.ttl_s:  # another process just found it lost
            raise Unavailable(code)

    # -- leases of lobbies still running here -------------------------------------------
    async def reclaim(self, lease, *, quiet: bool = False) -> bool:
        """Put back ``lease`` if it is missing and nobody took the lobby since (its epoch
        key is gone or still holds this lease's epoch)."""
        ok = await self._reclaim(keys=[self.keys.lease(lease.code), self.keys.epoch(lease.code)],
                                 args=[lease.value, lease.epoch, int(self.ttl_s * 1000),
                                       int(self.directory_ttl_s * 1000)], client=self.shards.of(lease.code))
        if ok and not quiet:
            self.reclaimed += 1
            log.warning("lobby %s: lease put back after Redis lost it or it lapsed, nobody having taken the lobby "
                        "since (epoch %d)", lease.code, lease.epoch)
        return bool(ok)

    # -- lobbies stopped by an outage ---------------------------------------------------
    def orphan(self, lease, summary: dict[str, Any], state: dict[str, Any]) -> None:
        """Keep the last state of a lobby that stopped because its lease ran out (Redis
        unreachable), to put its directory entry back if Redis lost it meanwhile."""
        self.orphans[lease.code] = (time.monotonic() + self.directory_ttl_s, lease, summary, state)

    async def restore_orphans(self) -> int:
        """For each orphan nobody holds: its lease is reclaimed for a moment, its entry
        written (fenced as ever) and the lease released, so that the first member to
        reconnect takes the lobby over. Orphans somebody holds, or whose entry is there,
        are forgotten."""
        now, restored = time.monotonic(), 0
        for code, (until, lease, summary, state) in list(self.orphans.items()):
            del self.orphans[code]
            if until < now or await self.shards.of(code).exists(self.keys.lobby(code)):
                continue
            if await self.reclaim(lease, quiet=True):
                await self.directory.put(lease, summary, state)
                await self.leases.release(lease)
                restored += 1
                log.warning("lobby %s: directory entry put back after an outage; the next member takes it over",
                            code)
        self.restored += restored
        return restored

    async def upkeep(self) -> None:
        """Called by the keeper after each round that reached Redis."""
        OUTAGE.ok()
        await self.check_generation()
        if self.orphans:
            await self.restore_orphans()
