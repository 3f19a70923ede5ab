"""Every Redis key the cluster writes, named in one place and shaped for sharding.

A lobby's keys carry its *bucket* as a Redis Cluster hash tag: lobby ``K7QX2M`` in bucket 17
has ``gs:{17}:lease:K7QX2M``, ``gs:{17}:epoch:K7QX2M``, ``gs:{17}:lobby:K7QX2M`` (its
directory entry), ``gs:{17}:log:K7QX2M`` and ``gs:{17}:logsnap:K7QX2M`` (its input log and the
last copy of its game), and its bucket's index of lobbies is
``gs:{17}:lobbies``. Redis Cluster hashes only what is between the braces, so every key of a
lobby and of its bucket lies in one slot: a fenced script (check the lease, write the entry,
index it) stays on one server, and so does a renewal of all the leases one process holds in
one bucket. A deployment spreads the buckets over several Redis primaries with
GAME_REDIS_SHARDS: bucket ``b`` on shard ``b % n`` (game.cluster.shards, docs/scale.md).

The bucket is ``crc32(code) % buckets``; every process of a deployment must use the same
``GAME_CLUSTER_BUCKETS`` (changing it renames every lobby's keys: stop the whole cluster).

Keys that are not per lobby (node heartbeats, per-client counts, the shared lobby list)
live outside the buckets, on the first shard.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

DEFAULT_BUCKETS = 256


@dataclass(frozen=True)
class Keys:
    """The key names of one deployment (``prefix``, e.g. ``gs:``) with ``buckets`` buckets."""

    prefix: str = "gs:"
    buckets: int = DEFAULT_BUCKETS

    def bucket(self, code: str) -> int:
        """The bucket of lobby ``code`` (codes are upper case: ``K7QX2M``)."""
        return zlib.crc32(code.encode()) % self.buckets

    def tag(self, bucket: int) -> str:
        """The prefix of every key in ``bucket``, its hash tag included: ``gs:{17}:``."""
        return f"{self.prefix}{{{bucket}}}:"

    def _lobby(self, kind: str, code: str) -> str:
        return f"{self.tag(self.bucket(code))}{kind}:{code}"

    # -- per lobby (one slot per bucket) ---------------------------------------------------
    def lease(self, code: str) -> str:
        """``"<node>|<epoch>"`` of the lobby's owner, expiring unless renewed (game.cluster.lease)."""
        return self._lobby("lease", code)

    def epoch(self, code: str) -> str:
        """The counter each acquisition of the lease increments (expires with the entry)."""
        return self._lobby("epoch", code)

    def lobby(self, code: str) -> str:
        """The directory entry: a hash of ``summary``, ``state`` and ``epoch`` (game.cluster.directory)."""
        return self._lobby("lobby", code)

    def log(self, code: str) -> str:
        """The lobby's input log (match continuity, game.cluster.inputlog): a stream, in the
        lobby's slot like its lease."""
        return self._lobby("log", code)

    def log_snapshot(self, code: str) -> str:
        """The last copy of the game of the match the lobby's input log holds (the same slot)."""
        return self._lobby("logsnap", code)

    def index(self, bucket: int) -> str:
        """The bucket's lobbies: a hash of code -> summary JSON, for the lobby list."""
        return f"{self.tag(bucket)}lobbies"

    def counted(self, code: str) -> str:
        """How the per-client lobby counts (game.cluster.limits) name a lobby: ``{17}:K7QX2M``,
        from which their script builds its lease and directory keys."""
        return f"{{{self.bucket(code)}}}:{code}"

    def lobby_keys(self, code: str) -> tuple[str, str, str, str]:
        """Lease, epoch, directory entry and bucket index of ``code`` (one slot)."""
        return self.lease(code), self.epoch(code), self.lobby(code), self.index(self.bucket(code))

    # -- not per lobby -----------------------------------------------------------------------
    def node(self, channel: str) -> str:
        """A process's heartbeat (game.cluster.node)."""
        return f"{self.prefix}node:{channel}"

    def list_snapshot(self) -> str:
        """The shared lobby list, as its last builder wrote it (game.cluster.lobbylist)."""
        return f"{self.prefix}list:snapshot"

    def list_builder(self) -> str:
        """Held by the process that builds the next lobby list snapshot."""
        return f"{self.prefix}list:builder"
