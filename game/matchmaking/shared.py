"""Quick-match queues shared by every process of a cluster, through Redis.

The same `Matchmaker` (game.matchmaking.service), with its tickets kept where every process
sees them, so that two players whose sockets reach different processes are matched:

- each process writes the tickets of its own queue sockets to the game's hash
  ``<prefix>mm:<game>:tickets`` (identity -> name, rating, deviation, the wall time it joined,
  the wall time its process last vouched for it), every round, and deletes those that leave;
- one process per game is the *matcher*, the holder of ``<prefix>mm:<game>:matcher`` (a lock it
  renews each round): it reads every ticket vouched for within `STALE_S` (a dead process's
  tickets drop out), forms groups with the same pure rule (`MatchQueue`), creates each group's
  lobby on itself (any process serves any lobby), and in one transaction takes the group's
  tickets out and leaves each player's ``matched`` frame in ``<prefix>mm:<game>:matched``;
- every process hands those frames to its own sockets at its next round and deletes them.

Each process's status frames count the whole cluster's queue (position, waiting). The choice of
this class over the in-memory queue is made once, from settings (`service.matchmaker_class`),
as the runtime's is. A round costs each process one pipeline; the matcher one more read.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings

from game.matchmaking.queue import MatchQueue, Ticket
from game.matchmaking.service import Matchmaker
from game.outage import OUTAGE

log = logging.getLogger("game.matchmaking")

STALE_S = 5.0  # a ticket not vouched for this long belongs to a process that is gone
MATCHED_TTL_S = 60

_client = None


def shared_redis():
    """One client per process for the shared queues (the cluster's first Redis)."""
    global _client
    if _client is None:
        cfg = settings.GAME_CLUSTER
        _client = aioredis.Redis.from_url(cfg["REDIS_URL"], socket_timeout=2.0, socket_connect_timeout=2.0)
    return _client


class SharedMatchmaker(Matchmaker):
    """A game's queue across the cluster (the module's docstring says how)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.redis = shared_redis()
        base = f"{settings.GAME_CLUSTER['PREFIX']}mm:{self.game_cls.name}:"
        self.tickets_key, self.matched_key, self.lock_key = base + "tickets", base + "matched", base + "matcher"
        self.me = secrets.token_hex(8)
        self.own: dict[str, Ticket] = {}  # this process's tickets, by identity
        self.gone: set[str] = set()  # identities that left here, to delete from the hash
        self.handed: list[str] = []  # matched frames handed to sockets here, to delete

    # -- called by queue sockets (as the in-memory queue; Redis follows at the next round) ----
    def join(self, sub, *, name: str, rating: float, rd: float) -> str | None:
        if sub.identity in self.queue and sub.identity not in self.queued:  # queued on another process:
            self.queue.remove(sub.identity)  # this socket takes the ticket over
        error = super().join(sub, name=name, rating=rating, rd=rd)
        if error is None and sub.identity in self.queue:
            self.own[sub.identity] = self.queue.get(sub.identity)
            self.gone.discard(sub.identity)
        return error

    def leave(self, sub) -> bool:
        left = super().leave(sub)
        if left:
            self.own.pop(sub.identity, None)
            self.gone.add(sub.identity)
        return left

    # -- the round ---------------------------------------------------------------------------
    async def step(self, now: float) -> None:
        try:
            await self._share(now)
        except Exception as exc:  # Redis unreachable: this round matches nobody (tickets wait)
            OUTAGE.report(f"matchmaking {self.game_cls.name}", exc, log, "shared queue round failed")
            return
        self._end_round(now)

    async def _share(self, now: float) -> None:
        wall = time.time()
        pipe = self.redis.pipeline(transaction=False)
        if self.gone:
            pipe.hdel(self.tickets_key, *self.gone)
        if self.handed:
            pipe.hdel(self.matched_key, *self.handed)
        for identity, ticket in self.own.items():
            pipe.hset(self.tickets_key, identity, json.dumps(
                {"name": ticket.name, "rating": ticket.rating, "rd": ticket.rd,
                 "joined": wall - (now - ticket.joined_at), "seen": wall}))
        pipe.set(self.lock_key, self.me, nx=True, px=int(STALE_S * 1000))
        pipe.get(self.lock_key)
        asked = list(self.queued)
        if asked:
            pipe.hmget(self.matched_key, asked)
        pipe.hgetall(self.tickets_key)
        answers = await pipe.execute()
        self.gone.clear()
        self.handed = []
        everyone = answers[-1]
        if asked:
            self._deliver(asked, answers[-2])
        holder = answers[-3 if asked else -2]
        matcher = (holder.decode() if isinstance(holder, bytes) else holder) == self.me
        self.queue = self._snapshot(everyone, now, wall)
        if matcher:
            await self.redis.pexpire(self.lock_key, int(STALE_S * 1000))
            for group in self.queue.form_matches(now):
                await self._open_shared(group)

    def _snapshot(self, raw: dict, now: float, wall: float) -> MatchQueue:
        """The cluster's queue as the hash holds it (and this process's own tickets, which it
        just wrote), in this process's clock."""
        queue = MatchQueue(self.queue.policy, max_tickets=self.config["MAX_TICKETS"])
        for key, value in raw.items():
            identity = key.decode() if isinstance(key, bytes) else key
            try:
                t = json.loads(value)
                if wall - t["seen"] > STALE_S or identity in self.forming:
                    continue
                queue.add(Ticket(identity=identity, name=t["name"], rating=float(t["rating"]), rd=float(t["rd"]),
                                 joined_at=now - (wall - t["joined"])))
            except (ValueError, KeyError, TypeError):
                continue
        for identity, ticket in self.own.items():
            if identity not in queue:
                queue.add(ticket)
        return queue

    async def _open_shared(self, group: list[Ticket]) -> None:
        """As `Matchmaker._open`, for tickets of any process: the lobby runs here, each player's
        ``matched`` frame waits in Redis for the process holding their socket."""
        delivered: list[bytes] = []

        class Courier:  # stands in for the sockets of players queued elsewhere
            def __init__(self, identity: str) -> None:
                self.identity = identity

            def push(self, data: bytes) -> None:
                delivered.append((self.identity, data))

        for ticket in group:  # the parent sends frames to watched subs: give it couriers
            if ticket.identity not in self.queued:
                courier = Courier(ticket.identity)
                self.queued[ticket.identity] = courier
                self.watchers.add(courier)
        formed = self.lobbies_formed
        try:
            await self._open(group)
        finally:
            for ticket in group:
                self.own.pop(ticket.identity, None)
                self.watchers = {w for w in self.watchers if not isinstance(w, Courier)}
                if isinstance(self.queued.get(ticket.identity), Courier):
                    del self.queued[ticket.identity]
        if self.lobbies_formed == formed:  # the lobby could not be made: the tickets stay queued
            return
        if delivered:
            pipe = self.redis.pipeline(transaction=True)
            pipe.hdel(self.tickets_key, *(t.identity for t in group))
            pipe.hset(self.matched_key, mapping=dict(delivered))
            pipe.expire(self.matched_key, MATCHED_TTL_S)
            await pipe.execute()
        else:
            await self.redis.hdel(self.tickets_key, *(t.identity for t in group))

    def _deliver(self, asked: list[str], frames: list[bytes | None]) -> None:
        """Hand this process's sockets the ``matched`` frames the matcher left for them."""
        for identity, frame in zip(asked, frames, strict=True):
            if frame is None:
                continue
            self.handed.append(identity)
            sub = self.queued.pop(identity, None)
            self.queue.remove(identity)
            self.own.pop(identity, None)
            if sub is not None and sub in self.watchers:
                sub.push(frame)
                self.players_matched += 1

    def summary(self, now: float) -> dict[str, Any]:
        out = super().summary(now)
        out["shared"] = True
        return out
