"""The process's game runtime: the lobby registry wired to Channels and the database.

This is the one place where the engine meets infrastructure. It implements the engine's
`LoopHooks` without ever blocking a tick:

- ``publish`` queues an event frame for the publisher task, which `group_send`s it to the
  lobby's channel-layer group (``lobby_group``);
- ``save_match`` queues a record for the writer task, which saves it through
  `database_sync_to_async`, retrying until the database takes it (saving is idempotent by
  match id, so a retry never writes twice).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import threading
from collections import Counter
from contextvars import ContextVar
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull, MessageTooLarge
from channels.layers import get_channel_layer
from django.conf import settings

from game import services
from game.engine.clock import MonotonicClock
from game.engine.lobby import LobbyConfig
from game.engine.loop import LobbyLoop
from game.engine.registry import LobbyRegistry, RegistryFull
from game.limits import client_address, limit_key

log = logging.getLogger("game.runtime")

EVENT_TYPE = "lobby.event"  # handled by LobbyConsumer.lobby_event

# What `Runtime.admit_lobby` let through, for the `create_lobby` of the same request (task):
# (creator identity, address key or None, the cluster's reservation or None).
_admitted: ContextVar[tuple[str, str | None, Any] | None] = ContextVar("lobby_admitted", default=None)


def lobby_group(code: str) -> str:
    """The channel-layer group of a lobby: every member's consumer is in it."""
    return f"lobby.{code}"


class Runtime:
    """Registry, publisher and writer of one process (bound to one event loop)."""

    def __init__(self) -> None:
        game = settings.GAME
        self.loop = asyncio.get_running_loop()
        self.layer = get_channel_layer()
        self.registry = LobbyRegistry(
            clock=MonotonicClock(), hooks=self, max_lobbies=game["MAX_LOBBIES"],
            loop_options={"countdown_s": game["COUNTDOWN_S"],
                          "keyframe_interval_s": game["KEYFRAME_INTERVAL_S"],
                          "empty_ttl_s": game["EMPTY_LOBBY_TTL_S"],
                          "max_commands": game["COMMAND_QUEUE_PER_LOBBY"],
                          "grace_s": game["RECONNECT_GRACE_S"]})
        self.outgoing: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self.writes: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.saved_matches = 0
        self.connections: Counter[str] = Counter()  # open websockets per client address (`limit_key`)
        self.lobby_addresses: dict[str, str] = {}  # code -> its creator's address key, for lobbies made here
        self.tasks = [self.loop.create_task(self._publisher(), name="lobby-publisher"),
                      self.loop.create_task(self._writer(), name="result-writer")]
        self.cluster = None
        if settings.GAME_CLUSTER["ENABLED"]:
            from game.cluster.node import Node
            self.cluster = Node(self)
        self._started: asyncio.Task | None = None
        self.draining = False
        if game.get("HANDLE_SIGTERM") and threading.current_thread() is threading.main_thread():
            self._install_sigterm()

    async def ready(self) -> None:
        """Join the cluster (once), before the first lobby is looked up or created."""
        if self.cluster is None:
            return
        await asyncio.shield(self._start_cluster())

    def _start_cluster(self) -> asyncio.Task:
        if self._started is None:
            self._started = self.loop.create_task(self.cluster.start())
        return self._started

    # -- LoopHooks ----------------------------------------------------------------------
    def publish(self, code: str, data: bytes) -> None:
        self.outgoing.put_nowait((lobby_group(code), data))

    def save_match(self, record: dict[str, Any]) -> None:
        self.writes.put_nowait(("match", record))

    def lobby_closed(self, code: str) -> None:
        self.lobby_addresses.pop(code, None)
        loop = self.registry.get(code)
        reason = loop.lobby.close_reason if loop else ""
        self.registry.remove(code)
        if self.cluster is not None:
            self.cluster.closed(code)
        self.writes.put_nowait(("lobby_closed", {"code": code, "reason": reason or ""}))

    def lobby_changed(self, loop: LobbyLoop) -> None:
        if self.cluster is not None:
            self.cluster.changed(loop)

    def relay_state(self, code: str, epoch: int, tick: int, delta: bytes | None, full: bytes | None,
                    **delayed: Any) -> None:
        if self.cluster is not None:
            self.cluster.relay_state(code, epoch, tick, delta, full, **delayed)

    def lobby_abandoned(self, loop: LobbyLoop) -> None:
        self.lobby_addresses.pop(loop.lobby.code, None)
        if self.cluster is not None:
            task = self.loop.create_task(self.cluster.abandoned(loop))
            self.cluster.handovers.add(task)
            task.add_done_callback(self.cluster.handovers.discard)
        else:
            self.registry.remove(loop.lobby.code)

    # -- limits per client (game.limits; across the cluster: game.cluster.limits) ---------------
    def connection_opened(self, address: str | None) -> bool:
        """Count a new socket; False when its address has MAX_CONNECTIONS_PER_ADDRESS already
        (in a cluster: this process's sockets plus the others' as last read from Redis)."""
        key = limit_key(address)
        shared = None
        if self.cluster is not None:
            self._start_cluster()  # (its node shares the counts once it has joined)
            shared = self.cluster.limits.connections
        others = shared.others(key) if shared is not None else 0
        allowed = self.connections[key] + others < settings.GAME["MAX_CONNECTIONS_PER_ADDRESS"]
        if allowed:
            self.connections[key] += 1
        if shared is not None:
            shared.changed(key)  # a refusal too: it reads the others' count afresh
        return allowed

    def connection_closed(self, address: str | None) -> None:
        key = limit_key(address)
        if self.connections[key] > 1:
            self.connections[key] -= 1
        else:
            self.connections.pop(key, None)
        if self.cluster is not None:
            self.cluster.limits.connections.changed(key)

    async def admit_lobby(self, identity: str, scope: dict) -> bool:
        """May this client create one more lobby? Both limits apply: MAX_LOBBIES_PER_CLIENT open
        lobbies per identity, MAX_LOBBIES_PER_ADDRESS per client address; across the cluster
        when Redis answers, else this process's. A yes holds a place for the `create_lobby`
        that follows in the same request (a place never used runs out: LOBBY_RESERVE_S)."""
        game = settings.GAME
        address = client_address(scope)
        key = limit_key(address) if address else None
        limits = (game["MAX_LOBBIES_PER_CLIENT"], game["MAX_LOBBIES_PER_ADDRESS"])
        reservation = None
        if self.cluster is not None:
            reservation = await self.cluster.limits.lobbies.admit(identity, key, limits)
            if reservation is False:
                return False
        if reservation is None:
            by_identity, by_address = self.lobbies_held_here(identity, key)
            if by_identity >= limits[0] or (key is not None and by_address >= limits[1]):
                return False
        _admitted.set((identity, key, reservation))
        return True

    def lobbies_held_here(self, identity: str, key: str | None) -> tuple[int, int]:
        """Open lobbies run by this process made by ``identity``, and from address ``key``."""
        open_loops = [loop for loop in self.registry.loops.values() if loop.lobby.phase != "closed"]
        return (sum(1 for loop in open_loops if loop.lobby.creator_identity == identity),
                sum(1 for loop in open_loops if key is not None and self.lobby_addresses.get(loop.lobby.code) == key))

    async def _count_creation(self, code: str, identity: str | None) -> None:
        """A lobby made after `admit_lobby` said yes now counts against its creator."""
        admitted = _admitted.get()
        if admitted is None or admitted[0] != identity:
            return
        _admitted.set(None)
        _, key, reservation = admitted
        if key is not None:
            self.lobby_addresses[code] = key
        if reservation and self.cluster is not None:
            await self.cluster.limits.lobbies.bind(reservation, code)

    # -- lobbies ------------------------------------------------------------------------
    async def create_lobby(self, *, config: LobbyConfig, created_by_id: int | None,
                           creator_name: str) -> LobbyLoop:
        """Create and run a lobby here (in a cluster: under a fresh lease on its code)."""
        if self.draining:
            raise Draining()
        if self.cluster is not None:
            from game.cluster.node import CodeTaken
            await self.ready()
            for _ in range(5):
                try:
                    loop = await self.cluster.create(config)
                    break
                except CodeTaken:
                    config = dataclasses.replace(config, code=self.registry.new_code())
            else:
                raise RegistryFull()
        else:
            loop = self.registry.create(config)
        await self._count_creation(config.code, config.creator_identity)
        await database_sync_to_async(services.lobby_create)(
            code=config.code, name=config.name, game=config.game_cls.name, private=config.private,
            max_players=config.max_players, tick_rate_hz=config.tick_rate_hz,
            created_by_id=created_by_id, creator_name=creator_name)
        return loop

    async def locate(self, code: str):
        """The lobby ``code`` as a consumer uses it: a local `LobbyLoop`, a
        `game.cluster.remote.RemoteLobby` owned by another process, or None."""
        if self.cluster is None:
            loop = self.registry.get(code)
            return loop if loop is not None and loop.lobby.phase != "closed" else None
        await self.ready()
        return await self.cluster.locate(code)

    async def public_lobbies(self) -> list[dict[str, Any]]:
        if self.cluster is None:
            return self.registry.public()
        await self.ready()
        return [s for s in await self.cluster.directory.summaries()
                if not s.get("private") and s.get("phase") != "closed"]

    async def lobby_summary(self, code: str) -> dict[str, Any] | None:
        loop = self.registry.get(code)
        if loop is not None:
            return {"lobby": loop.lobby.summary(), "stats": loop.stats.as_dict()}
        if self.cluster is not None:
            await self.ready()
            summary = await self.cluster.directory.summary(code.upper())
            if summary is not None:
                return {"lobby": summary}
        return None

    async def flush(self) -> None:
        """Wait until every queued frame is published and every record written."""
        await self.outgoing.join()
        await self.writes.join()

    # -- graceful shutdown (SIGTERM) --------------------------------------------------------
    def _install_sigterm(self) -> None:
        """On SIGTERM: drain (`drain`), then let the server's own SIGTERM handling stop it."""
        previous = signal.getsignal(signal.SIGTERM)
        previous_handle = getattr(self.loop, "_signal_handlers", {}).get(signal.SIGTERM)

        def hand_back() -> None:
            self.loop.remove_signal_handler(signal.SIGTERM)
            if previous_handle is not None:
                self.loop.add_signal_handler(signal.SIGTERM, previous_handle._callback, *previous_handle._args)
            else:
                signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

        async def drain_then_exit() -> None:
            try:
                await self.drain()
            finally:
                hand_back()

        def on_sigterm() -> None:
            if not self.draining:
                log.warning("SIGTERM: draining before exit")
                self.loop.create_task(drain_then_exit())

        try:
            self.loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        except (NotImplementedError, RuntimeError, ValueError):
            log.info("no SIGTERM handler on this event loop; stopping is immediate")

    async def drain(self) -> None:
        """Stop taking lobbies; let running matches end (at most DRAIN_S seconds); then hand
        each lobby to another process (cluster) or close it (one process); flush results."""
        self.draining = True
        limit = settings.GAME["DRAIN_S"]
        if self.cluster is not None:
            self.cluster.draining = True
        deadline = self.loop.time() + limit
        while self.loop.time() < deadline and any(
                loop.lobby.phase in ("countdown", "playing") for loop in self.registry.loops.values()):
            await asyncio.sleep(0.1)
        if self.cluster is not None:
            loops = list(self.registry.loops.values())
            for loop in loops:
                loop.abandon("handover")
            await asyncio.gather(*(loop.task for loop in loops if loop.task), return_exceptions=True)
            await asyncio.gather(*list(self.cluster.handovers), return_exceptions=True)
            self.cluster.move_members_away()
            await asyncio.wait_for(self.flush(), limit)
            await self.cluster.stop()
        else:
            await self.shutdown(timeout_s=limit)
        log.warning("drained: %d matches saved by this process", self.saved_matches)

    async def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop every lobby (running matches are saved as aborted), then flush for at most
        ``timeout_s`` seconds; what could not be written by then is logged."""
        await self.registry.shutdown()
        try:
            await asyncio.wait_for(self.flush(), timeout_s)
        except asyncio.TimeoutError:
            log.error("shutdown: %d frames and %d records were still queued after %.0f s",
                      self.outgoing.qsize(), self.writes.qsize(), timeout_s)
        for task in self.tasks:
            task.cancel()

    # -- background tasks ---------------------------------------------------------------
    async def _publisher(self) -> None:
        while True:
            group, data = await self.outgoing.get()
            try:
                await self.layer.group_send(group, {"type": EVENT_TYPE, "data": data})
            except ChannelFull:
                log.warning("group %s: a member's channel is full; event dropped for it", group)
            except MessageTooLarge:
                log.error("group %s: event frame of %d bytes is too large for the layer", group, len(data))
            except Exception:
                log.exception("group %s: group_send failed", group)
            finally:
                self.outgoing.task_done()

    async def _writer(self) -> None:
        while True:
            op, arg = await self.writes.get()
            try:
                await self._write_until_done(op, arg)
            finally:
                self.writes.task_done()

    async def _write_until_done(self, op: str, arg: dict[str, Any]) -> None:
        delay = 0.1
        while True:
            try:
                if op == "match":
                    if await database_sync_to_async(services.match_record)(record=arg):
                        self.saved_matches += 1
                else:
                    await database_sync_to_async(services.lobby_close)(code=arg["code"], reason=arg["reason"])
                return
            except Exception:
                log.exception("saving %s failed; retrying in %.1f s", op, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


class Draining(Exception):
    """This process is shutting down and takes no new lobbies."""


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """The runtime of the running event loop (a new loop, as in tests, gets a new one)."""
    global _runtime
    loop = asyncio.get_running_loop()
    if _runtime is None or _runtime.loop is not loop or loop.is_closed():
        _runtime = Runtime()
    return _runtime
