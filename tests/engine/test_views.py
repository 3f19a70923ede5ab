"""Per-player views (hidden information): nothing hidden from a player ever reaches that
player's socket. The bytes each connection is handed (state frames, full and delta, and the
events and errors sent to it alone) and the frames published to the whole lobby are searched
for every secret the player may not see; views are computed once per distinct view, not per
connection; spectators see the spectators' view, late with ``spectator_delay``."""

from __future__ import annotations

from typing import Any, ClassVar

from game import protocol
from game.engine.delta import apply
from game.rules.base import Game, InvalidInput, PlayerInfo, Result, player_key

from .helpers import make_loop, request
from .test_lifecycle import DT, run_ticks


def secret_of(seed: int, pid: int, n: int) -> str:
    return f"SECRET{seed:010d}x{pid:03d}x{n:04d}"


class SecretGame(Game):
    """Each player holds a secret that changes when they send an input; they see their own,
    spectators see none, everyone sees all once the match is over. An input of 9 ends it."""

    name = "secrets"
    title = "Secrets"
    min_players = 1
    max_players = 8
    default_settings: ClassVar[dict[str, Any]] = {"limit": 3}
    view_calls = 0

    def __init__(self, *, seed: int, players: list[PlayerInfo], settings: dict[str, Any]):
        super().__init__(seed=seed, players=players, settings=settings)
        self.n = {p.id: 0 for p in players}
        self.pending: list[dict] = []

    @classmethod
    def parse_input(cls, payload: Any) -> int:
        if not isinstance(payload, int):
            raise InvalidInput("an integer")
        return payload

    @classmethod
    def neutral_input(cls) -> int:
        return 0

    def secret(self, pid: int) -> str:
        return secret_of(self.seed, pid, self.n[pid])

    def apply_input(self, player: int, cleaned: int) -> None:
        if cleaned == 9:
            self.finished = True
        elif cleaned:
            self.n[player] += 1
            self.pending.append({"type": "changed", "id": player, "secret": self.secret(player)})

    def remove_player(self, player: int) -> None:
        self.n.pop(player, None)

    def step(self, dt: float) -> list[dict]:
        self.tick += 1
        events, self.pending = self.pending, []
        return events

    def _entity(self, pid: int, show: bool) -> dict:
        return {"n": str(pid), "s": self.n[pid], **({"secret": self.secret(pid)} if show else {})}

    def snapshot(self) -> dict:
        return {"g": {"tk": self.tick}, "e": {player_key(p): self._entity(p, True) for p in self.n}}

    def view(self, seat: int | None) -> dict:
        type(self).view_calls += 1
        return {"g": {"tk": self.tick},
                "e": {player_key(p): self._entity(p, self.finished or p == seat) for p in self.n}}

    def view_events(self, events: list[dict], seat: int | None) -> list[dict]:
        return [e if e["id"] == seat else {k: v for k, v in e.items() if k != "secret"} for e in events]

    def result(self) -> Result:
        ranking = sorted(self.n)
        return Result(scores=dict(self.n), ranking=ranking, winner=ranking[0], reason="score_limit")


class TurnSecrets(SecretGame):
    """The same, turn-based: nothing changes between inputs but a clock (volatile)."""

    name = "turn_secrets"
    turn_based = True
    volatile = frozenset({"tk"})


class RawConn:
    """A connection that keeps the bytes it is handed, as a socket would send them."""

    relayed = False

    def __init__(self) -> None:
        self.needs_full = True
        self.sent: list[bytes] = []
        self.closed = None

    def push_event(self, data: bytes) -> None:
        self.sent.append(data)

    def push_state(self, data: bytes, *, full: bool) -> None:
        if full:
            self.needs_full = False
        self.sent.append(data)

    def close(self, code: int) -> None:
        self.closed = code

    def frames(self) -> list[dict]:
        return [protocol.decode_server(b) for b in self.sent]

    def states(self) -> list[dict]:
        return [f for f in self.frames() if f["k"] in ("full", "delta")]


async def join_raw(loop, name, **kw):
    req, _ = request(name, **kw)
    conn = RawConn()
    req.conn = conn
    future = loop.submit_join(req)
    loop.step_tick(DT)
    return future.result(), conn


async def secret_lobby(game_cls, players=3, **settings):
    loop, clock, hooks = make_loop(game_cls=game_cls, max_players=8)
    seated = [await join_raw(loop, f"p{i}", creator=i == 0) for i in range(players)]
    watchers = [await join_raw(loop, f"w{i}", role="spectator") for i in range(2)]
    staff = await join_raw(loop, "mod", role="spectator", staff=True)
    host = seated[0][0]
    if settings:
        loop.submit_command(host.id, "settings", {"settings": settings})
    for member, _ in seated[1:]:
        loop.submit_command(member.id, "ready", {"ready": True})
    loop.submit_command(host.id, "start", {})
    run_ticks(loop, 4)
    assert loop.lobby.phase == "playing"
    return loop, hooks, seated, watchers, staff


def play_some(loop, seated, rounds=4):
    for r in range(rounds):
        for i, (member, _) in enumerate(seated):
            loop.submit_input(member, r, 1)
            run_ticks(loop, 1 + i % 2)
        run_ticks(loop, 3)


def all_secrets(loop, seated) -> dict[int, set[bytes]]:
    seed = loop.match.seed
    return {m.id: {secret_of(seed, m.id, n).encode() for n in range(10)} for m, _ in seated}


def assert_never_sees(conn: RawConn, secrets: set[bytes], who: str) -> None:
    for data in conn.sent:
        for secret in secrets:
            assert secret not in data, f"{who} was sent {secret!r}"


async def test_no_socket_gets_a_secret_of_someone_else_while_the_match_plays():
    loop, hooks, seated, watchers, staff = await secret_lobby(SecretGame)
    play_some(loop, seated)
    secrets = all_secrets(loop, seated)
    for member, conn in seated:
        others = set().union(*(s for pid, s in secrets.items() if pid != member.id))
        assert_never_sees(conn, others, member.name)
        kinds = {f["k"] for f in conn.states()}
        assert kinds == {"full", "delta"}  # both kinds were checked
        own = secret_of(loop.match.seed, member.id, 4).encode()
        assert any(own in data for data in conn.sent)  # the own secret does arrive
    everyone = set().union(*secrets.values())
    for _, conn in [*watchers, staff]:
        assert_never_sees(conn, everyone, "a spectator")
        assert conn.states()
    for frame in hooks.published:  # lobby and event frames go to every member
        assert not any(s.decode() in repr(frame) for s in everyone)


async def test_each_view_is_rebuilt_exactly_by_its_watchers_and_revealed_at_the_end():
    loop, hooks, seated, watchers, staff = await secret_lobby(SecretGame)
    play_some(loop, seated, rounds=2)
    member, conn = seated[1]
    view = None
    for frame in conn.states():
        view = frame["s"] if frame["k"] == "full" else apply(view, frame["s"])
    assert view == loop.match.game.view(member.id)
    loop.submit_input(member, 10, 9)  # ends the match: everything is shown
    run_ticks(loop, 2)
    assert loop.lobby.phase == "finished"
    last = None
    for frame in watchers[0][1].states():
        last = frame["s"] if frame["k"] == "full" else apply(last, frame["s"])
    assert all("secret" in e for e in last["e"].values())


async def test_views_are_computed_once_per_distinct_view_not_per_connection():
    loop, hooks, seated, watchers, staff = await secret_lobby(SecretGame)
    for i in range(6):  # more spectators: still one spectators' view
        await join_raw(loop, f"x{i}", role="spectator")
    SecretGame.view_calls = 0
    run_ticks(loop, 10)
    assert SecretGame.view_calls == 10 * (len(seated) + 1)


async def test_delayed_spectators_get_the_spectators_view_late():
    loop, hooks, seated, watchers, staff = await secret_lobby(SecretGame, spectator_delay=1)
    play_some(loop, seated)
    run_ticks(loop, 30)
    everyone = set().union(*all_secrets(loop, seated).values())
    live = seated[0][1].states()[-1]["tick"]
    late = watchers[0][1].states()
    assert late and late[-1]["tick"] <= live - 20
    assert staff[1].states()[-1]["tick"] == live  # staff watch live
    for _, conn in [*watchers, staff]:
        assert_never_sees(conn, everyone, "a spectator")


async def test_a_turn_based_lobby_sends_no_state_frame_while_no_view_changes():
    loop, hooks, seated, watchers, staff = await secret_lobby(TurnSecrets)
    run_ticks(loop, 3)
    counts = [len(conn.states()) for _, conn in [*seated, *watchers]]
    run_ticks(loop, 40)  # nothing happens: nothing is sent
    assert [len(conn.states()) for _, conn in [*seated, *watchers]] == counts
    member, conn = seated[1]
    loop.submit_input(member, 0, 1)
    run_ticks(loop, 1)
    after = [len(c.states()) for _, c in [*seated, *watchers]]
    assert after == [n + 1 for n in counts]  # one frame to each view: the move
    frames = conn.states()
    assert frames[-1]["k"] == "delta" and frames[-1]["base"] == frames[-2]["tick"]
    view = None
    for frame in conn.states():
        view = frame["s"] if frame["k"] == "full" else apply(view, frame["s"])
    assert view == loop.match.game.view(member.id)
    everyone = set().union(*all_secrets(loop, seated).values())
    for _, c in watchers:
        assert_never_sees(c, everyone, "a spectator")


async def test_a_newcomer_to_a_quiet_turn_based_lobby_gets_a_full_frame_and_others_stay_in_step():
    loop, hooks, seated, watchers, staff = await secret_lobby(TurnSecrets)
    run_ticks(loop, 5)
    _, late = await join_raw(loop, "newcomer", role="spectator")
    run_ticks(loop, 2)
    assert [f["k"] for f in late.states()] == ["full"]
    loop.submit_input(seated[0][0], 0, 1)
    run_ticks(loop, 1)
    for _, conn in [*watchers, ("", late)]:
        view, view_tick = None, None
        for frame in conn.states():
            assert frame["k"] == "full" or frame["base"] == view_tick
            view_tick = frame["tick"]
            view = frame["s"] if frame["k"] == "full" else apply(view, frame["s"])
        assert view == loop.match.game.view(None)


def test_a_replay_shows_the_spectators_view_while_the_match_plays_and_reveals_it_at_the_end():
    from game.engine.replay import ReplayRecorder, simulate
    from game.rules.liars_dice import LiarsDice

    players = [PlayerInfo(1, "a"), PlayerInfo(2, "b")]
    game = LiarsDice(seed=4, players=players, settings={"turn_time": 5})
    recorder = ReplayRecorder()
    recorder.start(game=LiarsDice, seed=4, settings=game.settings, players=players, tick_rate=20)
    ticks = 0
    while not game.finished:
        game.step(DT)
        ticks += 1
    frames = list(simulate(recorder.encode(ticks=ticks, result=game.result())))
    hidden = [f for f in frames[:-1] if "rv" not in f.snapshot["g"]]
    assert hidden and all("d" not in e for f in hidden for e in f.snapshot["e"].values())
    assert frames[-1].snapshot == game.snapshot() and frames[-1].result.winner == game.result().winner


async def test_bots_play_liars_dice_from_their_own_views_and_a_person_sees_only_their_own_dice():
    from game.rules.liars_dice import LiarsDice

    loop, clock, hooks = make_loop(game_cls=LiarsDice, max_players=4)
    ann, conn = await join_raw(loop, "ann", creator=True)
    loop.submit_command(ann.id, "settings", {"settings": {"bots": 2, "turn_time": 5}})
    loop.submit_command(ann.id, "start", {})
    run_ticks(loop, 4)
    assert loop.lobby.phase == "playing"
    for _ in range(20 * 60):  # a minute: the bots bid and call on their turns, ann times out
        run_ticks(loop, 1)
        if loop.lobby.phase != "playing":
            break
    kinds = [e["type"] for f in conn.states() for e in f.get("ev", [])]
    assert "bid" in kinds and "call" in kinds
    state = None
    for frame in conn.states():
        state = frame["s"] if frame["k"] == "full" else apply(state, frame["s"])
        if "rv" not in state["g"]:
            assert [eid for eid, e in state["e"].items() if "d" in e] in ([f"p{ann.id}"], [])
