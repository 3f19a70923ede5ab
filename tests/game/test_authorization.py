"""Every host and staff command from every role, over the real websocket path."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from tests.game.test_consumers import join, make_lobby
from tests.wsclient import HOST, ORIGIN, Client

pytestmark = pytest.mark.django_db(transaction=True)

HOST_COMMANDS = [("start", {}), ("rematch", {}), ("kick", {"target": 1}), ("ban", {"target": 1}),
                 ("lock", {}), ("unlock", {}), ("transfer", {"target": 1}),
                 ("settings", {"settings": {"name": "mine now"}}), ("close", {})]


def session_cookie(username: str, *, staff: bool) -> bytes:
    user = get_user_model().objects.create_user(username, password="pw-for-tests-only", is_staff=staff)
    http = HttpClient()
    http.force_login(user)
    return f"sessionid={http.cookies['sessionid'].value}".encode()


async def logged_in(code: str, username: str, *, staff: bool, role: str = "spectator") -> Client:
    cookie = await sync_to_async(session_cookie)(username, staff=staff)
    client = Client(code, f"role={role}")
    client.comm.scope["headers"] = [ORIGIN, HOST, (b"cookie", cookie)]
    await client.connect()
    await client.until(lambda f: f["k"] == "welcome")
    return client


async def assert_all_forbidden(client: Client) -> None:
    for kind, fields in HOST_COMMANDS:
        await client.send(kind, **fields)
        error = await client.error()
        assert (error["code"], error["ref"]) == ("forbidden", kind)


@pytest.mark.parametrize("role", ["player", "spectator"])
async def test_members_who_are_not_host_may_use_no_host_command(role):
    runtime, loop = await make_lobby()
    host = await join(loop.lobby.code, "host", token="secret-token")
    member = await join(loop.lobby.code, "member", role=role)
    await assert_all_forbidden(member)
    assert loop.lobby.phase == "waiting" and loop.lobby.name == "test" and not loop.lobby.locked
    assert len(loop.lobby.members) == 2
    await asyncio.gather(host.disconnect(), member.disconnect())


async def test_another_lobbys_host_has_no_rights_here():
    runtime, loop = await make_lobby()
    _, other = await make_lobby()
    host = await join(loop.lobby.code, "host", token="secret-token")
    other_host = await join(other.lobby.code, "boss", token="secret-token")
    # The other lobby's host token is not this lobby's: a different lobby, a different secret.
    other.lobby.host_token = "other-secret"
    stranger = await join(loop.lobby.code, "boss2", token="other-secret")
    assert stranger.frames[0]["host"] is False
    await assert_all_forbidden(stranger)
    await asyncio.gather(host.disconnect(), other_host.disconnect(), stranger.disconnect())


async def test_an_anonymous_spectator_may_use_no_host_command():
    runtime, loop = await make_lobby()
    host = await join(loop.lobby.code, "host", token="secret-token")
    anonymous = await Client(loop.lobby.code, "role=spectator").connect()
    welcome = await anonymous.until(lambda f: f["k"] == "welcome")
    assert welcome["staff"] is False
    await assert_all_forbidden(anonymous)
    await asyncio.gather(host.disconnect(), anonymous.disconnect())


async def test_a_logged_in_user_who_is_not_staff_has_no_rights():
    runtime, loop = await make_lobby()
    host = await join(loop.lobby.code, "host", token="secret-token")
    user = await logged_in(loop.lobby.code, "plainuser", staff=False)
    assert user.frames[0]["staff"] is False
    await assert_all_forbidden(user)
    await asyncio.gather(host.disconnect(), user.disconnect())


async def test_staff_may_moderate_any_lobby_as_a_spectator():
    runtime, loop = await make_lobby()
    host = await join(loop.lobby.code, "host", token="secret-token")
    player = await join(loop.lobby.code, "player")
    staff = await logged_in(loop.lobby.code, "moderator", staff=True)
    assert staff.frames[0]["staff"] is True and staff.frames[0]["lobby"]["members"][-1]["name"] == "moderator"
    await staff.send("lock")
    assert (await host.event("locked"))["locked"] is True
    await staff.send("settings", settings={"name": "renamed by staff"})
    await host.event("settings")
    await staff.send("kick", target=player.frames[0]["you"])
    assert await player.closed() == 4005
    await staff.send("close")
    assert await host.closed() == 4011
    await staff.disconnect()


async def test_the_host_may_use_every_host_command():
    runtime, loop = await make_lobby()
    host = await join(loop.lobby.code, "host", token="secret-token")
    player = await join(loop.lobby.code, "player")
    for kind, fields in [("lock", {}), ("unlock", {}), ("settings", {"settings": {"name": "x"}})]:
        await host.send(kind, **fields)
    await host.event("settings")
    await host.send("transfer", target=player.frames[0]["you"])
    assert (await player.event("host"))["id"] == player.frames[0]["you"]
    assert not [f for f in host.frames if f["k"] == "error"]
    await asyncio.gather(host.disconnect(), player.disconnect())
