"""Match continuity, the owner's side: every running match's input log, made durable in Redis
before its inputs are acknowledged.

The replay recorder of each match this process owns has a *tap* (`MatchLog`): every entry it
records — an input applied at match tick ``t``, a neutral input for a dropped player, a
player removed — is appended there too, with its absolute tick. One writer task per process
(`InputLog.run`) takes what every lobby logged since its last pass and sends it to Redis in
one pipeline: per shard one fenced script (`APPEND`, which checks each lease as directory
writes do) that XADDs, for each lobby with news, one entry, ``[ticks, count_before, entries]``, to the lobby's stream
(`game.cluster.keys.Keys.log`). Only when that pipeline answers does each match learn which
``input_seq`` of each player is now logged (`Match.logged`), and the state frames acknowledge
no more than that (`Match.last_processed_input`). So an input a client saw acknowledged is in
Redis, and a successor can replay it (game.cluster.continuity).

The stream's first entry is the match's header (seed, settings, players, roster, tick rate);
a new match in the lobby starts a new stream. Every ``SNAPSHOT_S`` of match time the game
itself is stored beside the stream (a pickle read back by a restricted unpickler,
game.cluster.continuity), so a successor replays at most that much instead of the whole
match. A lobby with no input for a while still logs its tick every ``KEEPALIVE_S``, so a
successor resumes at most that long before where play stopped. A log lives ``ttl_s`` after
its last write (the directory's TTL) unless the lobby's next match replaces it: a match that
ended is logged no more, and its log outlives it a while, so an owner that dies before the
directory hears of the end leaves the whole match to a successor, which ends and saves it.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
from collections.abc import Iterable
from typing import Any

import msgpack
from redis.exceptions import NoScriptError

from game.cluster.keys import Keys
from game.cluster.lease import Lease
from game.cluster.shards import Shards
from game.engine.replay import rules_version
from game.outage import OUTAGE

log = logging.getLogger("game.cluster")

# ARGV[1]: ttl ms; ARGV[2]: msgpack (raw strings, as Redis' cmsgpack reads them) of one
# [lease key, stream key, snapshot key, lease value, header, entries, snapshot] per lobby, the
# last three each '' for none; every lobby is on this shard. The keys travel inside the one
# argument, not as KEYS: each argument costs the client more than Redis (redis-py encodes each
# in Python; msgpack packs them all in C), and a standalone primary, the only kind of shard
# this server talks to, takes keys from anywhere (Redis Cluster would not). For each lobby:
# 1 written; 0 its lease is another's; 2 its lease is missing (Redis lost its data: the owner
# may put it back); 3 the log to go on is missing (lost with Redis' data).
APPEND = """
local items = cmsgpack.unpack(ARGV[2])
local out = {}
for i, item in ipairs(items) do
  local lease, stream, snap = item[1], item[2], item[3]
  local held = redis.call('GET', lease)
  if held ~= item[4] then
    if held then out[i] = 0 else out[i] = 2 end
  elseif item[5] == '' and redis.call('EXISTS', stream) == 0 then
    out[i] = 3
  else
    if item[5] ~= '' then
      redis.call('DEL', stream, snap)
      redis.call('XADD', stream, '*', 'h', item[5])
    end
    if item[6] ~= '' then redis.call('XADD', stream, '*', 'e', item[6]) end
    if item[7] ~= '' then redis.call('SET', snap, item[7], 'PX', ARGV[1]) end
    redis.call('PEXPIRE', stream, ARGV[1])
    out[i] = 1
  end
end
return out
"""

#: Seconds of match time between two snapshots of the game (bounds a successor's replay).
SNAPSHOT_S = 10.0
#: A lobby whose players send nothing still logs its tick this often.
KEEPALIVE_S = 0.25


def snapshot_key(keys: Keys, code: str) -> str:
    """The game snapshot beside a lobby's log (the same hash tag, so the same slot)."""
    return keys.log_snapshot(code)


def header_of(match: Any) -> dict[str, Any]:
    """What a successor needs to make the match's game again, and its record."""
    game = match.game
    return {"match": match.id, "rules": rules_version(type(game)), "seed": match.seed, "settings": dict(game.settings),
            "players": [[m.id, m.name] for m in match.roster.values()],
            "tick_rate": match.lobby.tick_rate_hz,
            "roster": [{"id": m.id, "name": m.name, "identity": m.identity, "user_id": m.user_id}
                       for m in match.roster.values()]}


class MatchLog:
    """The tap on one match's recorder: entries recorded and not yet sent, and what was sent."""

    __slots__ = ("bucket", "code", "entries", "header_sent", "keys", "lease", "loop", "match", "owner", "queued",
                 "sent", "snapshot_ticks", "written_ticks")

    def __init__(self, owner: InputLog, loop: Any, lease: Lease) -> None:
        self.owner = owner
        self.loop = loop
        self.match = loop.match
        self.code = code = loop.lobby.code
        self.lease = lease
        keys = owner.keys
        self.bucket = keys.bucket(code)
        self.keys = [keys.lease(code), keys.log(code), snapshot_key(keys, code)]
        self.entries: list[tuple] = []
        self.sent = 0  # entries sent before these
        self.header_sent = False
        self.queued = False
        self.written_ticks = -1
        self.snapshot_ticks = 0

    def append(self, entry: tuple) -> None:
        """Called by the recorder, inside the lobby's tick, for an entry it records."""
        self.extend((entry,))

    def extend(self, entries: Iterable[tuple]) -> None:
        """Called by the recorder, inside the lobby's tick, for the entries it records."""
        self.entries += entries
        if not self.queued:
            self.queued = True
            self.owner.pending.append(self)
            self.owner.wake.set()


class InputLog:
    """The input logs of every match this process owns, and the task that writes them."""

    def __init__(self, redis, keys: Keys, *, ttl_s: float, snapshot_s: float = SNAPSHOT_S,
                 keepalive_s: float = KEEPALIVE_S) -> None:
        self.keys = keys
        self.shards = Shards.wrap(redis, keys)  # each lobby's log on its bucket's shard
        self.redis = self.shards.main
        self.ttl_ms = int(ttl_s * 1000)
        self.snapshot_s = snapshot_s
        self.keepalive_s = keepalive_s
        self.sha = ""  # APPEND's SHA1
        self.loaded: set[int] = set()  # the shards that have APPEND
        self.logs: dict[str, MatchLog] = {}  # lobby code -> the log of its running match
        self.packer = msgpack.Packer(use_bin_type=True)  # (one, reused: packb makes one a call)
        self.group_packer = msgpack.Packer(use_bin_type=False)
        self.pending: list[MatchLog] = []
        self.wake = asyncio.Event()
        # One write at a time, composed after the last one answered: each stream entry says how
        # many entries came before it, which only a write that has answered has settled.
        self.turn = asyncio.Lock()
        self.writes = 0  # pipelines sent
        self.next_scan = 0.0  # when lobbies without news are next looked at (keepalives)
        self.entries_written = 0

    def attach(self, loop: Any, lease: Lease) -> MatchLog:
        """Called as a match starts (or is resumed) in an owned lobby: log its recorder."""
        old = self.logs.get(loop.lobby.code)
        if old is not None:
            old.match.recorder.tap = None
        tap = self.logs[loop.lobby.code] = MatchLog(self, loop, lease)
        tap.match.recorder.tap = tap
        tap.match.logged = {}  # nothing acknowledged before the log has it
        tap.queued = True  # the header goes at once
        self.pending.append(tap)
        self.wake.set()
        return tap

    def resume(self, loop: Any, lease: Lease, resume: dict[str, Any]) -> MatchLog:
        """Called when this process took over a match (game.cluster.continuity): its log
        goes on where the old owner's stopped."""
        tap = self.attach(loop, lease)
        tap.header_sent, tap.sent, tap.written_ticks = True, len(resume["entries"]), resume["ticks"]
        tap.snapshot_ticks = resume["snapshot"][0] if resume["snapshot"] else 0
        return tap

    def detach(self, code: str) -> MatchLog | None:
        """The lobby leaves this process (handed over, lost, closed): stop logging it here."""
        tap = self.logs.pop(code, None)
        if tap is not None:
            tap.match.recorder.tap = None
        return tap

    async def flush_one(self, tap: MatchLog) -> None:
        """Write what ``tap`` holds now, the match going on elsewhere (a handover's last word
        before the lease goes)."""
        async with self.turn:
            await self._write([self._item(tap)])

    async def run(self) -> None:
        """The writer: one pipeline at a time, each carrying every lobby's news since the last."""
        loop = asyncio.get_running_loop()
        timer = None

        def nudge() -> None:  # (the keepalives' clock: a timer, not a timeout on each wait)
            nonlocal timer
            self.wake.set()
            timer = loop.call_later(self.keepalive_s / 2, nudge)

        nudge()
        try:
            while True:
                await self._pass()
        finally:
            timer.cancel()

    async def _pass(self) -> None:
        """Wait for news, then write it (or, after a failure, wait a little first)."""
        await self.wake.wait()
        self.wake.clear()
        while True:
            async with self.turn:
                batch = self._compose()
                if not batch:
                    return
                try:
                    await self._write(batch)
                    return
                except Exception as exc:
                    OUTAGE.report("input log write", exc, log,
                                  "input log write failed; retrying (inputs stay unacknowledged)")
                    if not isinstance(exc, Requeued):  # (a shard failed: its part is requeued already)
                        self._requeue(batch)
            await asyncio.sleep(0.2)

    # -- composing and writing ---------------------------------------------------------------
    def _compose(self) -> list[tuple[MatchLog, list, dict, int, int]]:
        """Per lobby with news: the script's arguments, the entries taken, the acks they allow."""
        due = self.pending
        self.pending = []
        now = time.monotonic()
        if now >= self.next_scan:  # lobbies without inputs: their tick, now and then
            self.next_scan = now + self.keepalive_s / 2
            seen = set(map(id, due))
            due += [tap for tap in self.logs.values() if id(tap) not in seen and self._keepalive_due(tap)]
        batch = []
        for tap in due:
            tap.queued = False
            if self.logs.get(tap.code) is tap:  # (not detached meanwhile)
                batch.append(self._item(tap))
        return batch

    def _item(self, tap: MatchLog) -> tuple:
        """One lobby's part of a pipeline: ``(tap, (entries, script args), acknowledgements
        once written, match ticks, snapshot size)``. A match over (or handed on) is written a
        last time and logged no more: its log expires (or the lobby's next match replaces it),
        so an owner that dies before the directory hears of the end leaves a successor the
        whole match to end and save again (saving is idempotent by match id)."""
        match = tap.match
        if match.saved:
            self.detach(tap.code)
        entries, tap.entries = tap.entries, []
        header = b""
        if not tap.header_sent:
            header = self.packer.pack(header_of(match))
        body = self.packer.pack([match.ticks, tap.sent, entries])
        snapshot = b""
        if match.ticks - tap.snapshot_ticks >= self.snapshot_s * match.lobby.tick_rate_hz:
            snapshot = self.packer.pack([match.ticks, tap.sent + len(entries), pickle.dumps(match.game, protocol=5)])
        acks = {m.id: (m.last_processed_input, m.conn) for m in match.roster.values()}
        args = [*tap.keys, tap.lease.value, header, body, snapshot]
        return tap, (entries, args), acks, match.ticks, len(snapshot)

    def _keepalive_due(self, tap: MatchLog) -> bool:
        match = tap.match
        if match.saved:
            return True
        return bool(match.started_ms) and match.ticks - tap.written_ticks >= self.keepalive_s * match.lobby.tick_rate_hz

    async def _write(self, batch: list) -> None:
        """One APPEND per shard for all its lobbies with news, all shards at once; then the
        acknowledgements. (One call per shard, not per bucket: a script's keys may span buckets
        on a standalone primary, the only kind of shard this server talks to. Under Redis
        Cluster a call would have to stay within one bucket, one slot: it cost 60 µs per lobby
        per tick when each lobby had a bucket of its own.) The lobbies of a shard
        that failed are requeued (`Requeued` is raised once the others are acknowledged)."""
        if not batch:
            return
        groups: dict[int, list] = {}
        index = self.shards.index
        for item in batch:  # one script call per shard (its index stands for a bucket of it)
            groups.setdefault(index(item[0].bucket), []).append(item)
        results = dict(zip(groups, await self._send(groups), strict=True))
        stale = {b: groups[b] for b, r in results.items() if isinstance(r, NoScriptError)}
        if stale:  # that Redis restarted (or flushed its scripts): load it there again
            self.loaded.difference_update(self.shards.index(b) for b in stale)
            results.update(zip(stale, await self._send(stale), strict=True))
        self.writes += 1
        failure = None
        for bucket, items in groups.items():
            result = results[bucket]
            if isinstance(result, BaseException):
                failure = result
                self._requeue(items)
                continue
            for (tap, work, acks, ticks, snap), ok in zip(items, result, strict=True):
                self._written(tap, work[0], acks, ticks, snap, ok)
        if failure is not None:
            raise Requeued(str(failure)) from failure

    async def _send(self, groups: dict[int, list]) -> list:
        """Each group's reply, or the exception of its shard."""
        down: dict[int, BaseException] = {}
        for shard in sorted({self.shards.index(b) for b in groups} - self.loaded):
            try:
                self.sha = await self.shards.clients[shard].script_load(APPEND)
                self.loaded.add(shard)
            except Exception as exc:
                down[shard] = exc
        live = [b for b in groups if self.shards.index(b) not in down]

        def append(pipe, bucket: int) -> None:
            pipe.execute_command("EVALSHA", self.sha, 0, self.ttl_ms,
                                 self.group_packer.pack([item[1][1] for item in groups[bucket]]))

        replies = dict(zip(live, await self.shards.pipelined(live, lambda b: b, append), strict=True))
        return [replies[b] if b in replies else down[self.shards.index(b)] for b in groups]

    def _written(self, tap: MatchLog, entries: list, acks: dict, ticks: int, snap: int, ok: int) -> None:
        if ok == 0:
            log.error("lobby %s: input log write fenced off; lease lost", tap.code)
            if self.detach(tap.code) is tap:
                tap.loop.abandon("lease_lost")
            return
        if ok == 2:  # Redis lost the lease with its data: the keeper puts it back (game.cluster.recovery)
            self._requeue([(tap, (entries, None), acks, ticks, snap)])
            return
        if ok == 3:
            log.warning("lobby %s: its input log was lost with Redis' data; its match goes on, no longer "
                        "protected against the loss of this process", tap.code)
            if self.detach(tap.code) is tap:
                tap.match.logged = None  # (acknowledged as applied, as without continuity)
            return
        tap.header_sent = True
        tap.sent += len(entries)
        tap.written_ticks = ticks
        if snap:
            tap.snapshot_ticks = ticks
        self.entries_written += len(entries)
        tap.match.logged = acks

    def _requeue(self, batch: list) -> None:
        """A pipeline failed: its entries go first in the next one (nothing was acknowledged)."""
        for tap, work, _acks, _ticks, _snap in batch:
            tap.entries[:0] = work[0]  # (a handover's last write takes them too)
            if self.logs.get(tap.code) is tap and not tap.queued:
                tap.queued = True
                self.pending.append(tap)


class Requeued(Exception):
    """A shard failed during an input log write; its lobbies' entries wait for the next."""


async def read_log(redis, keys: Keys, code: str) -> tuple[dict | None, list[tuple], int, Any]:
    """A lobby's logged match: ``(header, entries, ticks, snapshot)``, ``snapshot`` being
    ``(ticks, entries applied, pickled game)`` or None. ``(None, [], 0, None)`` when the log
    is missing or broken (a gap: a successor cannot go on from it)."""
    stream, raw_snapshot = await _read(redis, keys, code)
    if not stream or b"h" not in stream[0][1]:
        return None, [], 0, None
    header = msgpack.unpackb(stream[0][1][b"h"], raw=False, strict_map_key=False)
    entries: list[tuple] = []
    ticks = 0
    for _id, fields in stream[1:]:
        body = fields.get(b"e")
        if body is None:
            return None, [], 0, None
        ticks, before, batch = msgpack.unpackb(body, raw=False, strict_map_key=False)
        if before != len(entries):
            log.error("lobby %s: its input log has a gap (%d entries, then one from %d)", code, len(entries), before)
            return None, [], 0, None
        entries.extend(tuple(entry) for entry in batch)
    snapshot = None
    if raw_snapshot:
        snap_ticks, count, game = msgpack.unpackb(raw_snapshot, raw=False)
        if snap_ticks <= ticks and count <= len(entries):
            snapshot = (snap_ticks, count, game)
    return header, entries, ticks, snapshot


async def _read(redis, keys: Keys, code: str) -> tuple[list, bytes | None]:
    pipe = redis.pipeline(transaction=False)
    pipe.xrange(keys.log(code))
    pipe.get(snapshot_key(keys, code))
    stream, snapshot = await pipe.execute()
    return stream, snapshot
