"""Which process runs which lobby: leases taken, renewed and lost; the directory kept up to
date; lobbies taken over from a vanished owner or handed over on shutdown; dead nodes noticed.

A mixin of `game.cluster.node.Node` (kept apart so that each file holds one concern).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings

from game import protocol
from game.cluster.lease import Lease
from game.cluster.remote import RemoteLobby, relay_group
from game.cluster.snapshot import lobby_state, restore_lobby
from game.engine.loop import DETACHED, LobbyLoop
from game.rules import get_game

if TYPE_CHECKING:
    from game.cluster.node import Node

log = logging.getLogger("game.cluster")


class CodeTaken(Exception):
    """Another process already owns a lobby with this code."""


class Ownership:
    # -- lobbies ---------------------------------------------------------------------
    async def create(self: Node, config) -> LobbyLoop:
        """Take the lease of a new lobby's code and run it here."""
        lease = await self.leases.acquire(config.code, self.channel)
        if lease is None:
            raise CodeTaken(config.code)
        loop = self.runtime.registry.create(config)
        self._own(loop, lease)
        await self.directory.put(lease, loop.lobby.summary(), lobby_state(loop.lobby, None))
        return loop

    def _own(self, loop: LobbyLoop, lease: Lease) -> None:
        self.owned[lease.code] = lease
        loop.epoch = lease.epoch
        loop.lease_deadline = loop.clock.now() + self.ttl_s * 0.8

    async def locate(self, code: str) -> LobbyLoop | RemoteLobby | None:
        """The lobby ``code``: run here (taking it over if its owner is gone), run elsewhere,
        or None when the cluster has no such lobby."""
        for _ in range(int(self.ttl_s * 10) + 20):
            loop = self.runtime.registry.get(code)
            if loop is not None and loop.abandoned is None:
                return loop
            holder = (await self.leases.holders([code]))[code]
            if holder is not None and holder.node != self.channel:
                summary = await self.directory.summary(code)
                if summary is None:
                    return None
                return RemoteLobby(self, code, holder.node, holder.epoch, get_game(summary["game"]),
                                   summary["tick_rate"])
            if holder is None:
                state = await self.directory.state(code)
                if state is None:
                    return None
                if self.draining:
                    return None
                lease = await self.leases.acquire(code, self.channel)
                if lease is not None:
                    return self._take_over(state, lease)
            await asyncio.sleep(0.1)  # our own loop is handing over, or a race for the lease
        return None

    def _take_over(self, state: dict[str, Any], lease: Lease) -> LobbyLoop:
        """Run a lobby whose owner is gone, from the state it last saved."""
        grace = settings.GAME["RECONNECT_GRACE_S"]
        lobby = restore_lobby(state, detached=DETACHED, grace_s=grace)
        loop = self.runtime.registry.adopt(lobby)
        self._own(loop, lease)
        match = state.get("match")
        if match and match.get("started_ms"):
            self.runtime.save_match(aborted_record(state, match, lease.epoch, loop.clock.wall_ms()))
        self.changed(loop)
        log.warning("took over lobby %s (epoch %d) from a lost owner", lease.code, lease.epoch)
        return loop

    def changed(self, loop: LobbyLoop) -> None:
        if loop.lobby.code in self.owned:
            self.dirty.add(loop.lobby.code)
            self.dirty_wake.set()

    def closed(self, code: str) -> None:
        self.holding.pop(code, None)
        lease = self.owned.pop(code, None)
        if lease is not None:
            self.dirty.discard(code)
            self.loop.create_task(self._forget(lease))

    async def _forget(self, lease: Lease) -> None:
        try:
            await self.directory.remove(lease)
            await self.leases.release(lease)
        except Exception:
            log.warning("lobby %s: could not remove it from the directory", lease.code, exc_info=True)

    async def abandoned(self, loop: LobbyLoop) -> None:
        """A loop stopped without closing: hand the lobby over (or it was lost), then move
        every member so that they reconnect and resume with the next owner."""
        code = loop.lobby.code
        lease = self.owned.pop(code, None)
        self.dirty.discard(code)
        self.holding.pop(code, None)
        if lease is not None and loop.abandoned == "handover":
            try:
                await self.directory.put(lease, loop.lobby.summary(), lobby_state(loop.lobby, None))
                await self.leases.release(lease)
            except Exception:
                log.warning("lobby %s: handover could not be saved", code, exc_info=True)
        self.runtime.registry.remove(code)
        for key, conn in list(self.remote_conns.items()):
            if conn.code == code:
                del self.remote_conns[key]
        for member in loop.lobby.members.values():
            if member.connected:
                member.conn.close(protocol.CLOSE["moved"])
        log.warning("lobby %s left this process (%s)", code, loop.abandoned)

    def move_members_away(self) -> None:
        """Shutting down: members here of lobbies owned elsewhere reconnect to another process."""
        for relay in list(self.relays.values()):
            relay.move_all(protocol.CLOSE["moved"])
        self.relays.clear()

    # -- keeping leases, heartbeats and the directory ----------------------------------
    def _node_key(self, channel: str) -> str:
        return f"{self.prefix}node:{channel}"

    async def _heartbeat(self) -> None:
        before = await self.redis.set(self._node_key(self.channel), b"1", px=int(self.ttl_s * 1000), get=True)
        self.limits.upkeep(lapsed=before is None and self.beats > 0)  # taken for dead meanwhile
        self.beats += 1

    async def _keeper(self) -> None:
        period = self.ttl_s / 3
        while True:
            began = time.monotonic()
            try:
                await self._renew()
                await self._heartbeat()
            except Exception:
                log.warning("cluster upkeep failed (leases run out unless renewed)", exc_info=True)
            await asyncio.sleep(max(0.05, period - (time.monotonic() - began)))

    async def _renew(self) -> None:
        leases = list(self.owned.values())
        if not leases:
            return
        sent = self.loop.time()
        held = await self.leases.renew(leases)
        for lease, ok in zip(leases, held):
            loop = self.runtime.registry.get(lease.code)
            if loop is None or self.owned.get(lease.code) is not lease:
                continue
            if ok:
                loop.lease_deadline = max(loop.lease_deadline or 0.0, sent + self.ttl_s * 0.8)
            else:
                log.error("lobby %s: lease lost; this process stops ticking it", lease.code)
                loop.abandon("lease_lost")

    async def _writer(self) -> None:
        """Save each changed lobby's state at once (a match that started is known to the
        directory within milliseconds, so a successor can record it if this process dies)."""
        while True:
            await self.dirty_wake.wait()
            self.dirty_wake.clear()
            try:
                await self._write_dirty()
            except Exception:
                log.warning("directory write failed; retrying", exc_info=True)
                await asyncio.sleep(0.2)
                self.dirty_wake.set()

    async def _write_dirty(self) -> None:
        dirty, self.dirty = self.dirty, set()
        for code in dirty:
            lease, loop = self.owned.get(code), self.runtime.registry.get(code)
            if lease is None or loop is None or loop.abandoned is not None:
                continue
            try:
                ok = await self.directory.put(lease, loop.lobby.summary(), lobby_state(loop.lobby, loop.match_info()))
            except Exception:
                self.dirty |= dirty  # written again (it is the newest state either way)
                raise
            if not ok:
                log.error("lobby %s: directory write fenced off; lease lost", code)
                loop.abandon("lease_lost")

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.ttl_s / 3))
            try:
                await self._watch_owners()
                await self._watch_member_nodes()
            except Exception:
                log.warning("cluster watchdog failed", exc_info=True)

    async def _watch_owners(self) -> None:
        """Members here of a lobby whose owner is gone or replaced move (4013) and resume."""
        codes = list(self.relays)
        for code, holder in (await self.leases.holders(codes)).items():
            relay = self.relays.get(code)
            if relay is None:
                continue
            if holder is None or (holder.node, holder.epoch) != (relay.owner, relay.epoch):
                log.warning("lobby %s: its owner is gone or replaced; moving %d members",
                            code, len(relay.outboxes))
                del self.relays[code]
                relay.move_all(protocol.CLOSE["moved"])
                await self.layer.group_discard(relay_group(code), self.channel)

    async def _watch_member_nodes(self) -> None:
        """Members connected through a node that died: their seats wait for them to resume."""
        nodes = sorted({channel for channel, _ in self.remote_conns})
        if not nodes:
            return
        alive = await self.redis.mget([self._node_key(n) for n in nodes])
        for node, beat in zip(nodes, alive):
            if beat is not None:
                continue
            for key in [k for k in self.remote_conns if k[0] == node]:
                self.remote_conns.pop(key).leave()
            log.warning("node %s is gone; its members' seats wait for them", node)


def aborted_record(state: dict[str, Any], match: dict[str, Any], epoch: int, now_ms: int) -> dict[str, Any]:
    """The record of a match whose owner vanished: aborted, no winner, scores unknown (0)."""
    return {"match_id": match["id"], "lobby": state["code"], "game": state["game"], "seed": match["seed"],
            "status": "aborted", "reason": "owner_lost", "settings": match["settings"], "ticks": 0,
            "tick_rate": match["tick_rate"], "started_ms": match["started_ms"], "ended_ms": now_ms,
            "winner": None, "epoch": epoch,
            "results": [{"id": p["id"], "name": p["name"], "identity": p["identity"], "user_id": p["user_id"],
                         "score": 0, "rank": rank, "winner": False}
                        for rank, p in enumerate(match["roster"], start=1)]}
