"""The staff dashboard's websocket: ``/ws/staff/?v=1``, for staff users only.

Anyone else is closed with 4003 (``staff_only``) right after the handshake. A staff socket
receives a ``dashboard`` frame about once a second (game.dashboard.feed) and may close a
lobby or kick a member of one; those reach the lobby through its loop's command queue
(`LobbyLoop.submit_staff_command`), so the lobby tells its members as after any kick or close.
Only lobbies run by this process are seen and reached. docs/protocol.md ("Staff dashboard")
has the frames.
"""

from __future__ import annotations

import logging

from game import protocol
from game.dashboard.feed import DashboardFeed, get_feed
from game.engine.loop import LobbyLoop
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

    def _lobby(self, code: str, ref: str) -> LobbyLoop | None:
        loop = get_runtime().registry.get(code)
        if loop is None or loop.lobby.phase == "closed":
            self.refuse("not_found", f"no open lobby {code} in this process", ref)
            return None
        return loop

    def _submit(self, loop: LobbyLoop, ref: str, kind: str, fields: dict, target: int | None = None) -> None:
        if not loop.submit_staff_command(kind, fields, actor=self.actor):
            self.refuse("overloaded", protocol.ERRORS["overloaded"], ref)
            return
        log.warning("staff %s: %s lobby %s%s", self.actor, ref, loop.lobby.code,
                    f" member {target}" if target is not None else "")
        self.push(protocol.encode_done(ref=ref, code=loop.lobby.code, target=target))

    async def on_close_lobby(self, fields: dict) -> None:
        loop = self._lobby(fields["code"], "close_lobby")
        if loop is not None:
            self._submit(loop, "close_lobby", "close", {})

    async def on_kick(self, fields: dict) -> None:
        loop = self._lobby(fields["code"], "kick")
        if loop is None:
            return
        if fields["target"] not in loop.lobby.members:
            self.refuse("not_found", f"no member {fields['target']} in lobby {loop.lobby.code}", "kick")
            return
        self._submit(loop, "kick", "kick", {"target": fields["target"]}, fields["target"])
