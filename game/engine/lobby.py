"""A lobby: its seats, roles, host, bans, settings and phase.

The lobby is plain state plus the membership changes every command builds on (join, remove,
host, close). Only its loop's ticks call these methods (one tick at a time, on the process's
event loop, so nothing needs a lock). The commands themselves live beside it, as functions of a lobby: its members' in
`game.engine.commands`, those from outside its members in `game.engine.outside`.

Reserved seats: a lobby formed by matchmaking (game.matchmaking) holds one seat per matched
player, keyed by a secret seat token and by the player's identity. Only those can sit down
(others may watch); the lobby has no host (nobody may kick a matched opponent); it starts
by itself once every reserved seat is taken, or at the matchmaker's deadline
(``start_reserved``, game.engine.outside) with whoever came.

Phases (docs/lobby-lifecycle.md draws the machine)::

    waiting --start--> countdown --(COUNTDOWN_S)--> playing --(game over)--> finished
       ^                                                                      |
       +----------------------------- rematch ---------------------------------+
    any phase --close / empty for EMPTY_LOBBY_TTL_S--> closed
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from game.engine.errors import JoinRefused
from game.engine.settings import effective_settings
from game.engine.tokens import new_token, same_token
from game.rules.base import Game

#: Spectators a lobby frame lists by name at most (the lobby's ``spectators`` counts them all).
LISTED_SPECTATORS = 50

RESERVED_EVENTS = frozenset({
    "joined", "left", "kicked", "banned", "host", "locked", "settings", "chat", "ready",
    "countdown", "match_start", "match_over", "lobby_closed", "away", "back",
})


class Connection(Protocol):
    """Where a member's frames go (an `Outbox` for a local websocket)."""

    needs_full: bool
    relayed: bool  # True for a member on another process (its frames are relayed in bulk)

    def push_event(self, data: bytes) -> None: ...
    def push_state(self, data: bytes, *, full: bool) -> None: ...
    def close(self, code: int) -> None: ...


class NullConnection:
    """A connection that goes nowhere: the seat of a player who dropped (while it waits for
    them) and a bot's (it reads the game directly)."""

    needs_full = False
    relayed = False

    def push_event(self, data: bytes) -> None:
        pass

    def push_state(self, data: bytes, *, full: bool) -> None:
        pass

    def close(self, code: int) -> None:
        pass


@dataclass
class JoinRequest:
    """Who is joining, as the consumer authenticated them."""

    name: str
    role: str
    identity: str  # "u:<user id>" or "g:<guest key>": what a ban remembers
    conn: Connection
    address: str | None = None
    user_id: int | None = None
    staff: bool = False
    is_creator: bool = False
    resume: str | None = None  # a token from an earlier welcome: take that seat back
    host_token: str | None = None  # the token the lobby's creation returned: claims the host seat


@dataclass
class Member:
    id: int
    name: str
    role: str
    identity: str
    conn: Connection
    address: str | None = None
    user_id: int | None = None
    staff: bool = False
    ready: bool = False
    in_match: bool = False
    last_processed_input: int = -1  # the input_seq of the last input applied this match
    pending_inputs: int = 0
    connected: bool = True
    away_for: float = 0.0  # seconds since the connection dropped, while connected is False
    resume_token: str = field(default_factory=new_token)
    bot: bool = False  # a server-side player (game.engine.bots): seated for one match, never host

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "ready": self.ready,
                "in_match": self.in_match, "staff": self.staff, "connected": self.connected,
                "bot": self.bot}


@dataclass
class LobbyConfig:
    code: str
    name: str
    game_cls: type[Game]
    max_players: int
    private: bool = False
    tick_rate_hz: int = 20
    settings: dict[str, Any] = field(default_factory=dict)
    creator_identity: str | None = None
    host_token: str | None = None
    # Matchmaking: seat token -> identity of each matched player (game.engine.outside).
    reserved_seats: dict[str, str] = field(default_factory=dict)


class Lobby:
    """Membership of one lobby; commands and match stepping live beside it."""

    def __init__(self, config: LobbyConfig) -> None:
        self.code = config.code
        self.name = config.name
        self.game_cls = config.game_cls
        self.max_players = config.max_players
        self.private = config.private
        self.tick_rate_hz = config.tick_rate_hz
        self.settings = dict(config.settings)
        self.creator_identity = config.creator_identity
        self.host_token = config.host_token
        self.phase = "waiting"
        self.locked = False
        self.host_id: int | None = None
        self.creator_seated = False
        self.members: dict[int, Member] = {}
        self.banned_identities: set[str] = set()
        self.banned_addresses: set[str] = set()
        self.events: list[dict[str, Any]] = []
        # Members removed by kick or ban: (member, event, close code), for the loop to tell.
        self.evictions: list[tuple[Member, dict[str, Any], int]] = []
        self.changed = True
        self.close_reason: str | None = None
        # The last match's match_over event: told again to whoever is welcomed while the lobby
        # is finished (a resume, a reload, a move to another process), so no player misses it.
        self.last_over: dict[str, Any] | None = None
        self.next_id = 1  # member ids are never reused within a lobby
        self.on_start: Callable[[], None] | None = None  # set by the loop
        self.reserved_seats = dict(config.reserved_seats)  # seat token -> identity of the matched player
        self.seat_holders: dict[str, int] = {}  # seat token -> id of the member who took it
        self.matchmade = bool(config.reserved_seats)

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    # -- reading -----------------------------------------------------------------
    def players(self) -> list[Member]:
        return [m for m in self.members.values() if m.role == "player"]

    def humans(self) -> list[Member]:
        """The seated players who are people: bots yield their seats to them."""
        return [m for m in self.members.values() if m.role == "player" and not m.bot]

    def bot_seats(self) -> int:
        """How many bots a start would seat now: the ``bots`` setting, within the seats
        people leave free."""
        return max(0, min(self.settings.get("bots", 0), self.max_players - len(self.humans())))

    def spectator_count(self) -> int:
        return sum(1 for m in self.members.values() if m.role == "spectator")

    def state(self) -> dict[str, Any]:
        """The lobby as clients see it (in welcome and lobby frames)."""
        settings = effective_settings(self.game_cls, self.settings)  # the defaults too, from the start
        return {**self.summary(), "host": self.host_id, "settings": settings, "members": self.listed_members()}

    def listed_members(self) -> list[dict[str, Any]]:
        """The members a lobby frame lists: every player, bot and staff member, and the first
        `LISTED_SPECTATORS` spectators to come (``spectators`` counts them all). Listing every
        spectator made each join a frame of O(spectators) bytes to O(spectators) sockets: with
        2,000 watching, 240 MB a tick while they came in."""
        listed, spectators = [], 0
        for member in self.members.values():
            if member.role == "spectator" and not member.staff:
                spectators += 1
                if spectators > LISTED_SPECTATORS:
                    continue
            listed.append(member.public())
        return listed

    def summary(self) -> dict[str, Any]:
        """The lobby as lobby lists show it."""
        humans = len(self.humans())
        return {"code": self.code, "name": self.name, "game": self.game_cls.name,
                "phase": self.phase, "players": humans, "bots": len(self.players()) - humans,
                "max_players": self.max_players, "spectators": self.spectator_count(),
                "locked": self.locked, "private": self.private, "tick_rate": self.tick_rate_hz}

    def is_admin(self, member: Member) -> bool:
        return member.staff or member.id == self.host_id

    # -- membership --------------------------------------------------------------
    def join(self, req: JoinRequest) -> Member:
        """Seat a new member or raise JoinRefused."""
        if self.phase == "closed":
            raise JoinRefused("lobby_closed")
        banned = req.identity in self.banned_identities or (
            req.address is not None and req.address in self.banned_addresses and not req.user_id)
        if banned and not req.staff:
            raise JoinRefused("banned")
        seat = self.reserved_seat(req) if req.role == "player" and self.matchmade else None
        if req.role == "player" and self.matchmade and seat is None:
            raise JoinRefused("lobby_full")  # every seat is held for a matched player
        if req.role == "player":
            if self.locked and not req.staff:
                raise JoinRefused("lobby_locked")
            if len(self.humans()) >= self.max_players:  # a bot's seat is free for a person
                raise JoinRefused("lobby_full")
        member = Member(id=self._new_id(), name=req.name, role=req.role, identity=req.identity,
                        conn=req.conn, address=req.address, user_id=req.user_id, staff=req.staff)
        self.members[member.id] = member
        self.events.append({"type": "joined", "id": member.id, "name": member.name,
                            "role": member.role})
        if member.role == "player":
            claims = self._is_creator(req) and not self.creator_seated
            if claims:
                self.creator_seated = True
            if claims or (self.host_id is None and not self.matchmade):
                self.set_host(member.id)
        self.changed = True
        if seat is not None:
            self.take_reserved(seat, member)
        return member

    def _is_creator(self, req: JoinRequest) -> bool:
        return req.is_creator or req.identity == self.creator_identity or same_token(req.host_token, self.host_token)

    def remove(self, member_id: int, *, event: dict[str, Any] | None = None) -> Member | None:
        """Take a member out (left, kicked or banned); hand the host role on if needed."""
        member = self.members.pop(member_id, None)
        if member is None:
            return None
        self.events.append(event or {"type": "left", "id": member.id, "name": member.name})
        if self.host_id == member_id:
            successor = next(iter(self.humans()), None)
            self.set_host(successor.id if successor else None)
        self.changed = True
        return member

    def add_bot(self, *, name: str, identity: str, conn: Connection) -> Member:
        """Seat a bot, ready (no ``joined`` event: the lobby frame shows it, marked ``bot``)."""
        member = Member(id=self._new_id(), name=name, role="player", identity=identity, conn=conn,
                        ready=True, bot=True)
        self.members[member.id] = member
        self.changed = True
        return member

    def remove_bots(self) -> list[Member]:
        """Unseat every bot (no ``left`` events); returns them."""
        bots = [m for m in self.members.values() if m.bot]
        for member in bots:
            del self.members[member.id]
        self.changed = self.changed or bool(bots)
        return bots

    def by_token(self, token: str) -> Member | None:
        """The member whose resume token this is (tokens are unguessable; any match is theirs)."""
        return next((m for m in self.members.values() if same_token(m.resume_token, token)), None)

    def detach(self, member: Member, conn: Connection, grace_s: float) -> None:
        """The member's connection dropped: keep the seat, score and role for ``grace_s``."""
        member.connected, member.conn, member.away_for = False, conn, 0.0
        self.events.append({"type": "away", "id": member.id, "name": member.name, "grace_s": grace_s})
        self.changed = True

    def reattach(self, member: Member, conn: Connection) -> None:
        """The member came back on a new connection (an old one still open is replaced)."""
        member.connected, member.conn, member.away_for = True, conn, 0.0
        self.events.append({"type": "back", "id": member.id, "name": member.name})
        self.changed = True

    def set_host(self, member_id: int | None) -> None:
        if self.host_id != member_id:
            self.host_id = member_id
            self.events.append({"type": "host", "id": member_id})
            self.changed = True

    # -- reserved seats ----------------------------------------------------------
    def seat_taken(self, token: str) -> bool:
        return self.seat_holders.get(token) in self.members

    def reserved_seat(self, req: JoinRequest) -> str | None:
        """The free reserved seat ``req`` may take: the one its token names (passed as the
        lobby's ``token``), else the one held for its identity; None when there is none."""
        free = [t for t in self.reserved_seats if not self.seat_taken(t)]
        if req.host_token:
            for token in free:
                if same_token(token, req.host_token):
                    return token
        return next((t for t in free if self.reserved_seats[t] == req.identity), None)

    def take_reserved(self, token: str, member: Member) -> None:
        """``member`` sat down in the seat of ``token``; start once every seat is taken."""
        self.seat_holders[token] = member.id
        if self.phase == "waiting" and self.on_start is not None and all(map(self.seat_taken, self.reserved_seats)):
            self.on_start()

    # -- closing -----------------------------------------------------------------
    def close(self, reason: str) -> None:
        """Close the lobby: everyone is told, then disconnected with lobby_closed."""
        if self.phase == "closed":
            return
        self.phase = "closed"
        self.close_reason = reason
        self.events.append({"type": "lobby_closed", "reason": reason})
        self.changed = True
