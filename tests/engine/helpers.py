"""A tiny deterministic game and a fake connection, for engine tests."""

from __future__ import annotations

from typing import Any, ClassVar

from game import protocol
from game.engine.clock import FakeClock
from game.engine.lobby import JoinRequest, Lobby, LobbyConfig
from game.engine.loop import LobbyLoop
from game.rules.base import Game, InvalidInput, PlayerInfo, Result


class CounterGame(Game):
    """Each input adds to the sender's score; the first to ``limit`` wins."""

    name = "counter"
    title = "Counter"
    min_players = 1
    max_players = 4
    default_settings: ClassVar[dict[str, Any]] = {"limit": 3}

    def __init__(self, *, seed: int, players: list[PlayerInfo], settings: dict[str, Any]):
        super().__init__(seed=seed, players=players, settings=settings)
        self.scores = {p.id: 0 for p in players}
        self.events: list[dict] = []

    @classmethod
    def parse_input(cls, payload: Any) -> int:
        if not isinstance(payload, dict) or not isinstance(payload.get("add"), int):
            raise InvalidInput("add must be an integer")
        return max(0, min(1, payload["add"]))

    @classmethod
    def neutral_input(cls) -> int:
        return 0

    def apply_input(self, player: int, cleaned: int) -> None:
        self.scores[player] += cleaned
        self.events.append({"type": "scored", "id": player})

    def remove_player(self, player: int) -> None:
        self.scores.pop(player, None)

    def step(self, dt: float) -> list[dict]:
        self.tick += 1
        if any(s >= self.settings["limit"] for s in self.scores.values()) or not self.scores:
            self.finished = True
        events, self.events = self.events, []
        return events

    def snapshot(self) -> dict:
        return {"g": {"t": self.tick}, "e": {f"p{pid}": {"s": s} for pid, s in self.scores.items()}}

    def result(self) -> Result:
        ranking = sorted(self.scores, key=lambda pid: (-self.scores[pid], pid))
        top = [pid for pid in ranking if self.scores[pid] == self.scores[ranking[0]]] if ranking else []
        return Result(scores=dict(self.scores), ranking=ranking,
                      winner=top[0] if len(top) == 1 else None, reason="score_limit")


class FakeConn:
    """Collects what the loop hands a connection."""

    relayed = False

    def __init__(self) -> None:
        self.needs_full = True
        self.events: list[dict] = []
        self.states: list[dict] = []
        self.closed: int | None = None

    def push_event(self, data: bytes) -> None:
        self.events.append(protocol.decode_server(data))

    def push_state(self, data: bytes, *, full: bool) -> None:
        if full:
            self.needs_full = False
        self.states.append(protocol.decode_server(data))

    def close(self, code: int) -> None:
        self.closed = code

    def errors(self) -> list[str]:
        return [e["code"] for e in self.events if e["k"] == "error"]


class FakeHooks:
    """Records what the loop publishes and saves; `delivered` fans published frames out."""

    def __init__(self) -> None:
        self.published: list[dict] = []
        self.saved: list[dict] = []
        self.closed: list[str] = []
        self.changed = 0
        self.relayed: list[tuple] = []
        self.relayed_delayed: list[dict] = []
        self.abandoned: list = []

    def publish(self, code: str, data: bytes) -> None:
        self.published.append(protocol.decode_server(data))

    def save_match(self, record: dict) -> None:
        self.saved.append(record)

    def lobby_closed(self, code: str) -> None:
        self.closed.append(code)

    def lobby_changed(self, loop) -> None:
        self.changed += 1

    def relay_state(self, code: str, epoch: int, tick: int, delta, full, **delayed) -> None:
        self.relayed.append((code, epoch, tick, delta, full))
        self.relayed_delayed.append(delayed)

    def lobby_abandoned(self, loop) -> None:
        self.abandoned.append(loop)

    def events(self) -> list[dict]:
        return [e for frame in self.published if frame["k"] == "event" for e in frame["e"]]

    def event_types(self) -> list[str]:
        return [e["type"] for e in self.events()]


def make_loop(*, tick_rate: int = 20, max_players: int = 4, game_cls: type[Game] = CounterGame,
              **options: Any) -> tuple[LobbyLoop, FakeClock, FakeHooks]:
    clock, hooks = FakeClock(), FakeHooks()
    config = LobbyConfig(code="TEST01", name="test", game_cls=game_cls, max_players=max_players,
                         tick_rate_hz=tick_rate, creator_identity="g:creator")
    options.setdefault("countdown_s", 0.1)
    loop = LobbyLoop(Lobby(config), clock=clock, hooks=hooks, **options)
    return loop, clock, hooks


def request(name: str, *, role: str = "player", identity: str | None = None, staff: bool = False,
            creator: bool = False) -> tuple[JoinRequest, FakeConn]:
    conn = FakeConn()
    return JoinRequest(name=name, role=role, identity=identity or f"g:{name}", conn=conn,
                       address="127.0.0.1", staff=staff, is_creator=creator), conn
