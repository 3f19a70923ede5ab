"""The matchmaking websocket: ``/ws/queue/<game>/?v=2&name=Alice``.

One `QueueConsumer` per socket. It shows the queue's status from the moment it opens, and
queues its player on ``join`` (with their rating, read from the database at each join) until
``leave``, a match, or the socket closing. docs/protocol.md ("Matchmaking") has the frames.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from game import protocol, selectors
from game.matchmaking.service import Matchmaker, get_matchmaking
from game.rules import get_game
from game.sockets import FramedConsumer


class QueueConsumer(FramedConsumer):
    """A player's socket to one game's matchmaking queue."""

    client_kinds = protocol.QUEUE_CLIENT_KINDS
    matchmaker: Matchmaker | None = None
    identity = ""

    async def connect(self) -> None:
        """Called when the socket opens: find the game, who this is, and start the status."""
        query = await self.open_framed()
        if query is None:
            return
        try:
            game_cls = get_game(str(self.scope["url_route"]["kwargs"]["game"]))
        except KeyError:
            await self.close(protocol.CLOSE["unknown_game"])
            return
        who = await self.who(query)
        self.identity, self.name = who.identity, who.name
        self.matchmaker = get_matchmaking().matchmaker(game_cls)
        self.matchmaker.watch(self)

    async def disconnect(self, code: int) -> None:
        """Called when the socket closes: its ticket leaves the queue."""
        if self.matchmaker is not None:
            self.matchmaker.unwatch(self)
        await super().disconnect(code)

    async def on_join(self, fields: dict) -> None:
        """Queue this player (again, after a match or a leave); a no-op while queued."""
        rating, rd = await database_sync_to_async(selectors.player_rating)(
            identity=self.identity, game=self.matchmaker.game_cls.name)
        error = self.matchmaker.join(self, name=self.name, rating=rating, rd=rd)
        if error:
            self.refuse(error, protocol.ERRORS[error] if error != "invalid_state"
                        else "a match was just found for you", "join")

    async def on_leave(self, fields: dict) -> None:
        if not self.matchmaker.leave(self):
            self.refuse("invalid_state", "you are not in the queue", "leave")
        self.push(self.matchmaker.status(self, self.matchmaker.clock()))

    def replaced(self) -> None:
        """The same player queued from another socket, which took this one's place."""
        if self.outbox is not None:
            self.outbox.close(protocol.CLOSE["replaced"])
