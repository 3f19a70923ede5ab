"""This process's part in a cluster of server processes sharing Redis (docs/deploy.md).

A `Node` has a channel of its own on the channel layer. Through it flow the messages about
one member (join, leave, inputs and commands to the lobby's owner; that member's own frames
back), batched per destination: everything posted during one turn of the event loop goes in
one layer message. State frames go once per lobby per tick to the group ``relay.<code>``,
whose members are the nodes with members of that lobby, and each node hands them to its
local outboxes (`remote.Relay`).

Background tasks: the sender (batches), the receiver, the keeper (lease renewal, node
heartbeat, directory writes) and the watchdog (owners gone or replaced, member nodes dead).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from django.conf import settings

from game import protocol
from game.cluster.directory import Directory
from game.cluster.lease import Lease, Leases
from game.cluster.limits import ClusterLimits
from game.cluster.ownership import CodeTaken, Ownership  # noqa: F401 (CodeTaken: re-exported)
from game.cluster.remote import Relay, RemoteConn, join_request_from, refusal_name, relay_group
from game.engine.loop import LobbyLoop
from game.rules.base import InvalidInput

if TYPE_CHECKING:
    from game.runtime import Runtime

log = logging.getLogger("game.cluster")

BATCH_TYPE = "node.batch"
STATE_TYPE = "node.state"


def redis_client(cfg: dict[str, Any], *, timeout_s: float):
    """The Redis that holds leases and the directory: the first REDIS_URL, or Sentinel's master.
    Timeouts below the lease's TTL: a hung Redis must fail a renewal, not stall it."""
    options = {"socket_timeout": timeout_s, "socket_connect_timeout": timeout_s}
    if cfg["SENTINELS"]:
        from redis.asyncio.sentinel import Sentinel
        return Sentinel(cfg["SENTINELS"], **options).master_for(cfg["SENTINEL_MASTER"], **options)
    return aioredis.Redis.from_url(cfg["REDIS_URL"], max_connections=64, **options)


class Node(Ownership):
    def __init__(self, runtime: Runtime) -> None:
        cfg = settings.GAME_CLUSTER
        self.runtime = runtime
        self.loop = runtime.loop
        self.layer = runtime.layer
        self.prefix = cfg["PREFIX"]
        self.ttl_s = cfg["LEASE_TTL_S"]
        self.redis = redis_client(cfg, timeout_s=self.ttl_s / 2)
        self.leases = Leases(self.redis, self.prefix, self.ttl_s, cfg["DIRECTORY_TTL_S"])
        self.directory = Directory(self.redis, self.prefix, cfg["DIRECTORY_TTL_S"])
        self.limits = ClusterLimits(self.redis, self.prefix, runtime.connections, cfg)
        self.beats = 0  # heartbeats written (`Ownership._heartbeat`)
        self.channel = ""
        self.owned: dict[str, Lease] = {}
        self.remote_conns: dict[tuple[str, int], RemoteConn] = {}
        self.aborted_joins: set[tuple[str, int]] = set()
        self.relays: dict[str, Relay] = {}
        self.holding: dict[str, set[RemoteConn]] = {}  # lobby code -> remote members with held inputs
        self.conn_relay: dict[int, Relay] = {}  # local connection id -> its lobby's relay
        self.pending_joins: dict[int, asyncio.Future] = {}
        self.outgoing: dict[str, list] = defaultdict(list)
        self.wake = asyncio.Event()
        self.states: dict[str, list[dict]] = defaultdict(list)  # relay group -> frames, in order
        self.states_wake = asyncio.Event()
        self.dirty: set[str] = set()
        self.dirty_wake = asyncio.Event()
        self.draining = False
        self.handovers: set[asyncio.Task] = set()
        self.tasks: list[asyncio.Task] = []
        self.relays_sent = 0
        self.relays_received = 0

    async def start(self) -> None:
        # The default prefix: channels_redis' core layer reads every process-local channel
        # through one shared key per prefix; a second prefix would starve the consumers'.
        self.channel = await self.layer.new_channel()
        await self._heartbeat()
        for name, coro in (("sender", self._sender()), ("relayer", self._relayer()), ("receiver", self._receiver()),
                           ("keeper", self._keeper()), ("watchdog", self._watchdog()),
                           ("writer", self._writer())):
            self.tasks.append(self.loop.create_task(coro, name=f"node-{name}"))
        self.tasks.append(self.limits.start(self.channel))
        log.info("cluster node %s started", self.channel)

    async def stop(self) -> None:
        """Flush what is queued, stop the tasks, leave the cluster."""
        for _ in range(50):
            if not self.outgoing:
                break
            await asyncio.sleep(0.02)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        try:
            await self.redis.delete(self._node_key(self.channel))
            await self.redis.aclose()
        except Exception:
            log.debug("leaving the cluster: redis unreachable", exc_info=True)

    # -- sending ---------------------------------------------------------------------
    def post(self, channel: str, item: list) -> None:
        """Queue ``item`` for the node ``channel``; it leaves with this loop turn's batch."""
        self.outgoing[channel].append(item)
        self.wake.set()

    async def _sender(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            batches, self.outgoing = self.outgoing, defaultdict(list)
            await asyncio.gather(*(self._send(channel, items) for channel, items in batches.items()))

    async def _send(self, channel: str, items: list) -> None:
        try:
            await self.layer.send(channel, {"type": BATCH_TYPE, "items": items})
        except Exception:
            log.warning("node %s unreachable: %d messages dropped", channel, len(items), exc_info=True)

    def relay_state(self, code: str, epoch: int, tick: int, delta: bytes | None, full: bytes | None, *,
                    delayed: bool = False, ddelta: bytes | None = None, dfull: bytes | None = None) -> None:
        """Publish one tick of a lobby's state to every node with members of it (and, with the
        tick, feed its remote members' held inputs to its loop: `RemoteConn.take_input`)."""
        if code in self.holding:
            self._feed_held(code)
        self.relays_sent += 1
        message = {"type": STATE_TYPE, "code": code, "epoch": epoch, "tick": tick, "delta": delta, "full": full}
        if delayed:
            message.update(delayed=True, ddelta=ddelta, dfull=dfull)
        self.states[relay_group(code)].append(message)
        self.states_wake.set()

    async def _relayer(self) -> None:
        """Publish queued state frames: lobbies in parallel, each lobby's frames in order."""
        while True:
            await self.states_wake.wait()
            self.states_wake.clear()
            batches, self.states = self.states, defaultdict(list)
            await asyncio.gather(*(self._group_send(group, frames) for group, frames in batches.items()))

    async def _group_send(self, group: str, frames: list[dict]) -> None:
        for message in frames:
            try:
                await self.layer.group_send(group, message)
            except Exception:
                log.warning("relay to %s failed (the next keyframe covers it)", group, exc_info=True)

    # -- receiving -------------------------------------------------------------------
    async def _receiver(self) -> None:
        while True:
            message = await self.layer.receive(self.channel)
            try:
                if message["type"] == STATE_TYPE:
                    relay = self.relays.get(message["code"])
                    if relay is not None:
                        self.relays_received += 1
                        relay.state(message)
                else:
                    for item in message["items"]:
                        getattr(self, "_on_" + item[0])(*item[1:])
            except Exception:
                log.exception("node message %r failed", message.get("type"))

    # owner side
    def _owned_loop(self, code: str) -> LobbyLoop | None:
        loop = self.runtime.registry.get(code)
        return loop if loop is not None and loop.abandoned is None and code in self.owned else None

    def _on_join(self, code: str, reply: str, conn_id: int, fields: dict[str, Any]) -> None:
        loop = self._owned_loop(code)
        if loop is None:
            self.post(reply, ["refused", conn_id, "moved"])
            return
        conn = RemoteConn(self, reply, conn_id, code)
        future = loop.submit_join(join_request_from(fields, conn))

        def answered(done: asyncio.Future) -> None:
            gave_up = (reply, conn_id) in self.aborted_joins
            self.aborted_joins.discard((reply, conn_id))
            if done.cancelled() or done.exception() is not None:
                self.post(reply, ["refused", conn_id, refusal_name(done.exception()) if not done.cancelled()
                                  else "server_error"])
                return
            member = done.result()
            conn.member_id = member.id
            if gave_up:  # the connection gave up meanwhile
                conn.leave()
                return
            self.remote_conns[(reply, conn_id)] = conn
            self.post(reply, ["joined", conn_id, {"id": member.id, "name": member.name, "role": member.role,
                                                  "staff": member.staff, "resume": member.resume_token}])
        future.add_done_callback(answered)

    def _on_leave(self, code: str, reply: str, conn_id: int, member_id: int) -> None:
        conn = self.remote_conns.pop((reply, conn_id), None)
        if conn is not None:
            conn.leave()

    def _on_abort(self, code: str, reply: str, conn_id: int) -> None:
        """A join the connection gave up on: undo it if it went through, or when it does."""
        conn = self.remote_conns.pop((reply, conn_id), None)
        if conn is not None:
            conn.leave()
        elif self._owned_loop(code) is not None:
            self.aborted_joins.add((reply, conn_id))

    def _on_input(self, code: str, member_id: int, seq: int, raw: Any) -> None:
        loop = self._owned_loop(code)
        member = loop.lobby.members.get(member_id) if loop is not None else None
        if member is None or not member.conn.relayed:
            return
        try:
            cleaned = loop.game_cls.parse_input(raw)
        except InvalidInput as exc:  # the member's process checked it: only a bug lands here
            member.conn.refuse("bad_field", "input", str(exc))
            return
        member.conn.take_input(loop, member, seq, cleaned)
        if member.conn.held:
            self.holding.setdefault(code, set()).add(member.conn)

    def _feed_held(self, code: str) -> None:
        loop = self.runtime.registry.get(code)
        for conn in self.holding.pop(code):
            member = loop.lobby.members.get(conn.member_id) if loop is not None else None
            if member is None or member.conn is not conn:
                conn.held.clear()  # left, or resumed on another connection
                continue
            conn.feed(loop, member)
            if conn.held:
                self.holding.setdefault(code, set()).add(conn)

    def _on_cmd(self, code: str, member_id: int, kind: str, fields: dict) -> None:
        loop = self._owned_loop(code)
        member = loop.lobby.members.get(member_id) if loop is not None else None
        if member is None or not member.conn.relayed:
            return
        if protocol.required_role(kind) == "host" and not loop.lobby.is_admin(member):
            member.conn.refuse("forbidden", kind, f"only the host or staff may {kind}")
        elif not loop.submit_command(member_id, kind, fields):
            member.conn.refuse("overloaded", kind)

    def _on_full(self, code: str) -> None:
        loop = self._owned_loop(code)
        if loop is not None:
            loop.broadcaster.relay_full_wanted = True

    # member side
    def _on_deliver(self, conn_id: int, data: bytes) -> None:
        relay = self.conn_relay.get(conn_id)
        if relay is not None:
            relay.deliver(conn_id, data)

    def _on_close(self, conn_id: int, code: int) -> None:
        relay = self.conn_relay.get(conn_id)
        if relay is not None:
            relay.outboxes[conn_id].close(code)

    def _on_joined(self, conn_id: int, seat: dict) -> None:
        future = self.pending_joins.pop(conn_id, None)
        if future is not None and not future.done():
            future.set_result(seat)

    def _on_refused(self, conn_id: int, close: str) -> None:
        from game.engine.errors import JoinRefused
        future = self.pending_joins.pop(conn_id, None)
        if future is not None and not future.done():
            future.set_exception(JoinRefused(close))

    async def relay_for(self, code: str, owner: str, epoch: int) -> Relay:
        relay = self.relays.get(code)
        if relay is not None and relay.epoch < epoch:
            # A newer owner than the one this process relays for (the watchdog has not seen it
            # yet): the members here joined the old one; they move and resume with the new one.
            relay.move_all(protocol.CLOSE["moved"])
            relay = self.relays[code] = Relay(self, code, owner, epoch)
        elif relay is None:
            relay = self.relays[code] = Relay(self, code, owner, epoch)
            await self.layer.group_add(relay_group(code), self.channel)
        return relay

    async def relay_drop(self, code: str, conn_id: int) -> None:
        relay = self.relays.get(code)
        if relay is None:
            return
        relay.discard(conn_id)
        if not relay.outboxes and self.relays.get(code) is relay:
            del self.relays[code]
            await self.layer.group_discard(relay_group(code), self.channel)
