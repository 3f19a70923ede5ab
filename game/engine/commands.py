"""The commands members send to their lobby: ready, chat, and the host's (start, rematch,
kick, ban, lock, unlock, transfer, settings, close). A mixin of `Lobby` (kept apart so that each
file holds one concern): each command either succeeds, adding events for everyone, or raises
`CommandError` for the sender alone. `Lobby.handle` looks them up in `COMMANDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from game.engine.errors import CommandError
from game.engine.settings import clean_lobby_settings

if TYPE_CHECKING:
    from game.engine.lobby import Lobby, Member


class LobbyCommands:
    def cmd_ready(self: Lobby, member: Member, ready: bool) -> None:
        if member.role != "player":
            raise CommandError("forbidden", "spectators cannot be ready")
        if member.ready != ready:
            member.ready = ready
            self.events.append({"type": "ready", "id": member.id, "ready": ready})
            self.changed = True

    def cmd_chat(self: Lobby, member: Member, text: str) -> None:
        self.events.append({"type": "chat", "id": member.id, "name": member.name,
                            "role": member.role, "text": text})

    def cmd_start(self: Lobby, member: Member) -> None:
        self._require_phase("waiting", "finished", action="start")
        self._check_startable()
        assert self.on_start is not None
        self.on_start()

    def _check_startable(self: Lobby) -> None:
        players = self.humans()  # bots of a match just over are replaced at the start
        if len(players) + self.bot_seats() < self.game_cls.min_players:
            raise CommandError("invalid_state",
                               f"{self.game_cls.title} needs at least {self.game_cls.min_players} players")
        waiting_for = [m.name for m in players if not m.ready and m.id != self.host_id]
        if waiting_for:
            raise CommandError("invalid_state", "not ready: " + ", ".join(waiting_for))

    def cmd_rematch(self: Lobby, member: Member) -> None:
        """Play again at once with the seated players (they all just played)."""
        self._require_phase("finished", action="rematch")
        if len(self.humans()) + self.bot_seats() < self.game_cls.min_players:
            raise CommandError("invalid_state",
                               f"{self.game_cls.title} needs at least {self.game_cls.min_players} players")
        assert self.on_start is not None
        self.on_start()

    def cmd_kick(self: Lobby, member: Member, target: int) -> None:
        victim = self._target(target, "kick")
        if victim.id == member.id:
            raise CommandError("invalid_state", "you cannot kick yourself; leave instead")
        if victim.staff and not member.staff:
            raise CommandError("forbidden", "staff cannot be kicked by a host")
        event = {"type": "kicked", "id": victim.id, "name": victim.name, "by": member.id}
        self.remove(victim.id, event=event)
        self.evictions.append((victim, event, 4005))

    def cmd_ban(self: Lobby, member: Member, target: int) -> None:
        victim = self._target(target, "ban")
        if victim.id == member.id:
            raise CommandError("invalid_state", "you cannot ban yourself")
        if victim.staff:
            raise CommandError("forbidden", "staff cannot be banned")
        if not victim.bot:  # a banned bot is only unseated: there is nobody to keep out
            self.banned_identities.add(victim.identity)
        if victim.user_id is None and victim.address:
            self.banned_addresses.add(victim.address)  # guests have nothing better to ban
        event = {"type": "banned", "id": victim.id, "name": victim.name, "by": member.id}
        self.remove(victim.id, event=event)
        self.evictions.append((victim, event, 4006))

    def cmd_lock(self: Lobby, member: Member) -> None:
        self._set_locked(True)

    def cmd_unlock(self: Lobby, member: Member) -> None:
        self._set_locked(False)

    def _set_locked(self: Lobby, locked: bool) -> None:
        if self.locked != locked:
            self.locked = locked
            self.events.append({"type": "locked", "locked": locked})
            self.changed = True

    def cmd_transfer(self: Lobby, member: Member, target: int) -> None:
        heir = self._target(target, "make host")
        if heir.role != "player" or heir.bot:
            raise CommandError("invalid_state", "only a person holding a seat can be host")
        self._set_host(heir.id)

    def cmd_settings(self: Lobby, member: Member, settings: dict[str, Any]) -> None:
        self._require_phase("waiting", "finished", action="change settings")
        changes = clean_lobby_settings(self, settings)
        for key, value in changes.items():
            if key in {"name", "max_players", "private", "tick_rate_hz"}:
                setattr(self, key, value)
            else:
                self.settings[key] = value
        public_names = {"tick_rate_hz": "tick_rate"}  # the names the protocol uses
        self.events.append({"type": "settings", "changes": {public_names.get(k, k): v for k, v in changes.items()}})
        self.changed = True

    def cmd_close(self: Lobby, member: Member) -> None:
        self.close("staff" if member.staff and member.id != self.host_id else "host")


# kind -> (handler, host/staff only). Input and ping never reach the lobby's table.
COMMANDS: dict[str, tuple[Callable[..., None], bool]] = {
    "ready": (LobbyCommands.cmd_ready, False),
    "chat": (LobbyCommands.cmd_chat, False),
    "start": (LobbyCommands.cmd_start, True),
    "rematch": (LobbyCommands.cmd_rematch, True),
    "kick": (LobbyCommands.cmd_kick, True),
    "ban": (LobbyCommands.cmd_ban, True),
    "lock": (LobbyCommands.cmd_lock, True),
    "unlock": (LobbyCommands.cmd_unlock, True),
    "transfer": (LobbyCommands.cmd_transfer, True),
    "settings": (LobbyCommands.cmd_settings, True),
    "close": (LobbyCommands.cmd_close, True),
}
