"""The Redis servers that hold the cluster's buckets (GAME_REDIS_SHARDS, docs/scale.md).

Bucket ``b``'s keys (every lobby's lease, epoch, directory entry, input log and its game
copy, and the bucket's index: game.cluster.keys) live on shard ``b % len(shards)``, so each
fenced script touches one server. The keys that are not per lobby (node heartbeats, the
per-client limits, the shared lobby list, the reaper lock) live on the first shard, ``main``;
the generation marker Redis-outage recovery reads (game.cluster.recovery) is on every shard.

With one shard (the default: REDIS_URL, or Sentinel's master) everything is on it, as before.
Every process of a deployment must list the same shards in the same order, and changing the
list moves buckets from one server to another: stop the whole cluster to change it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from game.cluster.keys import Keys


class Shards:
    """One redis.asyncio client per shard; ``keys`` names the buckets."""

    def __init__(self, clients: list, keys: Keys) -> None:
        if not clients:
            raise ValueError("at least one Redis shard is needed")
        self.clients = list(clients)
        self.keys = keys
        self.main = self.clients[0]

    @classmethod
    def wrap(cls, redis, keys: Keys) -> Shards:
        """``redis`` if it is a `Shards` already, else one shard of that client."""
        return redis if isinstance(redis, Shards) else cls([redis], keys)

    def __len__(self) -> int:
        return len(self.clients)

    def index(self, bucket: int) -> int:
        """The shard of ``bucket``."""
        return bucket % len(self.clients)

    def of_bucket(self, bucket: int):
        return self.clients[bucket % len(self.clients)]

    def of(self, code: str):
        """The client of the shard that holds lobby ``code``'s keys."""
        return self.of_bucket(self.keys.bucket(code))

    async def pipelined(self, items: Iterable[Any], bucket: Callable[[Any], int],
                        add: Callable[[Any, Any], Any]) -> list[Any]:
        """One pipeline per shard, all sent at once: ``add(pipe, item)`` queues exactly one
        command for each item on the shard of ``bucket(item)`` (it may return an awaitable:
        a script called with ``client=pipe``). The replies come back in the order of
        ``items``; those of a shard that failed are its exception (the caller decides)."""
        pipes: dict[int, Any] = {}
        counts: dict[int, int] = {}
        order: list[tuple[int, int]] = []
        for item in items:
            shard = self.index(bucket(item))
            pipe = pipes.get(shard)
            if pipe is None:
                pipe = pipes[shard] = self.clients[shard].pipeline(transaction=False)
            queued = add(pipe, item)
            if asyncio.iscoroutine(queued):
                await queued
            order.append((shard, counts.get(shard, 0)))
            counts[shard] = counts.get(shard, 0) + 1
        replies = await asyncio.gather(*(pipe.execute() for pipe in pipes.values()), return_exceptions=True)
        by_shard = dict(zip(pipes, replies, strict=True))
        out = []
        for shard, i in order:
            reply = by_shard[shard]
            out.append(reply if isinstance(reply, BaseException) else reply[i])
        return out

    async def pipelined_or_raise(self, items: Iterable[Any], bucket: Callable[[Any], int],
                                 add: Callable[[Any, Any], Any]) -> list[Any]:
        """`pipelined`, raising the first shard's failure (for reads that need every reply)."""
        out = await self.pipelined(items, bucket, add)
        for reply in out:
            if isinstance(reply, BaseException):
                raise reply
        return out

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
