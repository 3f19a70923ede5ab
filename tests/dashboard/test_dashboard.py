"""The staff dashboard: the page and its websocket feed, staff only, with close and kick."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from game import protocol
from tests.game.test_authorization import session_cookie
from tests.game.test_consumers import join, make_lobby, start_match
from tests.matchmaking.test_matchmaking_consumer import queue_socket, socket_at
from tests.wsclient import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def staff_socket(username: str = "mod") -> Client:
    cookie = await sync_to_async(session_cookie)(username, staff=True)
    return await socket_at("/ws/staff/", (b"cookie", cookie)).connect()


async def dashboard(client: Client, predicate=lambda f: True, timeout: float = 5.0) -> dict:
    return await client.until(lambda f: f["k"] == "dashboard" and predicate(f), timeout)


def lobby_in(frame: dict, code: str) -> dict | None:
    return next((lobby for lobby in frame["lobbies"] if lobby["code"] == code), None)


async def test_a_running_lobby_shows_in_the_staff_feed_with_its_figures():
    _runtime, loop = await make_lobby("arena")
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    eve = await join(loop.lobby.code, "eve", role="spectator")
    await start_match(alice, bob)
    staff = await staff_socket()
    await dashboard(staff)  # the first sample has no interval to measure rates over
    frame = await dashboard(staff, lambda f: (lobby_in(f, loop.lobby.code) or {}).get("frames_per_s", 0) > 0)
    row = lobby_in(frame, loop.lobby.code)
    assert (row["game"], row["phase"], row["players"], row["spectators"]) == ("arena", "playing", 2, 1)
    assert row["tick_rate"] == 20 and row["ticks"] > 0 and row["tick_p99_ms"] >= row["tick_p50_ms"] > 0
    assert row["overruns"] >= 0 and row["bytes_per_s"] > row["frames_per_s"]
    assert {m["name"] for m in row["members"]} == {"alice", "bob", "eve"}
    process = frame["process"]
    assert process["lobbies"] >= 1 and process["phases"]["playing"] >= 1 and process["players"] >= 2
    assert process["frames_per_s"] > 0 and process["connections"] >= 4 and process["frames_total"] > 0
    await asyncio.gather(*(c.disconnect() for c in (alice, bob, eve, staff)))


async def test_the_feed_shows_the_matchmaking_queues():
    waiting = await queue_socket("pong", "ann")
    await waiting.send("join")
    await waiting.until(lambda f: f["k"] == "queue" and f["queued"])
    staff = await staff_socket()
    frame = await dashboard(staff, lambda f: any(q["game"] == "pong" and q["waiting"] == 1 for q in f["queues"]))
    pong = next(q for q in frame["queues"] if q["game"] == "pong")
    assert pong["tickets"][0]["name"] == "ann" and pong["tickets"][0]["rating"] == 1500
    assert frame["process"]["queued"] == 1
    await asyncio.gather(waiting.disconnect(), staff.disconnect())


async def test_anonymous_and_non_staff_users_are_refused_with_4003():
    anonymous = await socket_at("/ws/staff/").connect()
    assert await anonymous.closed() == protocol.CLOSE["staff_only"]
    cookie = await sync_to_async(session_cookie)("player", staff=False)
    user = await socket_at("/ws/staff/", (b"cookie", cookie)).connect()
    assert await user.closed() == protocol.CLOSE["staff_only"]
    assert not [f for f in anonymous.frames + user.frames if f["k"] == "dashboard"]


async def test_staff_close_a_lobby_and_its_members_are_told():
    _runtime, loop = await make_lobby("arena")
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    staff = await staff_socket()
    await staff.send("close_lobby", code=loop.lobby.code.lower())
    done = await staff.until(lambda f: f["k"] == "done")
    assert (done["ref"], done["code"], done["target"]) == ("close_lobby", loop.lobby.code, None)
    assert (await alice.event("lobby_closed"))["reason"] == "staff"
    assert await alice.closed() == protocol.CLOSE["lobby_closed"]
    await staff.disconnect()


async def test_staff_kick_a_member_who_gets_the_kicked_event_and_close_code():
    _runtime, loop = await make_lobby("arena")
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    staff = await staff_socket()
    bob_id = bob.frames[0]["you"]
    await staff.send("kick", code=loop.lobby.code, target=bob_id)
    assert (await staff.until(lambda f: f["k"] == "done"))["target"] == bob_id
    kicked = await alice.event("kicked")
    assert (kicked["id"], kicked["by"]) == (bob_id, 0)
    assert await bob.closed() == protocol.CLOSE["kicked"]
    frame = await dashboard(staff, lambda f: len((lobby_in(f, loop.lobby.code) or {"members": [1, 2]})["members"]) == 1)
    assert [m["name"] for m in lobby_in(frame, loop.lobby.code)["members"]] == ["alice"]
    await asyncio.gather(alice.disconnect(), staff.disconnect())


async def test_actions_on_missing_lobbies_or_members_and_bad_frames_get_errors():
    _runtime, loop = await make_lobby("arena")
    staff = await staff_socket()
    await staff.send("close_lobby", code="NOPE99")
    assert ((await staff.error())["code"], staff.frames[-1]["ref"]) == ("not_found", "close_lobby")
    await staff.send("kick", code=loop.lobby.code, target=42)
    assert (await staff.error())["code"] == "not_found"
    await staff.send("kick", code="x", target=1)
    assert (await staff.error())["code"] == "bad_field"
    await staff.send("start", code=loop.lobby.code)  # a lobby kind is not a dashboard kind
    assert (await staff.error())["code"] == "unknown_kind"
    assert loop.lobby.phase == "waiting"
    await staff.disconnect()


def test_the_page_is_for_staff_and_sends_others_to_the_login_page():
    http = HttpClient()
    anonymous = http.get("/staff/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/?next=/staff/")
    http.force_login(get_user_model().objects.create_user("someone", password="pw-for-tests-only"))
    assert http.get("/staff/").status_code == 302
    http.force_login(get_user_model().objects.create_user("boss", password="pw-for-tests-only", is_staff=True))
    page = http.get("/staff/")
    assert page.status_code == 200 and b'data-page="staff"' in page.content
    assert b'href="/staff/"' in page.content  # the top bar links staff to their dashboard
