"""One game's Matchmaker without sockets or a database: a fake clock, fake subscribers, and a
fake lobby factory. The task's timing is left out: each test calls `step` itself."""

from __future__ import annotations

import asyncio

import pytest

from game import protocol
from game.matchmaking.queue import QueuePolicy
from game.matchmaking.service import DEFAULTS, Matchmaker
from game.rules import get_game


class Sub:
    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.frames: list[dict] = []
        self.was_replaced = False

    def push(self, data: bytes) -> None:
        self.frames.append(protocol.decode_server(data))

    def replaced(self) -> None:
        self.was_replaced = True

    def last(self, kind: str) -> dict:
        return next(f for f in reversed(self.frames) if f["k"] == kind)


class FakeLobby:
    def __init__(self, config) -> None:
        self.code, self.phase, self.reserved_seats = config.code, "waiting", config.reserved_seats
        self.max_players, self.private = config.max_players, config.private


class FakeLoop:
    def __init__(self, config) -> None:
        self.lobby = FakeLobby(config)
        self.staff_commands: list[tuple] = []

    def submit_staff_command(self, kind: str, fields: dict, *, actor: str) -> bool:
        self.staff_commands.append((kind, actor))
        return True


class Harness:
    def __init__(self, *, fail: int = 0) -> None:
        self.now = 100.0
        self.loops: list[FakeLoop] = []
        self.fail = fail
        codes = iter(f"CODE{n:02d}" for n in range(100))
        self.mm = Matchmaker(get_game("pong"), QueuePolicy(size=2, min_size=2), open_lobby=self.open_lobby,
                             new_code=lambda: next(codes), clock=lambda: self.now,
                             config={**DEFAULTS, "INTERVAL_S": 3600.0, "JOIN_TIMEOUT_S": 20.0})

    async def open_lobby(self, config) -> FakeLoop:
        await asyncio.sleep(0)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("this process runs all the lobbies it can")
        loop = FakeLoop(config)
        self.loops.append(loop)
        return loop

    def queue(self, *names: str, rating: float = 1500.0) -> list[Sub]:
        subs = []
        for name in names:
            sub = Sub(f"g:{name}")
            self.mm.watch(sub)
            assert self.mm.join(sub, name=name, rating=rating, rd=50.0) is None
            subs.append(sub)
        return subs

    def stop(self) -> None:
        if self.mm.task is not None:
            self.mm.task.cancel()


@pytest.fixture
def harness():
    made: list[Harness] = []

    def make(**kw) -> Harness:
        made.append(Harness(**kw))
        return made[-1]

    yield make
    for h in made:
        h.stop()


async def test_a_pair_gets_one_lobby_with_a_reserved_seat_each_and_leaves_the_queue(harness):
    h = harness()
    ann, bob = h.queue("ann", "bob")
    await h.mm.step(h.now)
    (loop,) = h.loops
    one, two = ann.last("matched"), bob.last("matched")
    assert one["code"] == two["code"] == loop.lobby.code and loop.lobby.private and loop.lobby.max_players == 2
    assert loop.lobby.reserved_seats == {one["token"]: "g:ann", two["token"]: "g:bob"}
    assert len(h.mm.queue) == 0 and not h.mm.queued
    assert h.mm.summary(h.now)["players_matched"] == 2


async def test_status_frames_show_place_waiting_and_the_widening_window(harness):
    h = harness()
    ann, = h.queue("ann")
    bob, = h.queue("bob", rating=2400.0)  # far apart: no match yet
    h.now += 4.0
    await h.mm.step(h.now)
    status = bob.last("queue")
    assert (status["queued"], status["position"], status["waiting"], status["wait_s"]) == (True, 2, 2, 4.0)
    assert status["window"] == 300 and status["rating"] == 2400
    watcher = Sub("g:eve")
    h.mm.watch(watcher)
    assert watcher.last("queue")["queued"] is False and watcher.last("queue")["waiting"] == 2


async def test_a_lobby_that_cannot_be_created_puts_its_players_back_in_their_places(harness):
    h = harness(fail=1)
    ann, bob = h.queue("ann", "bob")
    joined = h.mm.queue.get("g:ann").joined_at
    await h.mm.step(h.now)
    assert not h.loops and len(h.mm.queue) == 2 and h.mm.queue.get("g:ann").joined_at == joined
    await h.mm.step(h.now + 0.5)
    assert len(h.loops) == 1 and ann.last("matched")["code"] == bob.last("matched")["code"]


async def test_a_player_who_left_while_the_lobby_was_made_is_not_requeued(harness):
    h = harness(fail=1)
    ann, bob = h.queue("ann", "bob")
    step = asyncio.ensure_future(h.mm.step(h.now))
    await asyncio.sleep(0)  # the lobby is being created
    assert h.mm.join(ann, name="ann", rating=1500.0, rd=50.0) == "invalid_state"
    h.mm.unwatch(bob)
    await step
    assert [t.identity for t in h.mm.queue.tickets()] == ["g:ann"]


async def test_at_the_deadline_the_lobby_is_told_to_start_with_whoever_came(harness):
    h = harness()
    h.queue("ann", "bob")
    await h.mm.step(h.now)
    (loop,) = h.loops
    h.now += 19.0
    await h.mm.step(h.now)
    assert loop.staff_commands == []
    h.now += 1.0
    await h.mm.step(h.now)
    assert loop.staff_commands == [("start_reserved", "matchmaking")] and not h.mm.pending


async def test_a_lobby_that_started_is_no_longer_watched(harness):
    h = harness()
    h.queue("ann", "bob")
    await h.mm.step(h.now)
    (loop,) = h.loops
    loop.lobby.phase = "countdown"
    h.now += 30.0
    await h.mm.step(h.now)
    assert loop.staff_commands == [] and not h.mm.pending


async def test_a_second_socket_of_a_player_takes_the_ticket_over_and_the_first_is_told(harness):
    h = harness()
    first, = h.queue("ann")
    joined = h.mm.queue.get("g:ann").joined_at
    h.now += 3.0
    second = Sub("g:ann")
    h.mm.watch(second)
    assert h.mm.join(second, name="ann", rating=1500.0, rd=50.0) is None
    assert first.was_replaced and h.mm.queue.get("g:ann").joined_at == joined
    h.mm.unwatch(first)  # the replaced socket closing does not take the ticket away
    assert "g:ann" in h.mm.queue and h.mm.queued["g:ann"] is second
    assert second.last("queue")["wait_s"] == 3.0


async def test_a_full_queue_refuses_with_queue_full(harness):
    h = harness()
    h.mm.queue.max_tickets = 1
    h.queue("ann")
    late = Sub("g:late")
    assert h.mm.join(late, name="late", rating=1500.0, rd=50.0) == "queue_full"


async def test_leave_takes_the_ticket_out_once(harness):
    h = harness()
    ann, = h.queue("ann")
    assert h.mm.leave(ann) and not h.mm.leave(ann) and len(h.mm.queue) == 0
