"""What reaches a lobby from outside its members: staff on the dashboard, and the matchmaker.

A mixin of `Lobby` (kept apart to keep each file about one concern); like every lobby method,
these run inside the lobby's loop task (`LobbyLoop.submit_staff_command` queues them).

Reserved seats: a lobby formed by matchmaking (game.matchmaking) holds one seat per matched
player, keyed by a secret seat token and by the player's identity. Only those can sit down
(others may watch); the lobby has no host (nobody may kick a matched opponent); it starts
by itself once every reserved seat is taken, or at the matchmaker's deadline
(``start_reserved``) with whoever came, dropping the seats of those who did not.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from game import protocol
from game.engine.errors import CommandError
from game.engine.tokens import same_token

if TYPE_CHECKING:
    from game.engine.lobby import JoinRequest, Lobby, Member

log = logging.getLogger("game.lobby")

#: The member id of an outside actor in the loop's command queue and in events (``by``);
#: members' ids start at 1.
OUTSIDE_ID = 0


class OutsideActions:
    """Reserved seats and outside commands of a `Lobby`."""

    reserved_seats: dict[str, str]  # seat token -> identity of the matched player
    seat_holders: dict[str, int]  # seat token -> id of the member who took it
    matchmade: bool

    def _init_reserved(self: Lobby, reserved: dict[str, str]) -> None:
        self.reserved_seats = dict(reserved)
        self.seat_holders = {}
        self.matchmade = bool(reserved)

    # -- reserved seats ------------------------------------------------------------------
    def _held(self: Lobby, token: str) -> bool:
        return self.seat_holders.get(token) in self.members

    def reserved_seat(self: Lobby, req: JoinRequest) -> str | None:
        """The free reserved seat ``req`` may take: the one its token names (passed as the
        lobby's ``token``), else the one held for its identity; None when there is none."""
        free = [t for t in self.reserved_seats if not self._held(t)]
        if req.host_token:
            for token in free:
                if same_token(token, req.host_token):
                    return token
        return next((t for t in free if self.reserved_seats[t] == req.identity), None)

    def take_reserved(self: Lobby, token: str, member: Member) -> None:
        """``member`` sat down in the seat of ``token``; start once every seat is taken."""
        self.seat_holders[token] = member.id
        if self.phase == "waiting" and self.on_start is not None and all(map(self._held, self.reserved_seats)):
            self.on_start()

    # -- outside commands ----------------------------------------------------------------
    def handle_outside(self: Lobby, kind: str, fields: dict[str, Any]) -> None:
        """Run a command from outside the lobby (raises CommandError). ``fields["actor"]``
        names who acted: a staff username, or ``matchmaking``."""
        fields = dict(fields)
        actor = str(fields.pop("actor", "staff"))
        handler = OUTSIDE_COMMANDS.get(kind)
        if handler is None:
            raise CommandError("unknown_kind", f"{kind} is not an outside command")
        log.info("lobby %s: %s by %s (outside the lobby) %s", self.code, kind, actor, fields or "")
        handler(self, **fields)

    def out_kick(self: Lobby, target: int) -> None:
        """Staff remove a member (even staff, even the host): ``kicked`` with ``by`` 0."""
        victim = self.members.get(target)
        if victim is None:
            raise CommandError("not_found", f"no member {target} to kick")
        event = {"type": "kicked", "id": victim.id, "name": victim.name, "by": OUTSIDE_ID}
        self.remove(victim.id, event=event)
        self.evictions.append((victim, event, protocol.CLOSE["kicked"]))

    def out_close(self: Lobby) -> None:
        self.close("staff")

    def out_start_reserved(self: Lobby) -> None:
        """The matchmaker's deadline: drop the seats nobody took, then start with those who
        came, or close the lobby (reason ``no_show``) when too few came to play."""
        if self.phase != "waiting" or not self.matchmade:
            return
        self.reserved_seats = {t: i for t, i in self.reserved_seats.items() if self._held(t)}
        self.changed = True
        if len(self.reserved_seats) >= self.game_cls.min_players and self.on_start is not None:
            self.on_start()
        else:
            self.close("no_show")


OUTSIDE_COMMANDS = {
    "kick": OutsideActions.out_kick,
    "close": OutsideActions.out_close,
    "start_reserved": OutsideActions.out_start_reserved,
}
