"""Matchmaking in this process: one `Matchmaker` per game, started lazily.

A matchmaker owns its game's `MatchQueue` (game.matchmaking.queue) and one asyncio task,
started by the first queue socket and ended when no socket is open and nothing is pending.
Every ``INTERVAL_S`` the task:

1. forms the groups the queue allows at that moment;
2. for each group, creates a private lobby with one reserved seat per player
   (`Runtime.create_lobby`; game.engine.outside) and sends each player ``matched`` with the
   lobby's code and their seat token; the lobby starts by itself once every seat is taken;
3. tells a lobby whose players did not all come within ``JOIN_TIMEOUT_S`` to start with
   whoever came (or to close, when too few came);
4. about once a second, sends every queue socket its ``queue`` status.

In a cluster the queue is shared by every process (game.matchmaking.shared): the same rule, the
tickets in Redis, one process matching; `matchmaker_class` chooses once, from settings.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import statistics
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from game import protocol
from game.engine.clock import wall_ms
from game.engine.lobby import LobbyConfig
from game.engine.loop import LobbyLoop
from game.matchmaking.queue import MatchQueue, QueuePolicy, Ticket
from game.rules.base import Game
from game.runtime import get_runtime

log = logging.getLogger("game.matchmaking")

# settings.GAME_MATCHMAKING may override any of these; "GAMES" maps a game's name to
# QueuePolicy overrides (size, min_size, base_window, widen_per_s, max_window, fill_wait_s).
DEFAULTS: dict[str, Any] = {
    "INTERVAL_S": 0.5,
    "STATUS_INTERVAL_S": 1.0,
    "JOIN_TIMEOUT_S": 20.0,
    "MAX_TICKETS": 10_000,
    "TICK_RATE": 20,
    "GAMES": {},
}


def options() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "GAME_MATCHMAKING", {})}


class Subscriber(Protocol):
    """A queue socket, as the matchmaker sees it."""

    identity: str

    def push(self, data: bytes) -> None: ...

    def replaced(self) -> None:
        """Another socket of the same identity took this one's place in the queue."""


OpenLobby = Callable[[LobbyConfig], Awaitable[LobbyLoop]]


@dataclass
class Pending:
    """A lobby formed by matchmaking whose players have not all sat down yet."""

    loop: LobbyLoop
    deadline: float


class Matchmaker:
    """The queue of one game in this process, and the task that matches it."""

    def __init__(self, game_cls: type[Game], policy: QueuePolicy, *, open_lobby: OpenLobby,
                 new_code: Callable[[], str], clock: Callable[[], float], config: dict[str, Any]) -> None:
        self.game_cls = game_cls
        self.queue = MatchQueue(policy, max_tickets=config["MAX_TICKETS"])
        self.open_lobby = open_lobby
        self.new_code = new_code
        self.clock = clock
        self.config = config
        self.watchers: set[Subscriber] = set()  # every open queue socket of this game
        self.queued: dict[str, Subscriber] = {}  # identity -> the socket its ticket belongs to
        self.forming: set[str] = set()  # identities whose lobby is being created
        self.pending: dict[str, Pending] = {}
        self.task: asyncio.Task | None = None
        self.last_status = float("-inf")
        self.lobbies_formed = 0
        self.players_matched = 0
        self.recent_waits: deque[float] = deque(maxlen=200)

    # -- called by queue sockets ---------------------------------------------------------
    def watch(self, sub: Subscriber) -> None:
        """A queue socket opened: it gets status frames from now on."""
        self.watchers.add(sub)
        sub.push(self.status(sub, self.clock()))
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run(), name=f"matchmaker-{self.game_cls.name}")

    def unwatch(self, sub: Subscriber) -> None:
        """A queue socket closed: its ticket, if any, leaves the queue."""
        self.watchers.discard(sub)
        self.leave(sub)

    def join(self, sub: Subscriber, *, name: str, rating: float, rd: float) -> str | None:
        """Queue ``sub``'s identity; an error code (game.protocol.ERRORS) when refused. A second
        socket of a queued identity takes over the ticket and its place; the first is told."""
        identity = sub.identity
        if identity in self.forming:
            return "invalid_state"
        current = self.queued.get(identity)
        if current is not None and current is not sub:
            self.queued[identity] = sub
            current.replaced()
        elif current is None:
            if self.queue.full:
                return "queue_full"
            self.queue.add(Ticket(identity=identity, name=name, rating=rating, rd=rd, joined_at=self.clock()))
            self.queued[identity] = sub
        sub.push(self.status(sub, self.clock()))
        return None

    def leave(self, sub: Subscriber) -> bool:
        """Take ``sub``'s ticket out of the queue; False when it had none."""
        if self.queued.get(sub.identity) is not sub:
            return False
        del self.queued[sub.identity]
        self.queue.remove(sub.identity)
        return True

    def status(self, sub: Subscriber, now: float, positions: dict[str, int] | None = None) -> bytes:
        """The ``queue`` frame for ``sub``."""
        ticket = self.queue.get(sub.identity) if self.queued.get(sub.identity) is sub else None
        if ticket is None:
            return protocol.encode_queue(game=self.game_cls.name, queued=False, position=0, waiting=len(self.queue),
                                         wait_s=0.0, window=0, rating=None, time=wall_ms())
        position = (positions if positions is not None else self.queue.positions())[ticket.identity]
        return protocol.encode_queue(
            game=self.game_cls.name, queued=True, position=position, waiting=len(self.queue),
            wait_s=round(max(0.0, now - ticket.joined_at), 1), window=round(self.queue.policy.window(ticket, now)),
            rating=round(ticket.rating), time=wall_ms())

    # -- the task --------------------------------------------------------------------------
    async def run(self) -> None:
        """Match every INTERVAL_S while a socket is open or a lobby is pending."""
        while self.watchers or self.pending:
            await asyncio.sleep(self.config["INTERVAL_S"])
            try:
                await self.step(self.clock())
            except Exception:
                log.exception("matchmaker %s: a round failed", self.game_cls.name)

    async def step(self, now: float) -> None:
        """One round: form lobbies, watch pending ones, send statuses when due."""
        for group in self.queue.form_matches(now):
            await self._open(group)
        self._end_round(now)

    def _end_round(self, now: float) -> None:
        """The rest of a round, once its matches are formed: watch pending lobbies, send
        statuses when due."""
        self._watch_pending(self.clock())
        if now - self.last_status >= self.config["STATUS_INTERVAL_S"] - 1e-6:
            self.last_status = now
            positions = self.queue.positions()
            for sub in list(self.watchers):
                sub.push(self.status(sub, now, positions))

    async def _open(self, group: list[Ticket]) -> None:
        """Create the lobby of ``group`` and tell its players; requeue them when that fails."""
        subs = {t.identity: self.queued.pop(t.identity, None) for t in group}
        tokens = {t.identity: secrets.token_urlsafe(18) for t in group}
        config = LobbyConfig(code=self.new_code(), name=f"{self.game_cls.title} match", game_cls=self.game_cls,
                             max_players=len(group), private=True, tick_rate_hz=self.config["TICK_RATE"],
                             reserved_seats={tokens[t.identity]: t.identity for t in group})
        self.forming.update(subs)
        try:
            loop = await self.open_lobby(config)
        except Exception:
            log.exception("matchmaker %s: could not create a lobby; %d players requeued",
                          self.game_cls.name, len(group))
            for ticket in group:
                sub = subs[ticket.identity]
                if sub is not None and sub in self.watchers and ticket.identity not in self.queued:
                    self.queue.add(ticket)
                    self.queued[ticket.identity] = sub
            return
        finally:
            self.forming.difference_update(subs)
        now = self.clock()
        self.pending[loop.lobby.code] = Pending(loop=loop, deadline=now + self.config["JOIN_TIMEOUT_S"])
        self.lobbies_formed += 1
        self.players_matched += len(group)
        players = [{"name": t.name, "rating": round(t.rating)} for t in group]
        for ticket in group:
            self.recent_waits.append(now - ticket.joined_at)
            sub = subs[ticket.identity]
            if sub is not None and sub in self.watchers:
                sub.push(protocol.encode_matched(game=self.game_cls.name, code=loop.lobby.code,
                                                 token=tokens[ticket.identity], players=players, time=wall_ms()))
        log.info("matchmaker %s: lobby %s for %s", self.game_cls.name, loop.lobby.code,
                 ", ".join(f"{t.name} ({t.rating:.0f})" for t in group))

    def _watch_pending(self, now: float) -> None:
        """Forget lobbies that started; tell those past their deadline to start with whoever came."""
        for code, pending in list(self.pending.items()):
            started = pending.loop.lobby.phase != "waiting"
            if started or (now >= pending.deadline and pending.loop.submit_staff_command(
                    "start_reserved", {}, actor="matchmaking")):
                del self.pending[code]

    # -- for the staff dashboard --------------------------------------------------------------
    def summary(self, now: float) -> dict[str, Any]:
        tickets = self.queue.tickets()
        waits = sorted(self.recent_waits)
        return {"game": self.game_cls.name, "waiting": len(tickets), "sockets": len(self.watchers),
                "pending_lobbies": len(self.pending), "lobbies_formed": self.lobbies_formed,
                "players_matched": self.players_matched,
                "oldest_wait_s": round(now - tickets[0].joined_at, 1) if tickets else 0.0,
                "median_wait_s": round(statistics.median(waits), 1) if waits else None,
                "tickets": [{"name": t.name, "rating": round(t.rating), "wait_s": round(now - t.joined_at, 1),
                             "window": round(self.queue.policy.window(t, now))} for t in tickets[:50]]}


class Matchmaking:
    """The matchmakers of this process, one per game, bound to one event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.config = options()
        self.matchmakers: dict[str, Matchmaker] = {}

    def matchmaker(self, game_cls: type[Game]) -> Matchmaker:
        found = self.matchmakers.get(game_cls.name)
        if found is None:
            overrides = self.config["GAMES"].get(game_cls.name, {})
            policy = QueuePolicy.for_game(min_players=game_cls.min_players, max_players=game_cls.max_players,
                                          **overrides)
            found = self.matchmakers[game_cls.name] = matchmaker_class()(
                game_cls, policy, open_lobby=_create_lobby, new_code=lambda: get_runtime().registry.new_code(),
                clock=self.loop.time, config=self.config)
        return found

    def summaries(self) -> list[dict[str, Any]]:
        now = self.loop.time()
        return [m.summary(now) for m in self.matchmakers.values()]


def matchmaker_class() -> type[Matchmaker]:
    """The queue's kind, chosen once from settings as the runtime is: in this process's memory,
    or (a cluster: GAME_CLUSTER enabled) shared by every process through Redis
    (game.matchmaking.shared); ``GAME_MATCHMAKING["BACKEND"]`` may name another."""
    name = options().get("BACKEND") or ("game.matchmaking.shared.SharedMatchmaker"
                                        if settings.GAME_CLUSTER.get("ENABLED") else "")
    return import_string(name) if name else Matchmaker


async def _create_lobby(config: LobbyConfig) -> LobbyLoop:
    return await get_runtime().create_lobby(config=config, created_by_id=None, creator_name="matchmaking")


_service: Matchmaking | None = None


def get_matchmaking() -> Matchmaking:
    """The matchmaking of the running event loop (a new loop, as in tests, gets a new one)."""
    global _service
    loop = asyncio.get_running_loop()
    if _service is None or _service.loop is not loop or loop.is_closed():
        _service = Matchmaking()
    return _service
