"""Match continuity without servers: a match rebuilt from its input log (from the seed, or from
a copy of the game) is the match that was playing, goes on to the same end, and its replay
covers the whole match; acknowledgements wait for the log; a game copy names only rules."""

from __future__ import annotations

import pickle
import random

import msgpack
import pytest

from game.cluster.continuity import _reseat_bots, install, load_game
from game.cluster.inputlog import header_of
from game.cluster.snapshot import lobby_state, restore_lobby
from game.engine.clock import FakeClock
from game.engine.loop import DETACHED, LobbyLoop
from game.engine.replay import decode, replay_result
from game.rules.arena import Arena
from game.rules.pong import Pong
from tests.engine.helpers import FakeHooks, request
from tests.engine.test_replay import DT, payload, seated


class ListTap(list):
    """What a cluster's `MatchLog` is to the recorder: every entry, with its absolute tick."""


def seen(game) -> dict:
    """A game's snapshot with every bullet placed at the current step (a bullet's entry says
    where it was when first shown, which depends on when snapshots were taken, not on play)."""
    view = game.snapshot()
    out = {"g": view["g"], "e": {}}
    for key, entity in view["e"].items():
        if key.startswith("b"):
            ahead = (view["g"]["n"] - entity["t"]) * DT
            entity = {**entity, "x": round(entity["x"] + entity["vx"] * ahead),
                      "y": round(entity["y"] + entity["vy"] * ahead), "t": None}
        out["e"][key] = entity
    return out


def assert_same_game(rebuilt, live) -> None:
    """Everything equal, but for where a bullet is drawn: a bullet's shown position is rounded
    where it was first shown, and carrying that forward from another first tick can round one
    unit the other way (seen here: y 803 against 804, everything else equal)."""
    a, b = seen(rebuilt), seen(live)
    assert a["g"] == b["g"] and a["e"].keys() == b["e"].keys()
    for key, entity in a["e"].items():
        other = b["e"][key]
        if not key.startswith("b"):
            assert entity == other, key
            continue
        assert {k: v for k, v in entity.items() if k not in "xy"} == {k: v for k, v in other.items() if k not in "xy"}
        assert abs(entity["x"] - other["x"]) <= 1 and abs(entity["y"] - other["y"]) <= 1, (key, entity, other)


def drive(loop, game_cls, rng: random.Random, ticks: int) -> None:
    for _ in range(ticks):
        for member in list(loop.lobby.members.values()):
            if member.in_match and member.connected and not member.bot:
                loop.submit_input(member, member.last_processed_input + 1,
                                  game_cls.parse_input(payload(game_cls, rng)))
        loop.step_tick(DT)


def successor(loop, tap: ListTap, *, with_copy: bool) -> LobbyLoop:
    """What a new owner makes of the lobby's last state and its input log."""
    match = loop.match
    state = msgpack.unpackb(msgpack.packb(lobby_state(loop.lobby, match.info()), use_bin_type=True), raw=False,
                            strict_map_key=False)
    header = msgpack.unpackb(msgpack.packb(header_of(match), use_bin_type=True), raw=False, strict_map_key=False)
    entries = [tuple(e) for e in msgpack.unpackb(msgpack.packb(list(tap), use_bin_type=True), raw=False)]
    lobby = restore_lobby(state, detached=DETACHED, grace_s=20)
    _reseat_bots(lobby, state, header)
    lobby.phase = "playing"
    snapshot = (match.ticks, len(entries), pickle.dumps(match.game, protocol=5)) if with_copy else None
    new = LobbyLoop(lobby, clock=FakeClock(), hooks=FakeHooks(), countdown_s=0.1)
    resumed = install(new, {"header": header, "entries": entries, "ticks": match.ticks, "snapshot": snapshot,
                            "started_ms": match.started_ms})
    assert resumed is not None
    return new


@pytest.mark.parametrize("with_copy", [False, True])
async def test_a_match_rebuilt_from_its_log_plays_on_to_the_same_end(with_copy):
    game_cls = Arena
    loop, hooks, people = await seated(game_cls, ["host", "bob", "carol"], time_limit_s=15, bots=1)
    (host, _), (bob, bob_conn), (carol, _) = people
    tap = ListTap()
    loop.match.recorder.tap = tap  # as a cluster taps it when it starts
    drive(loop, game_cls, random.Random(1), 3)  # counting down, then playing
    assert loop.lobby.phase == "playing" and any(m.bot for m in loop.lobby.members.values())
    drive(loop, game_cls, random.Random(2), 60)
    loop.submit_leave(bob.id, bob_conn)  # bob lets go of his keys
    drive(loop, game_cls, random.Random(3), 20)
    loop.submit_command(host.id, "kick", {"target": carol.id})
    drive(loop, game_cls, random.Random(4), 30)

    new = successor(loop, tap, with_copy=with_copy)
    assert new.match.id == loop.match.id and new.match.ticks == loop.match.ticks
    assert_same_game(new.match.game, loop.match.game)  # the game as it was
    assert {m.id for m in new.match.roster.values()} == {m.id for m in loop.match.roster.values()}
    assert not new.match.roster[carol.id].in_match and new.match.roster[host.id].in_match

    # Both go on with the same inputs (the bots' are the old owner's, fed to both).
    bots = [m.id for m in loop.lobby.members.values() if m.bot]
    for member_id in bots:
        new.lobby.members[member_id].in_match = True
    new.match.bots.policies.clear()  # the successor's bots would choose their own moves
    rng_inputs = random.Random(5)
    old_tap = ListTap()
    loop.match.recorder.tap = old_tap
    for _ in range(20_000):
        if hooks.saved:
            break
        for member in list(loop.lobby.members.values()):
            if member.in_match and member.connected and not member.bot:
                loop.submit_input(member, member.last_processed_input + 1,
                                  game_cls.parse_input(payload(game_cls, rng_inputs)))
        loop.step_tick(DT)
        for entry in old_tap:
            if len(entry) == 3:
                new.match.game.apply_input(entry[1], entry[2])
                new.match.recorder.input(new.match.ticks, entry[1], entry[2])
            else:
                new.match.forfeit(new.match.roster[entry[1]])
        old_tap.clear()
        new.match.play(new.inputs, DT)
    record = hooks.saved[-1]
    assert record["status"] == "finished"
    assert new.match.game.result() == loop.match.game.result()
    rebuilt = new.match.recorder.encode(ticks=new.match.ticks, result=new.match.game.result())
    assert decode(rebuilt).log == decode(record["replay"]).log  # the whole match, from tick 0
    assert replay_result(rebuilt) == replay_result(record["replay"])


async def test_pong_resumed_without_bots_matches_the_old_owner():
    loop, _hooks, people = await seated(Pong, ["alice", "bob"], score_limit=9)
    tap = ListTap()
    loop.match.recorder.tap = tap
    drive(loop, Pong, random.Random(1), 3)
    drive(loop, Pong, random.Random(2), 250)
    new = successor(loop, tap, with_copy=False)
    assert new.match.game.snapshot() == loop.match.game.snapshot()
    assert new.lobby.phase == "playing" and new.match.started_ms == loop.match.started_ms


async def test_acknowledgements_wait_for_the_log():
    loop, _hooks, people = await seated(Pong, ["alice", "bob"])
    (alice, alice_conn), _ = people
    drive(loop, Pong, random.Random(1), 3)
    match = loop.match
    match.logged = {}  # a cluster logs this match
    drive(loop, Pong, random.Random(2), 5)
    assert alice.last_processed_input >= 4
    assert match.last_processed_input()[alice.id] == -1  # applied, not logged yet
    match.logged = {alice.id: (2, alice.conn)}
    assert match.last_processed_input()[alice.id] == 2
    req, _conn = request("alice")
    req.resume = alice.resume_token
    loop.submit_join(req)
    loop.step_tick(DT)  # alice is back on a new connection: her old acks are not hers any more
    assert match.last_processed_input()[alice.id] == -1


def test_a_game_copy_may_name_only_the_rules():
    game = Pong(seed=3, players=[], settings={})
    assert load_game(pickle.dumps(game, protocol=5)).snapshot() == game.snapshot()

    class Evil:
        def __reduce__(self):
            import os
            return (os.system, ("true",))

    with pytest.raises(pickle.UnpicklingError):
        load_game(pickle.dumps(Evil()))
