"""This process's part in a cluster of server processes sharing Redis (docs/deploy.md).

A `Node` has a channel of its own on the channel layer (`game.cluster.mail`). Through it flow
the messages about one member (join, leave, inputs and commands to the lobby's owner; that
member's own frames back), and state frames go once per lobby per tick to the nodes with
members of that lobby. The node answers what arrives through three collaborators:
`Ownership` (which lobbies run here), `Guests` (members of them connected elsewhere) and
`Relays` (members here of lobbies run elsewhere).

Background tasks: the sender and the relayer (game.cluster.mail), the receiver, the keeper
(lease renewal, node heartbeat), the directory writer, the input log writer
(game.cluster.inputlog) and the watchdog (owners gone or replaced, member nodes dead).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, MutableMapping
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings

from game import protocol
from game.cluster import dashshare
from game.cluster.guests import Guests
from game.cluster.keys import DEFAULT_BUCKETS, Keys
from game.cluster.limits import ClusterLimits
from game.cluster.mail import STATE_TYPE, Mailbox
from game.cluster.ownership import Elsewhere, Ownership
from game.cluster.reaper import start_reaper
from game.cluster.remote import Relays, RemoteLobby
from game.cluster.shards import Shards
from game.engine.handle import LobbyHandle
from game.engine.loop import LobbyLoop
from game.engine.registry import LobbyRegistry
from game.outage import OUTAGE, Unavailable, is_outage, quiet_library_logs
from game.rules import get_game

log = logging.getLogger("game.cluster")


def redis_client(cfg: dict[str, Any], *, timeout_s: float, url: str = ""):
    """A Redis that holds leases and the directory: ``url`` (a shard of GAME_REDIS_SHARDS;
    ``sentinel:<master>`` names a master REDIS_SENTINELS watch), else the first REDIS_URL or
    Sentinel's master. Timeouts below the lease's TTL: a hung Redis must fail a renewal, not
    stall it."""
    options = {"socket_timeout": timeout_s, "socket_connect_timeout": timeout_s}
    master = url.removeprefix("sentinel:") if url.startswith("sentinel:") else ("" if url else cfg["SENTINEL_MASTER"])
    if cfg["SENTINELS"] and master:
        from redis.asyncio.sentinel import Sentinel
        return Sentinel(cfg["SENTINELS"], **options).master_for(master, **options)
    return aioredis.Redis.from_url(url or cfg["REDIS_URL"], max_connections=64, **options)


def redis_shards(cfg: dict[str, Any], keys: Keys, *, timeout_s: float) -> Shards:
    """GAME_REDIS_SHARDS (game.cluster.shards), or the one Redis of `redis_client`."""
    urls = cfg.get("SHARDS") or [""]
    return Shards([redis_client(cfg, timeout_s=timeout_s, url=url) for url in urls], keys)


class Node:
    """This process in the cluster: its channel, its leases, its guests and its relays."""

    def __init__(self, *, layer, registry: LobbyRegistry, connections: MutableMapping[str, int],
                 save_match: Callable[[dict[str, Any]], None]) -> None:
        cfg = settings.GAME_CLUSTER
        self.registry = registry
        self.prefix = cfg["PREFIX"]
        self.ttl_s = cfg["LEASE_TTL_S"]
        keys = Keys(self.prefix, cfg.get("BUCKETS", DEFAULT_BUCKETS))
        self.shards = redis_shards(cfg, keys, timeout_s=self.ttl_s / 2)  # per-lobby keys: by bucket
        self.redis = self.shards.main  # the keys that are not per lobby
        self.mail = Mailbox(layer)
        self.ownership = Ownership(self.shards, self.mail, registry, save_match=save_match)
        self.guests = Guests(self.mail, self.ownership)
        self.relays = Relays(self.mail)
        self.limits = ClusterLimits(self.redis, self.prefix, connections, cfg, shards=self.shards)
        self.handlers: dict[str, Callable[..., None]] = {  # what a batch's items ask, by their first word
            "join": self.guests.on_join, "leave": self.guests.on_leave, "abort": self.guests.on_abort,
            "input": self.guests.on_input, "cmd": self.guests.on_cmd, "staff": self.guests.on_staff,
            "full": self.guests.on_full,
            "deliver": self.relays.on_deliver, "close": self.relays.on_close,
            "joined": self.relays.on_joined, "refused": self.relays.on_refused}
        self.beats = 0  # heartbeats written
        self.tasks: list[asyncio.Task] = []
        self.relays_sent = 0

    async def start(self) -> None:
        quiet_library_logs()  # channels_redis' connection tracebacks count in the outage instead
        await self.mail.open()
        await self._heartbeat()
        await self.ownership.recovery.check_generation()
        loop = asyncio.get_running_loop()
        for name, coro in (("sender", self.mail.run_sender()), ("relayer", self.mail.run_relayer()),
                           ("receiver", self._receiver()), ("keeper", self._keeper()),
                           ("watchdog", self._watchdog()), ("writer", self.ownership.run_writer())):
            self.tasks.append(loop.create_task(coro, name=f"node-{name}"))
        self.tasks.append(self.limits.start(self.mail.channel))
        self.tasks.append(start_reaper(self))  # lobbies gone for good: rows closed, keys removed
        if self.ownership.inputlog is not None:  # match continuity (game.cluster.inputlog)
            self.tasks.append(loop.create_task(self.ownership.inputlog.run(), name="node-inputlog"))
        log.info("cluster node %s started", self.mail.channel)

    async def stop(self) -> None:
        """Flush what is queued, stop the tasks, leave the cluster."""
        await self.mail.flushed()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        try:
            await self.redis.delete(self._node_key(self.mail.channel))
            await self.shards.aclose()
        except Exception:
            log.debug("leaving the cluster: redis unreachable", exc_info=True)

    # -- lobbies, as the runtime asks -----------------------------------------------------
    async def locate(self, code: str) -> LobbyHandle | None:
        """The lobby ``code``: run here (taken over if its owner is gone), run elsewhere (a
        `RemoteLobby`), or None when the cluster has no such lobby."""
        try:
            found = await self.ownership.find(code)
            if found is None:  # gone, or only missing from a Redis that lost its data (retry)
                await self.ownership.recovery.not_found(code)
        except Unavailable:
            raise
        except Exception as exc:
            if not is_outage(exc):
                raise
            OUTAGE.failed("lobby lookup", exc)
            raise Unavailable(code) from exc
        if isinstance(found, Elsewhere):
            return RemoteLobby(self.relays, code, found.owner, found.epoch, get_game(found.game), found.tick_rate)
        return found

    def relay_state(self, code: str, epoch: int, tick: int, delta: bytes | None, full: bytes | None, *,
                    delayed: bool = False, ddelta: bytes | None = None, dfull: bytes | None = None) -> None:
        """Publish one tick of a lobby's state to every node with members of it (and, with the
        tick, feed its guests' held inputs to its loop: `RemoteConn.take_input`)."""
        if code in self.guests.holding:
            self.guests.feed_held(code, self.registry.get(code))
        self.relays_sent += 1
        message = {"type": STATE_TYPE, "code": code, "epoch": epoch, "tick": tick, "delta": delta, "full": full}
        if delayed:
            message.update(delayed=True, ddelta=ddelta, dfull=dfull)
        self.mail.publish_state(code, message)

    def closed(self, code: str) -> None:
        """Called when a lobby's loop ended (`LoopHooks.lobby_closed`)."""
        self.guests.lobby_closed(code)
        self.ownership.closed(code)

    async def abandoned(self, loop: LobbyLoop) -> None:
        """A loop stopped without closing: hand the lobby over (or it was lost), then move
        every member so that they reconnect and resume with the next owner."""
        await self.ownership.hand_over(loop)
        self.guests.forget_lobby(loop.lobby.code)
        for member in loop.lobby.members.values():
            if member.connected:
                member.conn.close(protocol.CLOSE["moved"])
        log.warning("lobby %s left this process (%s)", loop.lobby.code, loop.abandoned)

    def figures(self) -> dict[str, int]:
        """What /metrics shows of this node (game.metrics)."""
        return {"leases": len(self.ownership.owned), "remote_members": len(self.guests.conns),
                "relayed_lobbies": len(self.relays.relays), "relays_sent": self.relays_sent,
                "relays_received": self.relays.received}

    # -- receiving -------------------------------------------------------------------
    async def _receiver(self) -> None:
        while True:
            message = await self.mail.layer.receive(self.mail.channel)
            try:
                if message["type"] == STATE_TYPE:
                    self.relays.on_state(message)
                else:
                    for item in message["items"]:
                        self.handlers[item[0]](*item[1:])
            except Exception:
                log.exception("node message %r failed", message.get("type"))

    # -- heartbeats, leases and the watchdog -------------------------------------------
    def _node_key(self, channel: str) -> str:
        return f"{self.prefix}node:{channel}"

    async def _heartbeat(self) -> None:
        before = await self.redis.set(self._node_key(self.mail.channel), b"1", px=int(self.ttl_s * 1000), get=True)
        self.limits.upkeep(lapsed=before is None and self.beats > 0)  # taken for dead meanwhile
        self.beats += 1

    async def _keeper(self) -> None:
        period = self.ttl_s / 3
        while True:
            began = time.monotonic()
            try:
                try:
                    await self.ownership.renew()  # (raises when a shard failed: the others' were renewed)
                finally:
                    await self._heartbeat()  # alive even if a shard is down
                await self.ownership.recovery.upkeep()  # (an outage ends; Redis lost its data?)
                await dashshare.share(self)  # (while a staff dashboard is open somewhere)
            except Exception as exc:
                OUTAGE.report("cluster upkeep", exc, log, "cluster upkeep failed (leases run out unless renewed)")
            await asyncio.sleep(max(0.05, period - (time.monotonic() - began)))

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.ttl_s / 3))
            try:
                recovery = self.ownership.recovery  # leases and heartbeats Redis lost with its data:
                if await recovery.check_generation() or recovery.recovering():  # no owner or node died
                    continue
                await self.relays.check_owners(await self.ownership.leases.holders(list(self.relays.relays)))
                await self._watch_member_nodes()
            except Exception as exc:
                OUTAGE.report("cluster watchdog", exc, log, "cluster watchdog failed")

    async def _watch_member_nodes(self) -> None:
        """Guests connected through a node that died: their seats wait for them to resume."""
        nodes = self.guests.nodes()
        if not nodes:
            return
        alive = await self.redis.mget([self._node_key(n) for n in nodes])
        for node, beat in zip(nodes, alive, strict=True):
            if beat is None:
                self.guests.node_gone(node)
                log.warning("node %s is gone; its members' seats wait for them", node)
