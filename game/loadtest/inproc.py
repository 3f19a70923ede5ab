"""One lobby played in-process, with no sockets, for the benchmarks that time the server's own
work (tickbench, viewbench, logbench): hooks that do nothing, a sink that counts the frames an
`Outbox` hands it, and a lobby whose players are real `LobbyConsumer`s, seated and started.

`seat` and `start` need Django set up (the consumer and the settings' limits); the rest does not.
"""

from __future__ import annotations

from typing import Any

from game.engine.clock import FakeClock
from game.engine.lobby import Lobby, LobbyConfig
from game.engine.loop import LobbyLoop


class Hooks:
    """The loop's hooks, none of which does anything: no channel layer, no database."""

    def publish(self, code, data): pass
    def save_match(self, record): pass
    def lobby_closed(self, code): pass
    def lobby_changed(self, loop): pass
    def relay_state(self, *args, **kwargs): pass
    def lobby_abandoned(self, loop): pass


class Sink:
    """An outbox's ``send_now``: takes every frame and counts it."""

    def __init__(self) -> None:
        self.frames = 0

    def send_now(self, data: bytes) -> bool:
        self.frames += 1
        return True


async def never(*args: Any) -> None:
    raise AssertionError("the bench's send_now takes every frame")


def lobby_loop(game_cls: type, players: int, tick_rate: int, settings: dict, code: str = "BENCH") -> LobbyLoop:
    """A lobby of ``game_cls`` for ``players`` with ``settings`` over the game's defaults, its loop
    on a `FakeClock` with no countdown."""
    lobby = Lobby(LobbyConfig(code=code, name="bench", game_cls=game_cls, max_players=players,
                              tick_rate_hz=tick_rate, settings={**game_cls.default_settings, **settings}))
    return LobbyLoop(lobby, clock=FakeClock(), hooks=Hooks(), countdown_s=0.0)


def seat(loop: LobbyLoop, players: int, tick_rate: int, sink: Sink, outbox_cls: type | None = None) -> list:
    """Seat ``players`` `LobbyConsumer`s (``p0`` creates the lobby), each writing to an outbox
    whose ``send_now`` is ``sink``'s; one tick after each join."""
    from django.conf import settings

    from game.consumers import LobbyConsumer
    from game.engine.lobby import JoinRequest
    from game.engine.outbox import Outbox
    from game.limits import ErrorBudget, buckets_for

    outbox_cls = outbox_cls or Outbox
    consumers = []
    for i in range(players):
        consumer = LobbyConsumer()
        consumer.outbox = outbox_cls(never, never, send_now=sink.send_now)
        consumer.budget = ErrorBudget(settings.GAME["ERROR_BUDGET"], settings.GAME["ERROR_WINDOW_S"])
        # The bench runs faster than real time: an input bucket that never runs dry (same work).
        consumer.buckets = buckets_for(tick_rate, {**settings.GAME["RATE_LIMITS"], "input": (1e12, 1e12)})
        consumer.lobby_loop = loop
        future = loop.submit_join(JoinRequest(name=f"p{i}", role="player", identity=f"g:{i}",
                                              conn=consumer.outbox, is_creator=i == 0))
        loop.step_tick(1.0 / tick_rate)
        consumer.member = future.result()
        consumers.append(consumer)
    return consumers


def start(loop: LobbyLoop, consumers: list, tick_rate: int) -> None:
    """Every player ready, the first starts the match; one tick, and the match plays."""
    from game.engine.commands import handle as handle_command

    for consumer in consumers:
        handle_command(loop.lobby, consumer.member.id, "ready", {"ready": True})
    handle_command(loop.lobby, consumers[0].member.id, "start", {})
    loop.step_tick(1.0 / tick_rate)
    assert loop.lobby.phase == "playing", loop.lobby.phase
