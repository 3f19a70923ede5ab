"""What the loop does for a cluster: one relayed frame per tick for remote members, a lobby
state saved on each change, and ticking that stops when the lease runs out."""

from __future__ import annotations

import asyncio

from game import protocol
from game.cluster.snapshot import lobby_state, restore_lobby
from game.engine.loop import DETACHED
from game.rules import GAMES

from .helpers import CounterGame, FakeConn, make_loop, request
from .test_lifecycle import DT, run_ticks, seated_pair


class RelayedConn(FakeConn):
    relayed = True


async def test_remote_members_get_one_relayed_frame_per_tick_and_a_full_one_when_new():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    req, _ = request("carol", role="spectator")
    req.conn = RelayedConn()
    loop.submit_join(req)
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    run_ticks(loop, 6)
    assert req.conn.states == []  # never one by one
    relayed = hooks.relayed
    assert [tick for _, _, tick, _, _ in relayed] == sorted({tick for _, _, tick, _, _ in relayed})
    first = relayed[0]
    assert first[4] is not None and protocol.decode_server(first[4])["k"] == "full"  # new member: a full frame
    later = relayed[-1]
    assert later[3] is not None and later[4] is None  # then deltas only
    loop.broadcaster.relay_full_wanted = True  # another process asked for a full frame
    loop.step_tick(DT)
    assert hooks.relayed[-1][4] is not None and hooks.relayed[-1][3] is not None


async def test_no_relay_without_remote_members_and_state_saved_on_changes():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    changes = hooks.changed
    assert changes >= 2
    loop.submit_command(alice.id, "lock", {})
    loop.step_tick(DT)
    assert hooks.changed == changes + 1
    run_ticks(loop, 5)
    assert hooks.relayed == [] and hooks.changed == changes + 1


async def test_the_loop_stops_ticking_once_its_lease_deadline_passes():
    loop, clock, hooks = make_loop()
    loop.lease_deadline = clock.now() + 0.5
    task = loop.start()
    await clock.advance(0.45)
    ticks = loop.tick
    assert ticks > 0 and loop.abandoned is None
    await clock.advance(0.2)
    await asyncio.wait_for(task, 1)
    assert loop.abandoned == "lease_expired" and hooks.abandoned == [loop]
    assert hooks.closed == []  # the lobby lives on elsewhere: not closed here
    assert loop.tick <= ticks + 2


async def test_an_abandoned_match_is_recorded_aborted_and_the_state_round_trips(monkeypatch):
    monkeypatch.setitem(GAMES, "counter", CounterGame)
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    run_ticks(loop, 6)
    assert loop.lobby.phase == "playing"
    state = lobby_state(loop.lobby, loop.match_info())
    assert state["match"]["id"] == loop.match.id and state["match"]["started_ms"]
    loop.epoch = 7
    loop.abandon("handover")
    loop._finish_loop()
    assert hooks.saved[-1]["status"] == "aborted" and hooks.saved[-1]["reason"] == "handover"
    assert hooks.saved[-1]["epoch"] == 7
    restored = restore_lobby(state, detached=DETACHED, grace_s=20)
    assert restored.phase == "finished" and restored.host_id == alice.id
    assert {m.id: m.resume_token for m in restored.members.values()} == {alice.id: alice.resume_token,
                                                                       bob.id: bob.resume_token}
    assert all(not m.connected and m.conn is DETACHED for m in restored.members.values())
    assert restored.next_id == loop.lobby.next_id


async def test_a_matchmade_lobby_keeps_its_reserved_seats_when_restored(monkeypatch):
    monkeypatch.setitem(GAMES, "counter", CounterGame)
    loop, clock, hooks = make_loop()
    loop.lobby.reserved_seats = {"seat-a": "g:alice", "seat-b": "g:bob"}
    loop.lobby.matchmade = True
    req, _ = request("alice")
    loop.submit_join(req)
    loop.step_tick(DT)
    state = lobby_state(loop.lobby, None)
    restored = restore_lobby(state, detached=DETACHED, grace_s=20)
    assert restored.matchmade and restored.reserved_seats == {"seat-a": "g:alice", "seat-b": "g:bob"}
    assert restored.seat_holders == loop.lobby.seat_holders and len(restored.seat_holders) == 1

