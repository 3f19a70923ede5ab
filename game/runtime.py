"""The process's game runtime: the lobby registry wired to Channels and the database.

This is the one place where the engine meets infrastructure. A runtime implements the
engine's `LoopHooks` without ever blocking a tick:

- ``publish`` queues an event frame for the publisher task, which `group_send`s it to the
  lobby's channel-layer group (``lobby_group``);
- ``save_match`` queues a record for the writer task, which saves it through
  `database_sync_to_async`, retrying until the database takes it (saving is idempotent by
  match id, so a retry never writes twice).

Which runtime a process has is chosen once, from settings, as Channels chooses its layer:
``GAME_RUNTIME`` names `LocalRuntime` (every lobby runs in this process) or
`game.cluster.runtime.ClusterRuntime` (processes share lobbies through Redis), and
`get_runtime` makes it. Both share `Runtime`; nothing else asks which one it has.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from contextvars import ContextVar
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull, MessageTooLarge
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils.module_loading import import_string

from game import services, sigterm
from game.engine.clock import MonotonicClock
from game.engine.errors import CommandError
from game.engine.handle import LobbyHandle
from game.engine.lobby import LobbyConfig
from game.engine.loop import LobbyLoop
from game.engine.registry import LobbyRegistry
from game.limits import client_address, limit_key
from game.lobbylist import LobbyList, LobbyListCache
from game.outage import OUTAGE

log = logging.getLogger("game.runtime")

EVENT_TYPE = "lobby.event"  # handled by LobbyConsumer.lobby_event
# The staff dashboard's figures of this process, for a cluster's dashboard (game.dashboard.feed
# registers its sampler; game.cluster.dashshare calls it while a dashboard is open anywhere).
DASHBOARD_SAMPLERS: list = []

# What `Runtime.admit_lobby` let through, for the `create_lobby` of the same request (task):
# (creator identity, address key or None, a shared reservation or None).
_admitted: ContextVar[tuple[str, str | None, Any] | None] = ContextVar("lobby_admitted", default=None)


def lobby_group(code: str) -> str:
    """The channel-layer group of a lobby: every member's consumer is in it."""
    return f"lobby.{code}"


class Draining(Exception):
    """This process is shutting down and takes no new lobbies."""


def refuse_starts(loop: LobbyLoop) -> None:
    """Called as a drain begins: the lobby starts no match any more (a match begun now would
    only be cut short), except a matchmade one, which starts as its last seat is taken."""
    begin = loop.lobby.on_start

    def start() -> None:
        if not loop.lobby.matchmade:
            raise CommandError("draining", "this server is restarting; start again in a moment")
        begin()

    loop.lobby.on_start = start


class Runtime:
    """Registry, publisher and writer of one process (bound to one event loop): what both
    runtimes share. The methods that raise NotImplementedError are where they differ."""

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
        self.draining = False
        # The public lobby list, rebuilt at most every few seconds however often it is asked for.
        self.lobby_list = LobbyListCache(self.build_lobby_list, refresh_s=game.get("LOBBY_LIST_REFRESH_S", 2.0))
        if game.get("HANDLE_SIGTERM") and threading.current_thread() is threading.main_thread():
            sigterm.install(self.loop, self.drain, lambda: self.draining)

    async def ready(self) -> None:
        """Called before a lobby is looked up, listed or created (a cluster joins, once)."""
        raise NotImplementedError

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
        self.lobby_list.invalidate()
        self.writes.put_nowait(("lobby_closed", {"code": code, "reason": reason or ""}))

    def lobby_changed(self, loop: LobbyLoop) -> None:
        raise NotImplementedError

    def relay_state(self, code: str, epoch: int, tick: int, delta: bytes | None, full: bytes | None,
                    **delayed: Any) -> None:
        raise NotImplementedError

    def lobby_abandoned(self, loop: LobbyLoop) -> None:
        raise NotImplementedError

    # -- limits per client (game.limits; across the cluster: game.cluster.limits) ---------------
    def connection_opened(self, address: str | None) -> bool:
        """Count a new socket; False when its address has MAX_CONNECTIONS_PER_ADDRESS already
        (in a cluster: this process's sockets plus the others' as last read from Redis)."""
        key = limit_key(address)
        allowed = self.connections[key] + self.others_connections(key) < settings.GAME["MAX_CONNECTIONS_PER_ADDRESS"]
        if allowed:
            self.connections[key] += 1
        self.connections_changed(key)  # a refusal too: a cluster reads the others' count afresh
        return allowed

    def connection_closed(self, address: str | None) -> None:
        key = limit_key(address)
        if self.connections[key] > 1:
            self.connections[key] -= 1
        else:
            self.connections.pop(key, None)
        self.connections_changed(key)

    def others_connections(self, key: str) -> int:
        """Called as a socket opens: the sockets of address ``key`` on other processes."""
        raise NotImplementedError

    def connections_changed(self, key: str) -> None:
        """Called when this process's count for ``key`` changed, or a socket was refused."""
        raise NotImplementedError

    async def admit_lobby(self, identity: str, scope: dict) -> bool:
        """May this client create one more lobby? Both limits apply: MAX_LOBBIES_PER_CLIENT open
        lobbies per identity, MAX_LOBBIES_PER_ADDRESS per client address; across the cluster
        when Redis answers, else this process's. A yes holds a place for the `create_lobby`
        that follows in the same request (a place never used runs out: LOBBY_RESERVE_S)."""
        game = settings.GAME
        address = client_address(scope)
        key = limit_key(address) if address else None
        limits = (game["MAX_LOBBIES_PER_CLIENT"], game["MAX_LOBBIES_PER_ADDRESS"])
        reservation = await self.reserve_lobby(identity, key, limits)
        if reservation is False:
            return False
        if reservation is None:
            by_identity, by_address = self.lobbies_held_here(identity, key)
            if by_identity >= limits[0] or (key is not None and by_address >= limits[1]):
                return False
        _admitted.set((identity, key, reservation))
        return True

    async def reserve_lobby(self, identity: str, key: str | None, limits: tuple[int, int]) -> Any:
        """Called by `admit_lobby`: a place for one more lobby counted across processes,
        False for no, or None when only this process's count can say."""
        raise NotImplementedError

    async def bind_lobby(self, reservation: Any, code: str) -> None:
        """Called when the lobby ``reserve_lobby`` held a place for exists, as ``code``."""
        raise NotImplementedError

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
        if reservation:
            await self.bind_lobby(reservation, code)

    # -- lobbies ------------------------------------------------------------------------
    async def create_lobby(self, *, config: LobbyConfig, created_by_id: int | None,
                           creator_name: str) -> LobbyLoop:
        """Create and run a lobby here (in a cluster: under a fresh lease on its code)."""
        if self.draining:
            raise Draining()
        loop = await self.open_lobby(config)
        code = loop.lobby.code
        await self._count_creation(code, config.creator_identity)
        await database_sync_to_async(services.lobby_create)(
            code=code, name=config.name, game=config.game_cls.name, private=config.private,
            max_players=config.max_players, tick_rate_hz=config.tick_rate_hz,
            created_by_id=created_by_id, creator_name=creator_name)
        return loop

    async def open_lobby(self, config: LobbyConfig) -> LobbyLoop:
        """Called by `create_lobby`: start the lobby's loop here (under another code when
        ``config.code`` is taken elsewhere)."""
        raise NotImplementedError

    async def locate(self, code: str) -> LobbyHandle | None:
        """The open lobby ``code`` as a consumer uses it, wherever it runs; None if none."""
        raise NotImplementedError

    async def build_lobby_list(self) -> LobbyList:
        """Called by `lobby_list` (every few seconds at most, while the list is asked for):
        a new snapshot of the open public lobbies."""
        raise NotImplementedError

    async def lobby_summary(self, code: str) -> dict[str, Any] | None:
        loop = self.registry.get(code)
        if loop is not None:
            return {"lobby": loop.lobby.summary(), "stats": loop.stats.as_dict()}
        summary = await self.summary_elsewhere(code.upper())
        return {"lobby": summary} if summary is not None else None

    async def summary_elsewhere(self, code: str) -> dict[str, Any] | None:
        """Called by `lobby_summary` for a lobby not run here: its summary, if it runs elsewhere."""
        raise NotImplementedError

    def figures(self) -> dict[str, int]:
        """More figures for /metrics (game.metrics), by name under ``game_cluster_``."""
        raise NotImplementedError

    async def flush(self) -> None:
        """Wait until every queued frame is published and every record written."""
        await self.outgoing.join()
        await self.writes.join()

    # -- graceful shutdown (SIGTERM: game.sigterm) ------------------------------------------
    async def drain(self) -> None:
        """Stop taking lobbies; let running matches end (at most DRAIN_S seconds); then hand
        each lobby to another process (cluster) or close it (one process); flush results.
        No match starts meanwhile: `start` and `rematch` get the error ``draining``."""
        self.draining = True
        for loop in self.registry.loops.values():
            refuse_starts(loop)
        limit = settings.GAME["DRAIN_S"]
        deadline = self.loop.time() + limit
        # A poll (10 Hz, once, at shutdown): phases change inside each lobby's ticks (the scheduler), and
        # hooking every lobby to signal its end would cost the hot path for this one wait.
        while self.loop.time() < deadline and any(  # noqa: ASYNC110
                loop.lobby.phase in ("countdown", "playing") for loop in self.registry.loops.values()):
            await asyncio.sleep(0.1)
        await self.let_go(timeout_s=limit)
        log.warning("drained: %d matches saved by this process", self.saved_matches)

    async def let_go(self, *, timeout_s: float) -> None:
        """Called by `drain` once running matches ended or the time ran out: the lobbies
        leave this process (closed, or handed over), results are flushed."""
        raise NotImplementedError

    async def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop every lobby (running matches are saved as aborted), then flush for at most
        ``timeout_s`` seconds; what could not be written by then is logged."""
        await self.registry.shutdown()
        try:
            await asyncio.wait_for(self.flush(), timeout_s)
        except TimeoutError:
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
            except Exception as exc:
                OUTAGE.report("a lobby event", exc, log, "group %s: group_send failed", group, dropped=1)
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


class LocalRuntime(Runtime):
    """Every lobby runs in this process, alone (the embedded default)."""

    async def ready(self) -> None:
        pass

    def lobby_changed(self, loop: LobbyLoop) -> None:
        self.lobby_list.invalidate()  # nobody else keeps a copy; the list is rebuilt soon

    def relay_state(self, code: str, epoch: int, tick: int, delta: bytes | None, full: bytes | None,
                    **delayed: Any) -> None:
        pass  # every member is connected here

    def lobby_abandoned(self, loop: LobbyLoop) -> None:
        self.lobby_addresses.pop(loop.lobby.code, None)
        self.registry.remove(loop.lobby.code)

    def others_connections(self, key: str) -> int:
        return 0

    def connections_changed(self, key: str) -> None:
        pass

    async def reserve_lobby(self, identity: str, key: str | None, limits: tuple[int, int]) -> Any:
        return None

    async def bind_lobby(self, reservation: Any, code: str) -> None:
        pass

    async def open_lobby(self, config: LobbyConfig) -> LobbyLoop:
        self.lobby_list.invalidate()
        return self.registry.create(config)

    async def locate(self, code: str) -> LobbyHandle | None:
        loop = self.registry.get(code)
        return loop if loop is not None and loop.lobby.phase != "closed" else None

    async def build_lobby_list(self) -> LobbyList:
        return LobbyList(self.registry.public())

    async def summary_elsewhere(self, code: str) -> dict[str, Any] | None:
        return None

    def figures(self) -> dict[str, int]:
        return {}

    async def let_go(self, *, timeout_s: float) -> None:
        await self.shutdown(timeout_s=timeout_s)


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """The runtime of the running event loop, of the class ``settings.GAME_RUNTIME`` names
    (a new loop, as in tests, gets a new one)."""
    global _runtime
    loop = asyncio.get_running_loop()
    if _runtime is None or _runtime.loop is not loop or loop.is_closed():
        _runtime = import_string(settings.GAME_RUNTIME)()
    return _runtime
