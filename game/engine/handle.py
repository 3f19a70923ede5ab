"""What a connection may ask of the lobby it joins, wherever that lobby runs.

A `LobbyLoop` answers for a lobby run by this process; in a cluster, a lobby run by another
process is answered for by a `game.cluster.remote.RemoteLobby`, which forwards the same calls
to its owner. A consumer holds a `LobbyHandle` and never needs to know which it has.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from game.engine.lobby import JoinRequest, Member
from game.rules.base import Game


class LobbyHandle(Protocol):
    """A lobby as a connection sees it. No call blocks; only the join is awaited."""

    @property
    def game_cls(self) -> type[Game]:
        """The lobby's game: its ``parse_input`` checks inputs before they are submitted."""

    @property
    def tick_rate_hz(self) -> int:
        """The lobby's tick rate when the connection joined (its input allowance follows it)."""

    def is_admin(self, member: Member) -> bool:
        """Whether ``member`` may send host commands (where this is unknown: True, and the
        lobby itself refuses with ``forbidden``)."""

    def submit_join(self, req: JoinRequest) -> Awaitable[Member]:
        """Ask for a seat; resolves to the `Member`, or fails with `JoinRefused`."""

    def submit_leave(self, member_id: int, conn: object = None) -> None:
        """The connection ``conn`` of ``member_id`` has ended."""

    def submit_input(self, member: Member, input_seq: int, cleaned: Any, raw: Any = None) -> str | None:
        """Queue an input checked by ``game_cls.parse_input``; an error code when refused here."""

    def submit_command(self, member_id: int, kind: str, fields: dict) -> bool:
        """Queue a lobby command; False when the lobby has no room for it (overloaded)."""
