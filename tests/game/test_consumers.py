"""The consumer over the full ASGI application (origin check, auth, routing) with
`WebsocketCommunicator`: joining, roles, inputs in binary frames, kicks, saved results."""

from __future__ import annotations

import asyncio
import time

import msgpack
import pytest

from game import limits, protocol, services
from game.engine.lobby import LobbyConfig
from game.models import Match, Result
from game.rules import get_game
from game.runtime import get_runtime
from tests.waits import ready_frame
from tests.wsclient import HOST, ORIGIN, Client

pytestmark = pytest.mark.django_db(transaction=True)


async def make_lobby(game: str = "arena", **settings) -> tuple:
    runtime = get_runtime()
    config = LobbyConfig(code=runtime.registry.new_code(), name="test", game_cls=get_game(game),
                         max_players=get_game(game).max_players, tick_rate_hz=20, settings=settings,
                         host_token="secret-token")
    loop = await runtime.create_lobby(config=config, created_by_id=None, creator_name="")
    return runtime, loop


async def join(code: str, name: str, role: str = "player", token: str | None = None) -> Client:
    query = f"role={role}&name={name}" + (f"&token={token}" if token else "")
    client = await Client(code, query).connect()
    await client.until(lambda f: f["k"] == "welcome")
    return client


async def start_match(host: Client, *others: Client) -> None:
    for other in others:
        await other.send("ready", ready=True)
    await host.until(ready_frame(1 + len(others)))  # a start before every ready is in is refused
    await host.send("start")
    await host.event("match_start")


async def test_two_players_and_a_spectator_see_the_inputs_in_binary_frames():
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    eve = await join(loop.lobby.code, "eve", role="spectator")
    assert alice.frames[0]["host"] is True and bob.frames[0]["host"] is False
    await start_match(alice, bob)
    you = alice.frames[0]["you"]
    for _ in range(10):  # one input a tick, each sent once the server took the one before
        input_seq = await alice.input({"mx": 1, "my": 0, "aim": 0, "fire": False})
        await alice.until(lambda f, n=input_seq: f["k"] in ("full", "delta")
                          and f["last_processed_input"].get(you, -1) >= n)
    input_seq = await alice.input({"mx": 0, "my": 0, "aim": 0, "fire": False})
    for client in (alice, bob, eve):
        frame = await client.until(lambda f: f["k"] in ("full", "delta")
                                   and f["last_processed_input"].get(you, -1) >= input_seq)
        assert isinstance(frame["tick"], int) and frame["time"] > 0
    common = min(c.snapshot_tick for c in (alice, bob, eve))
    positions = {c.history[common]["e"][f"p{you}"]["x"] for c in (alice, bob, eve)}
    assert len(positions) == 1  # all three reconstruct the same state from binary frames
    first_full = next(f for f in eve.frames if f["k"] == "full")
    assert first_full["s"]["e"][f"p{you}"]["x"] < positions.pop()  # alice moved right
    await asyncio.gather(alice.disconnect(), bob.disconnect(), eve.disconnect())


async def test_spectator_input_is_refused_and_the_lobby_keeps_running():
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    eve = await join(loop.lobby.code, "eve", role="spectator")
    await start_match(alice, bob)
    await eve.input({"mx": 1, "my": 0, "aim": 0, "fire": False})
    error = await eve.error()
    assert error["code"] == "forbidden" and error["ref"] == "input"
    tick = loop.tick
    await bob.until(lambda f: f["k"] in ("full", "delta") and f["tick"] > tick + 2)
    await asyncio.gather(alice.disconnect(), bob.disconnect(), eve.disconnect())


async def test_host_kicks_a_player_who_is_told_and_closed_with_4005():
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    await alice.send("kick", target=bob.frames[0]["you"])
    kicked = await bob.event("kicked")
    assert kicked["id"] == bob.frames[0]["you"]
    assert await bob.closed() == protocol.CLOSE["kicked"]
    seen = await alice.event("kicked")
    assert seen["by"] == alice.frames[0]["you"]
    await alice.disconnect()


async def test_host_commands_from_a_player_are_forbidden():
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    for kind, fields in [("kick", {"target": 1}), ("start", {}), ("close", {}), ("lock", {})]:
        await bob.send(kind, **fields)
        error = await bob.error()
        assert error["code"] == "forbidden" and error["ref"] == kind
    assert loop.lobby.phase == "waiting" and not loop.lobby.locked
    await asyncio.gather(alice.disconnect(), bob.disconnect())


async def test_finished_match_is_saved_once():
    runtime, loop = await make_lobby(time_limit_s=1)
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    await start_match(alice, bob)
    over = await alice.event("match_over", timeout=5)
    assert over["status"] == "finished" and len(over["results"]) == 2
    await runtime.flush()
    match = await Match.objects.aget()
    assert match.id.hex == over["match"] and match.status == "finished"
    assert await Result.objects.filter(match=match).acount() == 2
    # A retry of the same write (a lost reply, a second writer) changes nothing.
    record = {"match_id": over["match"], "lobby": loop.lobby.code, "game": "arena", "seed": 1,
              "status": "finished", "results": []}
    from channels.db import database_sync_to_async
    assert await database_sync_to_async(services.match_record)(record=record) is False
    assert await Match.objects.acount() == 1
    await asyncio.gather(alice.disconnect(), bob.disconnect())


async def test_bad_frames_get_documented_errors(monkeypatch):
    # One error frame per code a second: the error budget's clock is moved on, not waited for.
    skipped = [0.0]
    monkeypatch.setattr(limits, "monotonic", lambda: time.monotonic() + skipped[0])
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    cases = [
        (b"\xc1\xff\x00", "bad_frame"),
        (msgpack.packb([1, 2, 3]), "bad_frame"),
        (msgpack.packb({"v": 99, "k": "ping", "id": 1, "ct": 0}), "bad_version"),
        (msgpack.packb({"v": 2, "k": "teleport"}), "unknown_kind"),
        (msgpack.packb({"v": 2, "k": "ping", "id": "x", "ct": 0}), "bad_field"),
        (b"\x00" * 5000, "frame_too_large"),
    ]
    previous = None
    for data, code in cases:
        if code == previous:
            skipped[0] += 1.01  # one error frame per code per second
        previous = code
        await alice.send_raw(data)
        assert (await alice.error())["code"] == code
    await alice.send_raw(text="hello")
    skipped[0] += 1.01
    await alice.send_raw(text="hello")
    assert (await alice.error())["code"] == "bad_frame"
    await alice.send("ping", id=7, ct=123.5)
    pong = await alice.until(lambda f: f["k"] == "pong")
    assert pong["id"] == 7 and pong["ct"] == 123.5
    await alice.disconnect()


async def test_a_flood_of_bad_frames_closes_with_4029():
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    for _ in range(30):
        await bob.send_raw(b"\xc1")
    assert await bob.closed() == protocol.CLOSE["too_many_errors"]
    await alice.send("ping", id=1, ct=0)
    await alice.until(lambda f: f["k"] == "pong")
    await alice.disconnect()


async def test_after_the_4029_refusal_nothing_more_the_socket_sent_is_decoded(monkeypatch):
    runtime, loop = await make_lobby()
    bob = await join(loop.lobby.code, "bob")
    decoded = []
    real_decode = protocol.decode_client
    monkeypatch.setattr(protocol, "decode_client", lambda *a: decoded.append(1) or real_decode(*a))
    for _ in range(25):  # past the error budget of 20
        await bob.send_raw(b"\xc1")
    for _ in range(500):  # pipelined behind the refusal
        await bob.send("ping", id=1, ct=0)
    assert await bob.closed() == protocol.CLOSE["too_many_errors"]
    assert len(decoded) == 21  # the 21st bad frame spent the budget; none after it was read


@pytest.mark.parametrize("query, code", [
    ("v=1", 4000), ("role=admin", 4001),
])
async def test_bad_query_is_closed_with_its_code(query, code):
    runtime, loop = await make_lobby()
    client = await Client(loop.lobby.code, query).connect()
    assert await client.closed() == code


async def test_unknown_lobby_is_closed_with_4004():
    get_runtime()
    client = await Client("ZZZZZZ").connect()
    assert await client.closed() == protocol.CLOSE["lobby_not_found"]


async def test_full_lobby_refuses_a_player_with_4009():
    runtime, loop = await make_lobby("pong")
    a = await join(loop.lobby.code, "a")
    b = await join(loop.lobby.code, "b")
    c = await Client(loop.lobby.code, "name=c").connect()
    assert await c.closed() == protocol.CLOSE["lobby_full"]
    await asyncio.gather(a.disconnect(), b.disconnect())


async def test_foreign_origin_is_refused():
    from channels.testing import WebsocketCommunicator

    from gameserver.asgi import application
    runtime, loop = await make_lobby()
    comm = WebsocketCommunicator(application, f"/ws/lobby/{loop.lobby.code}/",
                                 headers=[(b"origin", b"http://evil.example"), HOST])
    connected, _ = await comm.connect()
    assert not connected


@pytest.mark.parametrize("host", [b"evil.example", b"evil.example:8000", b"127.0.0.1.evil.example",
                                  "h\u00f6st".encode("latin-1"), b"", None])
async def test_a_websocket_with_a_foreign_or_missing_host_is_refused(host):
    from channels.testing import WebsocketCommunicator

    from gameserver.asgi import application
    runtime, loop = await make_lobby()
    headers = [ORIGIN] + ([(b"host", host)] if host is not None else [])
    comm = WebsocketCommunicator(application, f"/ws/lobby/{loop.lobby.code}/", headers=headers)
    connected, _ = await comm.connect()
    assert not connected and not loop.lobby.members


async def test_any_port_of_an_allowed_host_is_accepted():
    runtime, loop = await make_lobby()
    for host in (b"localhost:1234", b"127.0.0.1", b"[::1]:8000"):
        client = Client(loop.lobby.code, "name=ann")
        client.comm.scope["headers"] = [ORIGIN, (b"host", host)]
        await client.connect()
        await client.until(lambda f: f["k"] == "welcome")
        await client.disconnect()


async def test_a_dropped_player_resumes_the_seat_with_the_welcome_token():
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    you, token = bob.frames[0]["you"], bob.frames[0]["resume"]
    await bob.disconnect()
    away = await alice.event("away")
    assert away["id"] == you
    back = await Client(loop.lobby.code, f"name=bob&resume={token}").connect()
    welcome = await back.until(lambda f: f["k"] == "welcome")
    assert welcome["you"] == you and welcome["resumed"] is True
    assert (await alice.event("back"))["id"] == you
    await asyncio.gather(alice.disconnect(), back.disconnect())


async def test_a_replaced_connection_s_late_inputs_do_not_count_for_the_seat():
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    await start_match(alice, bob)
    you, token = bob.frames[0]["you"], bob.frames[0]["resume"]
    tab = await Client(loop.lobby.code, f"name=bob&resume={token}").connect()
    await tab.until(lambda f: f["k"] == "welcome" and f["resumed"])
    assert await bob.closed() == protocol.CLOSE["replaced"]
    await bob.send("input", input_seq=1000, d={"mx": 1, "my": 0, "aim": 0, "fire": False})  # in flight
    for _ in range(3):
        await tab.input({"mx": 0, "my": 1, "aim": 0, "fire": False})
    frame = await tab.until(lambda f: f["k"] in ("full", "delta") and f["last_processed_input"].get(you, -1) >= 3)
    assert frame["last_processed_input"][you] == 3  # the old tab's input_seq 1000 was never applied
    await asyncio.gather(alice.disconnect(), tab.disconnect())
