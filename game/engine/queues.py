"""The way into a lobby run by this process: bounded queues that connections fill, at any
time, and that the lobby's tick empties (game.engine.loop).

Each call queues its work and returns at once: nothing here blocks, awaits, or changes the
lobby, so the consumers may call it from the server's read callback. `LobbyQueues` is what
a connection sees of a local lobby (the `game.engine.handle.LobbyHandle` interface).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from game.engine.errors import JoinRefused
from game.engine.lobby import JoinRequest, Lobby, Member
from game.engine.outside import OUTSIDE_ID
from game.rules.base import Game


class LobbyQueues:
    """Joins and leaves (bounded by the connections), commands (``max_commands``) and inputs
    (``max_pending_inputs`` per player) waiting for the next tick of ``lobby``."""

    def __init__(self, lobby: Lobby, *, max_commands: int = 256, max_pending_inputs: int = 8) -> None:
        self.lobby = lobby
        self.game_cls: type[Game] = lobby.game_cls  # (a lobby's game never changes: read for every input)
        self.max_commands = max_commands
        self.max_pending_inputs = max_pending_inputs
        self.control: deque[tuple[str, Any]] = deque()  # joins and leaves, bounded by connections
        self.commands: deque[tuple[int, str, dict]] = deque()
        self.inputs: deque[tuple[int, int, Any]] = deque()

    @property
    def tick_rate_hz(self) -> int:
        return self.lobby.tick_rate_hz

    def is_admin(self, member: Member) -> bool:
        return self.lobby.is_admin(member)

    def submit_join(self, req: JoinRequest) -> asyncio.Future:
        """Queue a join; the future resolves to the Member or fails with JoinRefused."""
        future = asyncio.get_running_loop().create_future()
        if self.lobby.phase == "closed":
            future.set_exception(JoinRefused("lobby_closed"))
        else:
            self.control.append(("join", (req, future)))
        return future

    def submit_leave(self, member_id: int, conn: object = None) -> None:
        """Queue the end of a connection (``conn``: which one, as a seat may have moved on)."""
        self.control.append(("leave", (member_id, conn)))

    def submit_command(self, member_id: int, kind: str, fields: dict) -> bool:
        """Queue a lobby command; False when the lobby's command queue is full."""
        if len(self.commands) >= self.max_commands:
            return False
        self.commands.append((member_id, kind, fields))
        return True

    def submit_staff_command(self, kind: str, fields: dict, *, actor: str) -> bool:
        """Queue a command from outside the lobby's members, with staff rights: ``kick`` and
        ``close`` from the staff dashboard, ``start_reserved`` from the matchmaker
        (game.engine.outside); ``actor`` names who acted, for the log. False when the lobby's
        command queue is full."""
        if len(self.commands) >= self.max_commands:
            return False
        self.commands.append((OUTSIDE_ID, kind, {**fields, "actor": actor}))
        return True

    def submit_input(self, member: Member, input_seq: int, cleaned: Any, raw: Any = None) -> str | None:
        """Queue a cleaned input for the next tick; returns an error code when refused.
        (``raw``, the input as the client sent it, is for a lobby run elsewhere, which forwards it.)"""
        if not member.in_match or self.lobby.phase not in ("countdown", "playing"):
            return "not_in_match"
        if member.pending_inputs >= self.max_pending_inputs:
            return "overloaded"
        member.pending_inputs += 1
        self.inputs.append((member.id, input_seq, cleaned))
        return None
