"""Matchmaking over the real websocket path: queue, get matched, join the lobby, play."""

from __future__ import annotations

import asyncio

import msgpack
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from game import protocol
from game.matchmaking.service import get_matchmaking
from game.models import Player, Rating
from game.runtime import get_runtime
from gameserver.asgi import application
from tests.game.test_authorization import session_cookie
from tests.waits import until
from tests.wsclient import HOST, ORIGIN, Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quick_matchmaking(settings):
    settings.GAME_MATCHMAKING = {"INTERVAL_S": 0.05, "STATUS_INTERVAL_S": 0.2, "JOIN_TIMEOUT_S": 1.0}


def socket_at(path: str, *headers: tuple[bytes, bytes]) -> Client:
    """A test client on any websocket path (wsclient.Client speaks to lobbies)."""
    client = Client("UNUSED")
    client.comm = WebsocketCommunicator(application, path, headers=[ORIGIN, HOST, *headers])
    return client


async def queue_socket(game: str = "pong", name: str = "", *headers) -> Client:
    client = await socket_at(f"/ws/queue/{game}/?name={name}", *headers).connect()
    first = await client.until(lambda f: f["k"] == "queue")
    assert first["queued"] is False and first["game"] == game
    return client


async def matched(client: Client, timeout: float = 5.0) -> dict:
    return await client.until(lambda f: f["k"] == "matched", timeout)


async def test_two_players_queue_for_pong_get_one_lobby_and_the_match_starts_by_itself():
    ann, bob = await queue_socket(name="ann"), await queue_socket(name="bob")
    await ann.send("join")
    status = await ann.until(lambda f: f["k"] == "queue" and f["queued"])
    assert (status["position"], status["rating"], status["window"]) == (1, 1500, 350)
    await bob.send("join")
    one, two = await matched(ann), await matched(bob)
    assert one["code"] == two["code"] and one["token"] != two["token"]
    assert sorted(p["name"] for p in one["players"]) == ["ann", "bob"]
    loop = get_runtime().registry.get(one["code"])
    assert loop.lobby.private and loop.lobby.matchmade and loop.lobby.max_players == 2
    stranger = await Client(one["code"], "role=player&name=eve").connect()
    assert await stranger.closed() == protocol.CLOSE["lobby_full"]  # the seats are reserved
    players = []
    for frame in (one, two):
        player = await Client(frame["code"], f"role=player&name=p&token={frame['token']}").connect()
        welcome = await player.until(lambda f: f["k"] == "welcome")
        assert welcome["host"] is False and welcome["role"] == "player"
        players.append(player)
    for player in players:
        await player.event("match_start", timeout=5)
    assert loop.lobby.phase == "playing"
    await asyncio.gather(*(c.disconnect() for c in (ann, bob, *players)))


async def test_the_queue_status_shows_position_waiting_players_and_a_window_that_widens():
    ann, bob = await queue_socket("arena", "ann"), await queue_socket("arena", "bob")
    await ann.send("join")
    first = await ann.until(lambda f: f["k"] == "queue" and f["queued"])
    seen_by_bob = await bob.until(lambda f: f["k"] == "queue" and f["waiting"] == 1)
    assert seen_by_bob["queued"] is False and seen_by_bob["position"] == 0
    later = await ann.until(lambda f: f["k"] == "queue" and f["wait_s"] >= 0.4)
    assert later["window"] > first["window"] and later["position"] == 1
    await ann.send("leave")
    assert (await ann.until(lambda f: f["k"] == "queue" and not f["queued"]))["waiting"] == 0
    await ann.send("leave")
    error = await ann.error()
    assert (error["code"], error["ref"]) == ("invalid_state", "leave")
    await asyncio.gather(ann.disconnect(), bob.disconnect())


async def test_a_stored_rating_is_used_and_guests_start_at_the_defaults():
    cookie = await sync_to_async(session_cookie)("rated", staff=False)

    def rate() -> None:
        from django.contrib.auth import get_user_model
        user = get_user_model().objects.get(username="rated")
        player = Player.objects.create(identity=f"u:{user.pk}", user=user, nickname="rated")
        Rating.objects.create(player=player, game="pong", rating=1834.4, rd=80.0)

    await sync_to_async(rate)()
    rated = await queue_socket("pong", "", (b"cookie", cookie))
    await rated.send("join")
    status = await rated.until(lambda f: f["k"] == "queue" and f["queued"])
    assert (status["rating"], status["window"]) == (1834, 100)
    await rated.disconnect()


async def test_a_player_who_never_comes_is_dropped_and_the_lobby_closes_as_no_show():
    ann, bob = await queue_socket(name="ann"), await queue_socket(name="bob")
    await ann.send("join")
    await bob.send("join")
    frame = await matched(ann)
    await matched(bob)
    player = await Client(frame["code"], f"role=player&name=ann&token={frame['token']}").connect()
    await player.until(lambda f: f["k"] == "welcome")
    closed = await player.event("lobby_closed", timeout=5)  # JOIN_TIMEOUT_S is 1 s here
    assert closed["reason"] == "no_show"
    await asyncio.gather(ann.disconnect(), bob.disconnect(), player.disconnect())


async def test_leaving_the_queue_by_closing_the_socket_frees_the_place():
    ann = await queue_socket(name="ann")
    await ann.send("join")
    await ann.until(lambda f: f["k"] == "queue" and f["queued"])
    await ann.disconnect()
    await until(lambda: len(get_matchmaking().matchmakers["pong"].queue) == 0, "the closed socket leaves the queue")


async def test_the_same_player_queuing_twice_keeps_one_place_and_the_older_socket_is_replaced():
    cookie = await sync_to_async(session_cookie)("twice", staff=False)
    first = await queue_socket("pong", "", (b"cookie", cookie))
    await first.send("join")
    await first.until(lambda f: f["k"] == "queue" and f["queued"])
    second = await queue_socket("pong", "", (b"cookie", cookie))
    await second.send("join")
    assert (await second.until(lambda f: f["k"] == "queue" and f["queued"]))["waiting"] == 1
    assert await first.closed() == protocol.CLOSE["replaced"]
    await second.disconnect()


async def test_an_unknown_game_and_a_wrong_version_are_refused_at_connect():
    assert await (await socket_at("/ws/queue/chess/").connect()).closed() == protocol.CLOSE["unknown_game"]
    assert await (await socket_at("/ws/queue/pong/?v=1").connect()).closed() == protocol.CLOSE["bad_version"]


@pytest.mark.parametrize(("data", "code"), [
    (b"\xc1", "bad_frame"),
    (msgpack.packb([1, 2]), "bad_frame"),
    (msgpack.packb({"v": 9, "k": "join"}), "bad_version"),
    (msgpack.packb({"v": 2, "k": "input", "input_seq": 1}), "unknown_kind"),  # a lobby kind, not a queue kind
    (msgpack.packb({"v": 2, "k": "ping", "id": -1, "ct": 0}), "bad_field"),
    (b"\x80" + b"\x00" * 5000, "frame_too_large"),
])
async def test_bad_frames_get_error_frames_and_the_socket_stays_open(data, code):
    client = await queue_socket()
    await client.send_raw(data)
    assert (await client.error())["code"] == code
    await client.send("ping", id=1, ct=2.5)
    pong = await client.until(lambda f: f["k"] == "pong")
    assert (pong["id"], pong["ct"]) == (1, 2.5)
    await client.disconnect()


async def test_a_text_frame_is_refused():
    client = await queue_socket()
    await client.send_raw(text="join")
    assert (await client.error())["code"] == "bad_frame"
    await client.disconnect()


async def test_a_flood_of_bad_frames_closes_the_socket_with_4029():
    client = await queue_socket()
    for _ in range(30):
        await client.send_raw(b"\xc1")
    assert await client.closed() == protocol.CLOSE["too_many_errors"]
