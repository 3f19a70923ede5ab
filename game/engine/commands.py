"""The commands members send to their lobby: ready, chat, and the host's (start, rematch,
kick, ban, lock, unlock, transfer, settings, close), as functions of a `Lobby`.

The loop runs each queued command through `handle`, inside its tick. A command either
succeeds, adding events for everyone, or raises `CommandError` for the sender alone.
Commands from outside the lobby's members (staff, the matchmaker) are game.engine.outside's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from game.engine.errors import CommandError
from game.engine.lobby import Lobby, Member
from game.engine.outside import OUTSIDE_ID, handle_outside
from game.engine.settings import clean_lobby_settings


def handle(lobby: Lobby, member_id: int, kind: str, fields: dict[str, Any]) -> None:
    """Run one decoded command for ``member_id`` (raises CommandError)."""
    if member_id == OUTSIDE_ID:
        handle_outside(lobby, kind, fields)
        return
    member = lobby.members.get(member_id)
    if member is None:
        return  # left before its command came up
    handler, admin_only = COMMANDS[kind]
    if admin_only and not lobby.is_admin(member):
        raise CommandError("forbidden", f"only the host or staff may {kind}")
    handler(lobby, member, **fields)


def cmd_ready(lobby: Lobby, member: Member, ready: bool) -> None:
    if member.role != "player":
        raise CommandError("forbidden", "spectators cannot be ready")
    if member.ready != ready:
        member.ready = ready
        lobby.events.append({"type": "ready", "id": member.id, "ready": ready})
        lobby.changed = True


def cmd_chat(lobby: Lobby, member: Member, text: str) -> None:
    lobby.events.append({"type": "chat", "id": member.id, "name": member.name,
                         "role": member.role, "text": text})


def cmd_start(lobby: Lobby, member: Member) -> None:
    _require_phase(lobby, "waiting", "finished", action="start")
    _check_startable(lobby)
    assert lobby.on_start is not None
    lobby.on_start()


def cmd_rematch(lobby: Lobby, member: Member) -> None:
    """Play again at once with the seated players (they all just played)."""
    _require_phase(lobby, "finished", action="rematch")
    _check_enough_players(lobby)
    assert lobby.on_start is not None
    lobby.on_start()


def cmd_kick(lobby: Lobby, member: Member, target: int) -> None:
    victim = _target(lobby, target, "kick")
    if victim.id == member.id:
        raise CommandError("invalid_state", "you cannot kick yourself; leave instead")
    if victim.staff and not member.staff:
        raise CommandError("forbidden", "staff cannot be kicked by a host")
    event = {"type": "kicked", "id": victim.id, "name": victim.name, "by": member.id}
    lobby.remove(victim.id, event=event)
    lobby.evictions.append((victim, event, 4005))


def cmd_ban(lobby: Lobby, member: Member, target: int) -> None:
    victim = _target(lobby, target, "ban")
    if victim.id == member.id:
        raise CommandError("invalid_state", "you cannot ban yourself")
    if victim.staff:
        raise CommandError("forbidden", "staff cannot be banned")
    if not victim.bot:  # a banned bot is only unseated: there is nobody to keep out
        lobby.banned_identities.add(victim.identity)
    if victim.user_id is None and victim.address:
        lobby.banned_addresses.add(victim.address)  # guests have nothing better to ban
    event = {"type": "banned", "id": victim.id, "name": victim.name, "by": member.id}
    lobby.remove(victim.id, event=event)
    lobby.evictions.append((victim, event, 4006))


def cmd_lock(lobby: Lobby, member: Member) -> None:
    _set_locked(lobby, True)


def cmd_unlock(lobby: Lobby, member: Member) -> None:
    _set_locked(lobby, False)


def cmd_transfer(lobby: Lobby, member: Member, target: int) -> None:
    heir = _target(lobby, target, "make host")
    if heir.role != "player" or heir.bot:
        raise CommandError("invalid_state", "only a person holding a seat can be host")
    lobby.set_host(heir.id)


def cmd_settings(lobby: Lobby, member: Member, settings: dict[str, Any]) -> None:
    _require_phase(lobby, "waiting", "finished", action="change settings")
    changes = clean_lobby_settings(settings, game_cls=lobby.game_cls, max_players=lobby.max_players,
                                   humans=len(lobby.humans()), tick_rate_hz=lobby.tick_rate_hz,
                                   broadcast_rate=lobby.settings.get("broadcast_rate", 0))
    for key, value in changes.items():
        if key in {"name", "max_players", "private", "tick_rate_hz"}:
            setattr(lobby, key, value)
        else:
            lobby.settings[key] = value
    public_names = {"tick_rate_hz": "tick_rate"}  # the names the protocol uses
    lobby.events.append({"type": "settings", "changes": {public_names.get(k, k): v for k, v in changes.items()}})
    lobby.changed = True


def cmd_close(lobby: Lobby, member: Member) -> None:
    lobby.close("staff" if member.staff and member.id != lobby.host_id else "host")


def _require_phase(lobby: Lobby, *phases: str, action: str) -> None:
    if lobby.phase not in phases:
        raise CommandError("invalid_state", f"cannot {action} while {lobby.phase}")


def _target(lobby: Lobby, target: int, action: str) -> Member:
    member = lobby.members.get(target)
    if member is None:
        raise CommandError("not_found", f"no member {target} to {action}")
    return member


def _check_enough_players(lobby: Lobby) -> None:
    if len(lobby.humans()) + lobby.bot_seats() < lobby.game_cls.min_players:  # bots of a match just over are replaced
        raise CommandError("invalid_state",
                           f"{lobby.game_cls.title} needs at least {lobby.game_cls.min_players} players")


def _check_startable(lobby: Lobby) -> None:
    _check_enough_players(lobby)
    waiting_for = [m.name for m in lobby.humans() if not m.ready and m.id != lobby.host_id]
    if waiting_for:
        raise CommandError("invalid_state", "not ready: " + ", ".join(waiting_for))


def _set_locked(lobby: Lobby, locked: bool) -> None:
    if lobby.locked != locked:
        lobby.locked = locked
        lobby.events.append({"type": "locked", "locked": locked})
        lobby.changed = True


# kind -> (handler, host/staff only). Input and ping never reach the lobby's table.
COMMANDS: dict[str, tuple[Callable[..., None], bool]] = {
    "ready": (cmd_ready, False),
    "chat": (cmd_chat, False),
    "start": (cmd_start, True),
    "rematch": (cmd_rematch, True),
    "kick": (cmd_kick, True),
    "ban": (cmd_ban, True),
    "lock": (cmd_lock, True),
    "unlock": (cmd_unlock, True),
    "transfer": (cmd_transfer, True),
    "settings": (cmd_settings, True),
    "close": (cmd_close, True),
}
