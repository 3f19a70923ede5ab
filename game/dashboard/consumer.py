"""The staff dashboard's websocket: ``/ws/staff/?v=2``, for staff users only.

Anyone else is closed with 4003 (``staff_only``) right after the handshake. A staff socket
receives a ``dashboard`` frame about once a second (game.dashboard.feed) and may close a
lobby or kick a member of one; those reach the lobby through its loop's command queue
(`LobbyLoop.submit_staff_command`), so the lobby tells its members as after any kick or close.
In a cluster a lobby another process runs is reached the same way, through its owner
(`Runtime.locate` gives its handle; the command travels as members' commands do, and ``done``
then means "sent to its owner"). The figures are this process's lobbies. docs/protocol.md
("Staff dashboard") has the frames.
"""

from __future__ import annotations

import logging

from game import protocol
from game.dashboard.feed import DashboardFeed, get_feed
from game.engine.handle import LobbyHandle
from game.outage import Unavailable
from game.runtime import get_runtime
from game.sockets import FramedConsumer

log = logging.getLogger("game.dashboard")


class StaffConsumer(FramedConsumer):
    """A staff user's dashboard socket."""

    client_kinds = protocol.STAFF_CLIENT_KINDS
    feed: DashboardFeed | None = None
    actor = ""

    async def connect(self) -> None:
        """Called when the socket opens: staff only, then the feed starts."""
        query = await self.open_framed()
        if query is None:
            return
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
            await self.close(protocol.CLOSE["staff_only"])
            return
        self.actor = user.get_username()
        self.feed = get_feed()
        self.feed.watch(self)

    async def disconnect(self, code: int) -> None:
        if self.feed is not None:
            self.feed.unwatch(self)
        await super().disconnect(code)

    async def _lobby(self, code: str, ref: str) -> LobbyHandle | None:
        """The lobby ``code``, run here or by another process of the cluster."""
        code = str(code).upper()
        try:
            handle = await get_runtime().locate(code)
        except Unavailable:
            self.refuse("server_error", "the cluster's Redis is unreachable; try again", ref)
            return None
        lobby = getattr(handle, "lobby", None)  # (a lobby run elsewhere is known by its owner only)
        if handle is None or (lobby is not None and lobby.phase == "closed"):
            self.refuse("not_found", f"no open lobby {code}", ref)
            return None
        return handle

    def _submit(self, handle: LobbyHandle, code: str, ref: str, kind: str, fields: dict,
                target: int | None = None) -> None:
        if not handle.submit_staff_command(kind, fields, actor=self.actor):
            self.refuse("overloaded", protocol.ERRORS["overloaded"], ref)
            return
        log.warning("staff %s: %s lobby %s%s", self.actor, ref, code, f" member {target}" if target is not None else "")
        self.push(protocol.encode_done(ref=ref, code=code, target=target))

    async def on_close_lobby(self, fields: dict) -> None:
        handle = await self._lobby(fields["code"], "close_lobby")
        if handle is not None:
            self._submit(handle, str(fields["code"]).upper(), "close_lobby", "close", {})

    async def on_kick(self, fields: dict) -> None:
        handle = await self._lobby(fields["code"], "kick")
        if handle is None:
            return
        lobby = getattr(handle, "lobby", None)
        if lobby is not None and fields["target"] not in lobby.members:  # (elsewhere: its owner checks)
            self.refuse("not_found", f"no member {fields['target']} in lobby {lobby.code}", "kick")
            return
        self._submit(handle, str(fields["code"]).upper(), "kick", "kick", {"target": fields["target"]},
                     fields["target"])
