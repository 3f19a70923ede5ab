"""Members on another process, in one process: a burst of a remote player's inputs (what
crossing processes makes of inputs sent one a tick) is held by the owner and fed to the loop
tick by tick, never refused as ``overloaded`` below what the member's process lets through;
and the error frames the owner sends a remote member pass through the socket's error budget."""

from __future__ import annotations

from game import protocol
from game.cluster.guests import RemoteConn
from game.cluster.remote import Relay
from game.engine.lobby import JoinRequest
from game.limits import ErrorBudget
from game.rules import get_game
from tests.engine.helpers import FakeConn, make_loop
from tests.engine.test_lifecycle import DT, join


class FakeNode:
    """What a `RemoteConn` asks of its node's mail and a `Relay` of its node's relays:
    posting, and the relays by connection."""

    def __init__(self) -> None:
        self.posted: list[list] = []
        self.conn_relay: dict = {}

    def post(self, channel: str, item: list) -> None:
        self.posted.append(item)

    def errors(self) -> list[str]:
        return [protocol.decode_server(item[2])["code"] for item in self.posted
                if item[0] == "deliver" and protocol.decode_server(item[2])["k"] == "error"]


async def playing_with_a_remote_guest():
    pong = get_game("pong")
    loop, _clock, _hooks = make_loop(game_cls=pong, max_players=2)
    host, _conn = await join(loop, "host", creator=True)
    node = FakeNode()
    remote = RemoteConn(node, "node-b", 7, loop.lobby.code)
    future = loop.submit_join(JoinRequest(name="guest", role="player", identity="g:guest", conn=remote))
    loop.step_tick(DT)
    guest = future.result()
    remote.member_id = guest.id
    loop.submit_command(guest.id, "ready", {"ready": True})
    loop.submit_command(host.id, "start", {})
    while loop.lobby.phase != "playing":
        loop.step_tick(DT)
    node.posted.clear()
    return loop, node, remote, guest


async def test_a_burst_of_remote_inputs_is_held_and_fed_tick_by_tick():
    loop, node, remote, guest = await playing_with_a_remote_guest()
    assert loop.max_pending_inputs == 8
    for input_seq in range(1, 21):  # 20 inputs in one batch: a second of them, paused in transit
        remote.take_input(loop, guest, input_seq, loop.game_cls.parse_input({"my": 1.0}))
    assert node.errors() == [] and len(remote.held) == 12
    applied = []
    while remote.held or guest.pending_inputs:
        loop.step_tick(DT)
        remote.feed(loop, guest)  # the owner feeds held inputs with each tick (Node.relay_state)
        applied.append(guest.last_processed_input)
    assert applied[:3] == [8, 16, 20] and node.errors() == []


async def test_past_what_the_members_process_lets_through_is_overloaded():
    loop, node, remote, guest = await playing_with_a_remote_guest()
    burst = max(40, 2 * loop.tick_rate_hz)  # the input bucket's burst on the member's process
    for input_seq in range(1, 8 + burst + 3):
        remote.take_input(loop, guest, input_seq, loop.game_cls.parse_input({"my": 1.0}))
    assert node.errors() == ["overloaded"] * 2 and len(remote.held) == burst


def test_the_owners_error_frames_pass_through_the_sockets_budget():
    node = FakeNode()
    relay = Relay(node, "TEST01", "node-a", 1)
    outbox = FakeConn()
    relay.add(3, outbox, ErrorBudget(budget=4, window_s=10.0))
    forbidden = protocol.encode_error(code="forbidden", msg="only the host", ref="kick")
    for _ in range(3):
        relay.deliver(3, forbidden)
    relay.deliver(3, protocol.encode_error(code="forbidden", msg="only the host", ref="lock"))
    relay.deliver(3, protocol.encode_events(tick=1, time=0, events=[{"type": "kicked"}]))
    assert [(e["k"], e.get("ref")) for e in outbox.events] == [("error", "kick"), ("error", "lock"), ("event", None)]
    assert outbox.closed is None
    relay.deliver(3, forbidden)  # the fifth counted refusal in the window: the socket is closed
    assert outbox.closed == protocol.CLOSE["too_many_errors"]
