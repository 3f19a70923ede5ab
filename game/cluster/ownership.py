"""Which process runs which lobby: leases taken, renewed and lost; the directory kept up to
date; lobbies taken over from a vanished owner or handed over on shutdown.

A lease whose renewal has gone unanswered past 80% of its TTL (Redis unreachable or slow, or
this process stalled) is *in doubt*: the lobby plays on, provisionally. Its inputs are applied
but acknowledged only once the input log is written again (fenced by the lease), and a match
that ends meanwhile is held back, not saved. When Redis answers, a lease still ours, or missing
with nobody having taken the lobby since (`Recovery.reclaim`), is confirmed: the held records
are saved, the input log flushed, and play goes on as if nothing happened. A lease another
process took means the lobby was lost: it stops (``lease_lost``), its held records are dropped
(the new owner goes on with the match and records it) and its members move; a stalled process
learns it at its next renewal or fenced write, within a third of the TTL. A lobby stops too
when its lease has gone unconfirmed for nearly ``DIRECTORY_TTL_S``, past which its epoch key
may have expired and a successor could no longer be told from nobody.

One `Ownership` per node (game.cluster.node). It knows the lobbies this process runs and
where the others run; members connected through other processes are game.cluster.guests',
and this process's members of lobbies run elsewhere game.cluster.remote's.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings

from game.cluster import continuity
from game.cluster.directory import Directory
from game.cluster.inputlog import InputLog
from game.cluster.keys import DEFAULT_BUCKETS, Keys
from game.cluster.lease import Lease, Leases
from game.cluster.mail import Mailbox
from game.cluster.recovery import Recovery
from game.cluster.shards import Shards
from game.cluster.snapshot import lobby_state, restore_lobby
from game.engine.errors import CommandError
from game.engine.lobby import LobbyConfig
from game.engine.loop import DETACHED, LobbyLoop
from game.engine.match import match_over_event
from game.engine.registry import LobbyRegistry
from game.outage import OUTAGE, Unavailable

log = logging.getLogger("game.cluster")

RETELL_S = 2.0  # a lobby kept after its doubt tells its state again this much later (`Ownership._retell`)
DEFERRED_MAX = 512  # frames a lobby in doubt keeps back for its group, at most (`Ownership.defer`)


class CodeTaken(Exception):
    """Another process already owns a lobby with this code."""


class Elsewhere(NamedTuple):
    """A lobby another process runs: its owner's node and lease epoch, its game and tick rate."""

    owner: str
    epoch: int
    game: str
    tick_rate: int


class Ownership:
    """The leases of the lobbies this process runs, and the directory's copy of their state."""

    def __init__(self, redis, mail: Mailbox, registry: LobbyRegistry, *,
                 save_match: Callable[[dict[str, Any]], None]) -> None:
        cfg = settings.GAME_CLUSTER
        self.mail = mail  # its channel names this process as an owner
        self.registry = registry
        self.save_match = save_match
        self.ttl_s = cfg["LEASE_TTL_S"]
        self.keys = Keys(cfg["PREFIX"], cfg.get("BUCKETS", DEFAULT_BUCKETS))
        self.shards = redis = Shards.wrap(redis, self.keys)  # each lobby's keys on its bucket's shard
        self.leases = Leases(redis, self.keys, self.ttl_s, cfg["DIRECTORY_TTL_S"])
        self.directory = Directory(redis, self.keys, cfg["DIRECTORY_TTL_S"], route=cfg.get("ROUTE", ""))
        self.recovery = Recovery(redis, self.leases, self.directory, ttl_s=self.ttl_s,
                                 directory_ttl_s=cfg["DIRECTORY_TTL_S"])  # Redis lost its data
        self.owned: dict[str, Lease] = {}
        # When each owned lease was last confirmed (event loop time the renewal was sent): one
        # unconfirmed for longer than 80% of the TTL is in doubt (`in_doubt`).
        self.confirmed: dict[str, float] = {}
        # What a lobby in doubt keeps back, with the time it came: the records of matches that
        # ended, and the frames for its lobby group (lobby state, events: `defer`).
        self.held: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        self.deferred: dict[str, list[tuple[float, bytes]]] = {}
        # Where what was kept back goes (the runtime's own, which keep nothing back).
        self.publish: Callable[[str, bytes], None] = lambda code, data: None
        self.save_now: Callable[[dict[str, Any]], None] = save_match
        self.doubt_limit_s = cfg["DIRECTORY_TTL_S"] * 0.9  # then a lobby in doubt stops
        self.outcomes = {"kept": 0, "lost": 0}  # leases in doubt, once Redis answered (for the log)
        self.doubting = 0  # lobbies in doubt when last told (one log line as doubt begins and ends)
        self.dirty: set[str] = set()  # lobbies whose state the directory has yet to get
        self.dirty_wake = asyncio.Event()
        self.draining = False  # shutting down: take over nothing, start no match
        # Match continuity: each running match's inputs logged before they are acknowledged
        # (game.cluster.inputlog), so a successor can go on with it (game.cluster.continuity).
        continuing = cfg.get("CONTINUITY", True)
        self.inputlog = InputLog(redis, self.keys, ttl_s=cfg["DIRECTORY_TTL_S"]) if continuing else None

    # -- lobbies ---------------------------------------------------------------------
    async def create(self, config: LobbyConfig) -> LobbyLoop:
        """Take the lease of a new lobby's code and run it here."""
        lease = await self.leases.acquire(config.code, self.mail.channel)
        if lease is None:
            raise CodeTaken(config.code)
        loop = self.registry.create(config)
        self._own(loop, lease)
        await self.directory.put(lease, loop.lobby.summary(), lobby_state(loop.lobby, None))
        return loop

    def _own(self, loop: LobbyLoop, lease: Lease) -> None:
        self.owned[lease.code] = lease
        self._confirm(loop, lease.code, asyncio.get_running_loop().time())
        loop.epoch = lease.epoch
        loop.hands_on = self.inputlog is not None  # a match cut short here goes on elsewhere
        begin = loop.lobby.on_start
        loop.lobby.on_start = lambda: self._start_match(loop, begin)

    def _start_match(self, loop: LobbyLoop, begin: Callable[[], None]) -> None:
        """A match starts in an owned lobby (start, rematch, every reserved seat taken): not on
        a draining process (its lobbies are about to move); else its inputs are logged."""
        if self.draining and not loop.lobby.matchmade:
            raise CommandError("draining", "this server is restarting; start again in a moment")
        begin()
        lease = self.owned.get(loop.lobby.code)
        if self.inputlog is not None and lease is not None and loop.match is not None:
            self.inputlog.attach(loop, lease)

    def owned_loop(self, code: str) -> LobbyLoop | None:
        """The loop of lobby ``code`` if this process runs it under a lease now."""
        loop = self.registry.get(code)
        return loop if loop is not None and loop.abandoned is None and code in self.owned else None

    async def find(self, code: str) -> LobbyLoop | Elsewhere | None:
        """Where lobby ``code`` runs: here (taking it over if its owner is gone), elsewhere,
        or None when the cluster has no such lobby."""
        for _ in range(int(self.ttl_s * 10) + 20):
            loop = self.registry.get(code)
            if loop is not None and loop.abandoned is None:
                return loop
            holder = (await self.leases.holders([code]))[code]
            if holder is not None and holder.node != self.mail.channel:
                summary = await self.directory.summary(code)
                if summary is None:
                    return None
                return Elsewhere(holder.node, holder.epoch, summary["game"], summary["tick_rate"])
            if holder is None:
                state = await self.directory.state(code)
                if state is None or self.draining:
                    return None
                if self.recovery.recovering():  # its owner may be alive and about to reclaim it
                    raise Unavailable(code)
                lease = await self.leases.acquire(code, self.mail.channel)
                if lease is not None:
                    return await self._take_over(state, lease)
            await asyncio.sleep(0.1)  # our own loop is handing over, or a race for the lease
        return None

    async def _take_over(self, state: dict[str, Any], lease: Lease) -> LobbyLoop:
        """Run a lobby whose owner is gone, from the state it last saved; its running match
        goes on from its input log (game.cluster.continuity), or is recorded as aborted."""
        grace = settings.GAME["RECONNECT_GRACE_S"]
        if self.inputlog is None:
            lobby, resume, how = restore_lobby(state, detached=DETACHED, grace_s=grace), None, "lost"
        else:
            lobby, resume, how = await continuity.restore(self.shards.of(lease.code), self.keys, state,
                                                          detached=DETACHED, grace_s=grace)
        loop = self.registry.adopt(lobby)
        self._own(loop, lease)
        match = state.get("match")
        if how == "resume" and continuity.install(loop, resume) is not None:
            self.inputlog.resume(loop, lease, resume)
            log.warning("took over lobby %s (epoch %d) from a lost owner; its match goes on from tick %d",
                        lease.code, lease.epoch, resume["ticks"])
        else:
            if how == "countdown":
                loop.lobby.on_start()
            elif match and match.get("started_ms"):
                self._record_lost(loop, aborted_record(state, match, lease.epoch, loop.clock.wall_ms()))
            log.warning("took over lobby %s (epoch %d) from a lost owner", lease.code, lease.epoch)
        self.changed(loop)
        return loop

    def _record_lost(self, loop: LobbyLoop, record: dict[str, Any]) -> None:
        """Save the match a vanished owner was playing as aborted, and tell its end
        (``match_over``, reason ``owner_lost``) to each member as they resume here."""
        self.save_match(record)
        loop.lobby.last_over = match_over_event(record)

    def changed(self, loop: LobbyLoop) -> None:
        """Called when an owned lobby changed: its state goes to the directory at once."""
        if loop.lobby.code in self.owned:
            self.dirty.add(loop.lobby.code)
            self.dirty_wake.set()

    def closed(self, code: str) -> None:
        """Called when a lobby's loop ended: it leaves the directory, its lease is released."""
        lease = self.owned.pop(code, None)
        self.confirmed.pop(code, None)
        self._release_held(code)  # (closed by its members: nobody goes on with its match)
        if self.inputlog is not None:
            self.inputlog.detach(code)
        if lease is not None:
            self.dirty.discard(code)
            asyncio.get_running_loop().create_task(self._forget(lease))

    async def _forget(self, lease: Lease) -> None:
        try:
            await self.directory.remove(lease)
            await self.leases.release(lease)
        except Exception:
            log.warning("lobby %s: could not remove it from the directory", lease.code, exc_info=True)

    async def hand_over(self, loop: LobbyLoop) -> None:
        """A loop stopped without closing: on a handover, save its state and release the
        lease for the next owner (a lease lost needs neither); it no longer runs here."""
        code = loop.lobby.code
        doubted = self.in_doubt(code)
        lease = self.owned.pop(code, None)
        self.confirmed.pop(code, None)
        self.dirty.discard(code)
        if loop.abandoned == "lease_lost":
            self.outcomes["lost"] += doubted
            self._drop_held(code)  # the new owner goes on with the match, and records it
        else:
            self._release_held(code)
        tap = self.inputlog.detach(code) if self.inputlog is not None else None
        if lease is not None and loop.abandoned == "handover":
            match = loop.match if loop.match is not None and loop.match.handed_on else None
            try:
                if match is not None and tap is not None:
                    await self.inputlog.flush_one(tap)  # the log's last entries, then the lease goes
                await self.directory.put(lease, loop.lobby.summary(),
                                         lobby_state(loop.lobby, match.info() if match is not None else None))
                await self.leases.release(lease)
            except Exception:
                log.warning("lobby %s: handover could not be saved", code, exc_info=True)
        elif lease is not None and loop.abandoned in ("lease_expired", "lease_lost"):  # (if Redis lost it: recovery)
            match = loop.match.info() if loop.match is not None and loop.match.handed_on else loop.match_info()
            self.recovery.orphan(lease, loop.lobby.summary(), lobby_state(loop.lobby, match))
        self.registry.remove(code)

    # -- keeping leases and the directory ----------------------------------------------
    async def renew(self) -> None:
        """Renew every lease held (called by the node's keeper, every third of the TTL). A
        lease Redis does not answer for stays in doubt and its lobby plays on; one another
        process took stops its loop; one confirmed again ends its doubt."""
        leases = list(self.owned.values())
        sent = asyncio.get_running_loop().time()
        if not leases:
            self._tell_doubt(sent)
            return
        held = await self.leases.renew(leases)
        for lease, ok in zip(leases, held, strict=True):
            loop = self.registry.get(lease.code)
            if loop is None or self.owned.get(lease.code) is not lease or loop.abandoned is not None:
                continue
            if ok is None:  # its shard is unreachable: in doubt, unless it has been too long
                if sent - self.confirmed.get(lease.code, sent) > self.doubt_limit_s:
                    log.error("lobby %s: lease unconfirmed for %.0f s; this process stops ticking it",
                              lease.code, sent - self.confirmed[lease.code])
                    loop.abandon("lease_expired")
                continue
            # (missing, and nobody took it since: put back)
            if ok or await self.recovery.reclaim(lease, quiet=self.in_doubt(lease.code, sent)):
                self._settle(loop, lease.code, sent)
                if not ok:
                    self.changed(loop)  # its directory entry may have been lost with it
            else:
                log.error("lobby %s: lease lost; this process stops ticking it", lease.code)
                loop.abandon("lease_lost")
        self._tell_doubt(sent)
        if self.leases.failure is not None:  # a shard failed: the others' leases were renewed
            raise self.leases.failure

    def _tell_doubt(self, now: float) -> None:
        """One line when lobbies begin to play on in doubt, one when none is left in doubt."""
        doubting = sum(1 for code in self.owned if self.in_doubt(code, now))  # (lost ones: until handed over)
        if doubting and not self.doubting:
            log.warning("%d lobbies play on provisionally: their leases are in doubt until Redis answers "
                        "(inputs unacknowledged, results held back)", doubting)
        elif self.doubting and not doubting:
            log.warning("leases in doubt settled: %d kept (play went on), %d taken by another process",
                        self.outcomes["kept"], self.outcomes["lost"])
            self.outcomes = {"kept": 0, "lost": 0}
        self.doubting = doubting

    def _settle(self, loop: LobbyLoop, code: str, sent: float) -> None:
        """A fenced operation sent at ``sent`` (a renewal, a directory write) found the lease
        of ``code`` ours: what the lobby held back since before then goes out (records saved,
        frames published); a lobby that was in doubt and no longer is has its state told again
        (`_retell`)."""
        doubted = self.in_doubt(code)
        self._confirm(loop, code, sent)
        ended = set()
        records = self.held.get(code, [])
        while records and records[0][0] <= sent:
            record = records.pop(0)[1]
            ended.add(record.get("match_id"))
            self.save_now(record)
        frames = self.deferred.get(code, [])
        while frames and frames[0][0] <= sent:
            self.publish(code, frames.pop(0)[1])
        if doubted and not self.in_doubt(code):
            self.outcomes["kept"] += 1
            self._retell(loop, ended)

    def _confirm(self, loop: LobbyLoop, code: str, sent: float) -> None:
        """The lease of ``code`` held as of ``sent`` (event loop time): its lobby may tick on
        until its doubt has lasted too long (the loop's own deadline; renewals move it on)."""
        sent = self.confirmed[code] = max(sent, self.confirmed.get(code, sent))
        deadline = sent + self.ttl_s * 0.8 + self.doubt_limit_s
        loop.lease_deadline = deadline if math.isfinite(deadline) else None

    def in_doubt(self, code: str, now: float | None = None) -> bool:
        """Whether the lease of owned lobby ``code`` has gone unconfirmed past 80% of its TTL
        (another process could have taken it, were Redis reachable for it)."""
        at = self.confirmed.get(code)
        if at is None:
            return False
        now = asyncio.get_running_loop().time() if now is None else now
        return now - at > self.ttl_s * 0.8

    def hold(self, record: dict[str, Any]) -> bool:
        """Keep back the record of a match that ended while its lobby's lease is in doubt
        (True): it is saved once a fenced operation sent later finds the lease ours (then the
        directory, which a successor reads, learns of the end only through this owner), dropped
        if another process took the lobby (that process read the match as running and goes on
        with it from its input log, and records it)."""
        code = record.get("lobby")
        lease = self.owned.get(code)
        if lease is None or record.get("epoch") != lease.epoch or not self.in_doubt(code):
            return False
        self.held.setdefault(code, []).append((asyncio.get_running_loop().time(), record))
        log.warning("lobby %s: match %s ended while its lease is in doubt; saved once Redis confirms it",
                    code, record.get("match_id"))
        return True

    def defer(self, code: str, data: bytes) -> bool:
        """Keep back a frame for the lobby group of a lobby in doubt (True): its members learn
        nothing of a provisional play (a match's end above all) before the lease is confirmed;
        published then, dropped if the lobby was lost. At most ``DEFERRED_MAX`` a lobby."""
        if code not in self.owned or not (self.in_doubt(code) or self.deferred.get(code)):  # (in order)
            return False
        frames = self.deferred.setdefault(code, [])
        frames.append((asyncio.get_running_loop().time(), data))
        if len(frames) > DEFERRED_MAX:
            del frames[0]
        return True

    def _retell(self, loop: LobbyLoop, ended: set[str], *, again: bool = False) -> None:
        """A lobby kept after its doubt: its held frames have just gone out, but the lobby
        groups' subscriptions of every process come back up to a second after Redis does
        (channels_redis retries them once a second), and what is published before is lost. So
        its state goes out again at its next tick (the directory gets it too), and ``RETELL_S``
        later once more, with the ``match_over`` of a match that ended meanwhile (a browser
        shows one end once)."""
        code = loop.lobby.code
        if self.owned_loop(code) is not loop:
            return
        over = loop.lobby.last_over
        if again and over is not None and over.get("match") in ended:  # (at once: among the held frames)
            loop.lobby.events.append(over)
        loop.lobby.changed = True
        self.changed(loop)
        if not again:
            asyncio.get_running_loop().call_later(RETELL_S, lambda: self._retell(loop, ended, again=True))

    def _release_held(self, code: str) -> None:
        for _at, record in self.held.pop(code, []):
            self.save_now(record)
        for _at, data in self.deferred.pop(code, []):
            self.publish(code, data)

    def _drop_held(self, code: str) -> None:
        self.deferred.pop(code, None)
        for _at, record in self.held.pop(code, []):
            log.warning("lobby %s: match %s, ended here while Redis was unreachable, is not saved: "
                        "another process took the lobby over and goes on with it", code, record.get("match_id"))

    async def run_writer(self) -> None:
        """Save each changed lobby's state at once (a match that started is known to the
        directory within milliseconds, so a successor can record it if this process dies)."""
        while True:
            await self.dirty_wake.wait()
            self.dirty_wake.clear()
            try:
                await self._write_dirty()
            except Exception as exc:
                OUTAGE.report("directory write", exc, log, "directory write failed; retrying")
                await asyncio.sleep(0.2)
                self.dirty_wake.set()

    async def _write_dirty(self) -> None:
        dirty, self.dirty = self.dirty, set()
        for code in dirty:
            lease, loop = self.owned.get(code), self.registry.get(code)
            if lease is None or loop is None or loop.abandoned is not None:
                continue
            sent = asyncio.get_running_loop().time()
            try:
                ok = await self.directory.put(lease, loop.lobby.summary(), lobby_state(loop.lobby, loop.match_info()))
            except Exception:
                self.dirty |= dirty  # written again (it is the newest state either way)
                raise
            if not ok and await self.recovery.reclaim(lease, quiet=self.in_doubt(code)):  # missing, not taken
                ok = await self.directory.put(lease, loop.lobby.summary(), lobby_state(loop.lobby, loop.match_info()))
            if not ok:
                log.error("lobby %s: directory write fenced off; lease lost", code)
                loop.abandon("lease_lost")
            elif self.owned.get(code) is lease and loop.abandoned is None:
                self._settle(loop, code, sent)  # (what it wrote, a successor reads: see `hold`)


def aborted_record(state: dict[str, Any], match: dict[str, Any], epoch: int, now_ms: int) -> dict[str, Any]:
    """The record of a match whose owner vanished: aborted, no winner, scores unknown (0)."""
    return {"match_id": match["id"], "lobby": state["code"], "game": state["game"], "seed": match["seed"],
            "status": "aborted", "reason": "owner_lost", "settings": match["settings"], "ticks": 0,
            "tick_rate": match["tick_rate"], "started_ms": match["started_ms"], "ended_ms": now_ms,
            "winner": None, "epoch": epoch,
            "results": [{"id": p["id"], "name": p["name"], "identity": p["identity"], "user_id": p["user_id"],
                         "score": 0, "rank": rank, "winner": False}
                        for rank, p in enumerate(match["roster"], start=1)]}
