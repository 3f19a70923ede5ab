"""What reaches a lobby from outside its members: staff on the dashboard, and the matchmaker.

Like every change to a lobby, these run inside the lobby's loop task:
`LobbyLoop.submit_staff_command` queues them under `OUTSIDE_ID`, and `game.engine.commands.handle`
hands them to `handle_outside`. The matchmaker's ``start_reserved`` is its deadline for a
matchmade lobby (reserved seats: game.engine.lobby): the lobby starts with whoever came,
dropping the seats of those who did not.
"""

from __future__ import annotations

import logging
from typing import Any

from game import protocol
from game.engine.errors import CommandError
from game.engine.lobby import Lobby

log = logging.getLogger("game.lobby")

#: The member id of an outside actor in the loop's command queue and in events (``by``);
#: members' ids start at 1.
OUTSIDE_ID = 0


def handle_outside(lobby: Lobby, kind: str, fields: dict[str, Any]) -> None:
    """Run a command from outside the lobby (raises CommandError). ``fields["actor"]``
    names who acted: a staff username, or ``matchmaking``."""
    fields = dict(fields)
    actor = str(fields.pop("actor", "staff"))
    handler = OUTSIDE_COMMANDS.get(kind)
    if handler is None:
        raise CommandError("unknown_kind", f"{kind} is not an outside command")
    log.info("lobby %s: %s by %s (outside the lobby) %s", lobby.code, kind, actor, fields or "")
    handler(lobby, **fields)


def out_kick(lobby: Lobby, target: int) -> None:
    """Staff remove a member (even staff, even the host): ``kicked`` with ``by`` 0."""
    victim = lobby.members.get(target)
    if victim is None:
        raise CommandError("not_found", f"no member {target} to kick")
    event = {"type": "kicked", "id": victim.id, "name": victim.name, "by": OUTSIDE_ID}
    lobby.remove(victim.id, event=event)
    lobby.evictions.append((victim, event, protocol.CLOSE["kicked"]))


def out_close(lobby: Lobby) -> None:
    lobby.close("staff")


def out_start_reserved(lobby: Lobby) -> None:
    """The matchmaker's deadline: drop the seats nobody took, then start with those who
    came, or close the lobby (reason ``no_show``) when too few came to play."""
    if lobby.phase != "waiting" or not lobby.matchmade:
        return
    lobby.reserved_seats = {t: i for t, i in lobby.reserved_seats.items() if lobby.seat_taken(t)}
    lobby.changed = True
    if len(lobby.reserved_seats) >= lobby.game_cls.min_players and lobby.on_start is not None:
        lobby.on_start()
    else:
        lobby.close("no_show")


OUTSIDE_COMMANDS = {
    "kick": out_kick,
    "close": out_close,
    "start_reserved": out_start_reserved,
}
