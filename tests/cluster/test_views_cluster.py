"""Per-player views across processes: a Liar's Dice player whose socket reaches a process
other than the lobby's owner sees their own dice, never another player's before the cups are
lifted, and a spectator there sees none — read in the bytes each socket gets. In one process:
each process gets one message a tick holding only the views its members see (each once), and
a game without views still relays one frame per lobby."""

from __future__ import annotations

import asyncio

import msgpack
import pytest

from game import protocol
from game.cluster.guests import Guests, RemoteConn
from game.cluster.remote import Relay
from game.engine import delta as deltas
from game.engine.lobby import JoinRequest
from game.rules import get_game
from game.rules.base import Game
from tests.engine.helpers import FakeConn, FakeHooks, make_loop
from tests.engine.test_lifecycle import DT, join
from tests.engine.test_views import SecretGame, TurnSecrets

from .harness import Player

pytestmark = pytest.mark.server


# -- the bytes a socket gets -------------------------------------------------------------
class RawPlayer(Player):
    """A cluster client that also keeps every message's bytes, as they came off the socket."""

    def __init__(self, url: str, origin: str) -> None:
        super().__init__(url, origin)
        self.raw: list[bytes] = []

    def _received(self, data: bytes) -> None:
        self.raw.append(data)

    def state(self) -> dict | None:
        """The game as this socket's frames build it (None before its first full frame)."""
        state = None
        for frame in self.states():
            state = frame["s"] if frame["k"] == "full" else deltas.apply(state, frame["s"]) if state else None
        return state


def dice_seen(raw: list[bytes]) -> list[tuple[int, str, bool]]:
    """Every (tick, entity, cups lifted) whose dice these bytes show: in the state each state
    frame makes, and in what the frame itself carries. A delta must follow the frame it is
    based on (a relayed view's chain is unbroken)."""
    found, state, tick = [], None, None
    for data in raw:
        frame = protocol.decode_server(data)
        if frame["k"] not in ("full", "delta"):
            assert b'"d"' not in data and b"\xa1d" not in data  # no dice outside state frames
            continue
        if frame["k"] == "full":
            state = frame["s"]
        else:
            assert state is not None and frame["base"] == tick, "a delta off another view's chain"
            state = deltas.apply(state, frame["s"])
        tick = frame["tick"]
        lifted = "rv" in state["g"]
        shown = {eid for eid, entity in state["e"].items() if "d" in entity}
        shown |= {eid for part in ("e", "f") for eid, fields in frame["s"].get(part, {}).items() if "d" in fields}
        found += [(tick, eid, lifted) for eid in sorted(shown)]
    return found


async def seat(cluster, proc: str, code: str, query: str) -> RawPlayer:
    player = await RawPlayer(cluster.ws(proc, code, query), cluster.http(proc)).connect()
    await player.until(lambda f: f["k"] == "welcome")
    return player


def test_a_relayed_player_sees_its_own_dice_and_nobody_elses(cluster):
    for name in "AB":
        cluster.start(name)
    created = cluster.create_lobby("A", game="liars_dice", name="dice across")
    code, token = created["code"], created["host_token"]

    async def play():
        alice = await seat(cluster, "A", code, f"name=alice&token={token}")  # on the owner
        bob = await seat(cluster, "B", code, "name=bob")  # relayed
        carol = await seat(cluster, "B", code, "name=carol")  # relayed, same process as bob
        eve = await seat(cluster, "B", code, "name=eve&role=spectator")  # relayed spectator
        own = {c: f"p{c.welcome['you']}" for c in (alice, bob, carol)}
        for player in (bob, carol):
            await player.send("ready", ready=True)
        await alice.until(lambda f: f["k"] == "lobby" and sum(m["ready"] for m in f["lobby"]["members"]) >= 2)
        await alice.send("start")
        for client in (alice, bob, carol, eve):
            await client.event("match_start")

        def playing(client):
            return lambda f: (s := client.state()) is not None and "tu" in s["g"]

        for client in (alice, bob, carol, eve):
            await client.until(playing(client))
        for player in (bob, carol):  # a relayed player's own dice: its seat's view
            await player.until(lambda f, p=player: "d" in (p.state() or {"e": {}})["e"].get(own[p], {}))
        # A bid, then a call: the cups are lifted for everyone, then round 2 hides them again.
        by_id = {int(own[c][1:]): c for c in own}
        turn = alice.state()["g"]["tu"]
        await by_id[turn].send("input", input_seq=1, d={"bq": 1, "bf": 2})
        await eve.until(lambda f: (eve.state() or {"g": {}})["g"].get("bq") == 1)
        caller = by_id[eve.state()["g"]["tu"]]
        await caller.send("input", input_seq=1 if caller is not by_id[turn] else 2, d={"call": True})
        for client in (alice, bob, carol, eve):  # the reveal crosses to process B too
            await client.until(lambda f, c=client: "rv" in (c.state() or {"g": {}})["g"], timeout=15)
        for client in (bob, carol, eve):
            await client.until(lambda f, c=client: (c.state() or {"g": {}})["g"].get("rd") == 2, timeout=15)
        for player in (alice, bob, carol):
            seen = dice_seen(player.raw)
            assert [s for s in seen if s[1] != own[player] and not s[2]] == []  # nobody else's, cups down
            assert any(s[1] == own[player] and not s[2] for s in seen)  # its own, cups down
            assert any(s[1] != own[player] and s[2] for s in seen)  # the others', when lifted
            assert "d" in player.state()["e"][own[player]]  # round 2: its new dice
        seen = dice_seen(eve.raw)
        assert [s for s in seen if not s[2]] == [] and any(s[2] for s in seen)  # only at the reveal
        assert all("d" not in e for e in eve.state()["e"].values())  # round 2: hidden again
        await asyncio.gather(*(c.disconnect() for c in (alice, bob, carol, eve)))

    asyncio.run(play())


# -- in one process: which views go to which process -----------------------------------
class Mail:
    """What `Guests` and `RemoteConn` post, by destination."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, list]] = []
        self.conn_relay: dict = {}  # (as `Relays`: a `Relay` registers its connections here)
        self.states: list[tuple[str, dict]] = []

    def post(self, channel: str, item: list) -> None:
        self.posted.append((channel, item))

    def send_state(self, channel: str, message: dict) -> None:
        # through the channel layer: msgpack, as channels_redis sends it
        self.states.append((channel, msgpack.unpackb(msgpack.packb(message), raw=False)))


class ClusterHooks(FakeHooks):
    """The owner's hooks as the cluster runtime routes them: views to `Guests.relay_views`."""

    def __init__(self) -> None:
        super().__init__()
        self.guests: Guests | None = None
        self.shared = 0  # relayed frames sent to every process at once

    def relay_state(self, code, epoch, tick, delta, full, *, views=None, seats=None, **delayed) -> None:
        if views is None:
            self.shared += 1
            super().relay_state(code, epoch, tick, delta, full, **delayed)
        else:
            self.guests.relay_views(code, epoch, tick, views, seats, None)


async def seated(game: str | type[Game], remote: list[tuple[str, str, str]], spectator_delay: int = 0):
    """A lobby of ``game`` with a local host and members on other processes ((node, name, role))."""
    game_cls = get_game(game) if isinstance(game, str) else game
    loop, _clock, _hooks = make_loop(game_cls=game_cls, max_players=min(4, game_cls.max_players))
    loop.lobby.settings["spectator_delay"] = spectator_delay
    hooks = loop.hooks = ClusterHooks()
    loop.broadcaster.relay = hooks.relay_state
    if loop.views is not None:
        loop.views.relay = hooks.relay_state
    mail = Mail()
    hooks.guests = Guests(mail, ownership=None)
    host, host_conn = await join(loop, "host", creator=True)
    conns = {}
    for conn_id, (node, name, role) in enumerate(remote, start=1):
        conn = RemoteConn(mail, node, conn_id, loop.lobby.code)
        future = loop.submit_join(JoinRequest(name=name, role=role, identity=f"g:{name}", conn=conn))
        loop.step_tick(DT)
        conn.member_id = future.result().id
        conns[name] = conn
        if role == "player":
            loop.submit_command(conn.member_id, "ready", {"ready": True})
    loop.submit_command(host.id, "start", {})
    while loop.lobby.phase != "playing":
        loop.step_tick(DT)
    return loop, hooks, mail, host_conn, conns


async def test_each_process_gets_only_the_views_its_members_see():
    loop, hooks, mail, host_conn, conns = await seated("liars_dice", [
        ("node-b", "bob", "player"), ("node-b", "eve", "spectator"), ("node-c", "carol", "player")])
    for _ in range(5):
        loop.step_tick(DT)
    assert hooks.shared == 0 and mail.states
    relays = {node: Relay(Mail(), loop.lobby.code, "node-a", 0) for node in ("node-b", "node-c")}
    outboxes = {}
    for name, conn in conns.items():
        outboxes[name] = FakeConn()
        relays[conn.channel].add(conn.conn_id, outboxes[name], None)
    for node, message in mail.states:
        by_conn = dict(message["seats"])
        assert set(by_conn.values()) == set(range(len(message["views"])))  # each view once, each used
        assert set(by_conn) <= {c.conn_id for c in conns.values() if c.channel == node}
        relays[node].state(message)
    assert {len(m["views"]) for node, m in mail.states if node == "node-b"} == {2}  # bob's seat, eve's None
    assert {len(m["views"]) for node, m in mail.states if node == "node-c"} == {1}  # carol's seat
    for name in ("bob", "carol", "eve"):
        outbox, key = outboxes[name], f"p{conns[name].member_id}"
        assert outbox.states and outbox.states[0]["k"] == "full"
        for frame in outbox.states:
            for eid, entity in {**frame["s"].get("e", {}), **frame["s"].get("f", {})}.items():
                assert "d" not in entity or (name != "eve" and eid == key), (name, eid)
        if name != "eve":
            assert "d" in outbox.states[0]["s"]["e"][key]
    # node-c never got bob's view: no frame it received shows bob's dice
    bob_key = f"p{conns['bob'].member_id}"
    for node, message in mail.states:
        if node == "node-c":
            for delta, full, _base, _tick in message["views"]:
                for data in (delta, full):
                    if data is not None:
                        assert "d" not in protocol.decode_server(data)["s"].get("e", {}).get(bob_key, {})


async def test_a_relayed_spectator_of_a_delayed_lobby_gets_the_late_view():
    loop, hooks, mail, _host_conn, conns = await seated("liars_dice", [
        ("node-b", "bob", "player"), ("node-b", "eve", "spectator")], spectator_delay=1)
    delay = loop.tick_rate_hz  # ticks
    for _ in range(3 * delay):
        loop.step_tick(DT)
    relay = Relay(Mail(), loop.lobby.code, "node-a", 0)
    bob, eve = FakeConn(), FakeConn()
    relay.add(conns["bob"].conn_id, bob, None)
    relay.add(conns["eve"].conn_id, eve, None)
    sent_at = {}
    for _node, message in mail.states:
        relay.state(message)
        for frame in eve.states:
            sent_at.setdefault(frame["tick"], message["tick"])
    assert eve.states and eve.states[0]["k"] == "full" and bob.states[0]["k"] == "full"
    assert all(at - tick >= delay for tick, at in sent_at.items())  # late by the delay
    assert all("d" not in e for frame in eve.states for e in frame["s"].get("e", {}).values())
    assert "d" in bob.states[0]["s"]["e"][f"p{conns['bob'].member_id}"]  # the player: live, own dice
    assert eve.states[0]["tick"] == bob.states[0]["tick"]  # the same moment, a second later


async def test_a_view_is_computed_once_a_tick_for_local_and_relayed_watchers():
    loop, hooks, mail, _host_conn, conns = await seated(SecretGame, [
        ("node-b", "bob", "player"), ("node-b", "eve", "spectator"), ("node-c", "carl", "spectator"),
        ("node-c", "dan", "spectator")])
    loop.step_tick(DT)
    mail.states.clear()
    calls, encoded = SecretGame.view_calls, loop.views.encoded
    for _ in range(10):
        loop.step_tick(DT)
    assert SecretGame.view_calls - calls == 3 * 10  # the host's seat, bob's, and the None view
    assert loop.views.encoded - encoded == 3 * 10  # a delta each (keyframes: a full instead)
    assert len(mail.states) == 2 * 10  # a message a tick to each process
    assert {len(m["views"]) for node, m in mail.states if node == "node-b"} == {2}
    assert {len(m["views"]) for node, m in mail.states if node == "node-c"} == {1}  # one view, two members


class Owning:
    """`Guests`' view of ownership: the one loop of these tests."""

    def __init__(self, loop) -> None:
        self.loop = loop

    def owned_loop(self, code: str):
        return self.loop if code == self.loop.lobby.code else None


async def test_a_lost_relayed_frame_of_a_turn_based_view_is_noticed_and_a_full_one_asked():
    loop, hooks, mail, _host_conn, conns = await seated(TurnSecrets, [("node-b", "bob", "player")])
    hooks.guests.ownership = Owning(loop)
    host = next(m for m in loop.lobby.members.values() if m.name == "host")
    node_b = Mail()
    relay = Relay(node_b, loop.lobby.code, "node-a", 0)
    bob = FakeConn()
    relay.add(conns["bob"].conn_id, bob, None)

    def deliver(lose: bool = False) -> None:
        for _node, message in mail.states:
            if not lose:
                relay.state(message)
        mail.states.clear()

    def move(seq: int) -> None:
        assert loop.submit_input(host, seq, 1) is None
        for _ in range(2):
            loop.step_tick(DT)

    for _ in range(3):
        loop.step_tick(DT)
    deliver()
    assert [f["k"] for f in bob.states] == ["full"] and not bob.needs_full
    move(1)
    deliver(lose=True)  # the channel layer lost it (an outage: "the next keyframe covers it")
    move(2)
    deliver()  # a delta on the lost one: not handed on, a full one asked for instead
    assert [f["k"] for f in bob.states] == ["full"] and bob.needs_full
    assert node_b.posted == [("node-a", ["full", loop.lobby.code])]
    for _channel, item in node_b.posted:  # the owner's node answers it
        hooks.guests.on_full(*item[1:])
    loop.step_tick(DT)  # (nothing changed: a turn-based view goes out only because it was asked for)
    deliver()
    assert [f["k"] for f in bob.states] == ["full", "full"] and not bob.needs_full
    key = f"p{host.id}"
    assert bob.states[-1]["s"]["e"][key]["s"] == 2  # both moves: the game as it is now
    move(3)
    deliver()
    assert [f["k"] for f in bob.states] == ["full", "full", "delta"]


class OpenTurns(TurnSecrets):
    """A turn-based game without views: everyone sees everything."""

    name = "open_turns"
    view = Game.view
    view_events = Game.view_events


@pytest.mark.parametrize("game", ["pong", OpenTurns], ids=["pong", "turn-based"])
async def test_a_game_without_views_relays_one_frame_per_lobby_a_tick(game):
    loop, hooks, mail, _host_conn, conns = await seated(game, [
        ("node-b", "bob", "player"), ("node-c", "carol", "spectator")], spectator_delay=1)
    before = hooks.shared
    for _ in range(30):
        loop.step_tick(DT)
    assert hooks.shared > before  # (a turn-based game's: as the delayed spectators' frames come due)
    relayed = [tick for _code, _epoch, tick, *_ in hooks.relayed[before - hooks.shared:]]
    assert len(relayed) == len(set(relayed))  # at most one relayed frame a tick, for every process
    assert mail.states == []  # nothing sent to one process alone
    if game == "pong":
        assert len(relayed) == 30
