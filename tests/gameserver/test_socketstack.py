"""The websocket stack of gameserver.asgi (game/middleware.py `SocketStack`): Channels' checks,
session, user and routing in one layer, and the consumer gets the server's one scope."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django.urls import re_path

from game.middleware import SocketStack

pytestmark = pytest.mark.django_db(transaction=True)

HOST, ORIGIN = (b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")


def recording_stack() -> tuple[SocketStack, list[dict]]:
    seen: list[dict] = []

    async def consumer(scope, receive, send):
        seen.append(scope)
        await receive()
        await send({"type": "websocket.accept"})
        await receive()

    return SocketStack([re_path(r"^ws/a/(?P<n>[0-9]+)/$", consumer, {"extra": 1})]), seen


async def open_with(stack: SocketStack, path: str, headers: list) -> tuple[bool, WebsocketCommunicator]:
    comm = WebsocketCommunicator(stack, path, headers=headers)
    connected, _ = await comm.connect(timeout=5)
    return connected, comm


async def test_the_consumer_gets_the_servers_scope_with_route_session_and_user_added():
    stack, seen = recording_stack()
    connected, comm = await open_with(stack, "/ws/a/42/?x=1", [HOST, ORIGIN])
    assert connected
    scope = seen[0]
    assert scope is comm.scope  # added to, not copied: one scope for the connection's life
    assert scope["url_route"] == {"args": (), "kwargs": {"n": "42", "extra": 1}} and scope["path_remaining"] == ""
    assert not scope["user"].is_authenticated and scope["session"].session_key is None
    assert scope["headers"] == []  # read here; none the game reads later was sent
    await comm.disconnect()


async def test_the_scope_keeps_the_forwarded_address_for_the_consumers_limits(settings):
    settings.GAME = {**settings.GAME, "TRUSTED_PROXIES": ["127.0.0.1/32"]}
    from game.limits import client_address

    stack, seen = recording_stack()
    forwarded = (b"x-forwarded-for", b"203.0.113.9")
    comm = WebsocketCommunicator(stack, "/ws/a/1/", headers=[HOST, ORIGIN, (b"user-agent", b"x"), forwarded])
    comm.scope["client"] = ["127.0.0.1", 5000]
    connected, _ = await comm.connect(timeout=5)
    assert connected and seen[0]["headers"] == [forwarded]
    assert client_address(seen[0]) == "203.0.113.9"
    await comm.disconnect()


def _login(username: str) -> tuple[int, str]:
    user = get_user_model().objects.create_user(username, password="pw-for-tests-only", is_staff=True)
    http = HttpClient()
    http.force_login(user)
    return user.pk, http.cookies["sessionid"].value


async def test_a_session_cookie_gives_the_logged_in_user_and_its_session():
    pk, key = await sync_to_async(_login)("staffer")
    stack, seen = recording_stack()
    connected, comm = await open_with(stack, "/ws/a/1/", [HOST, ORIGIN, (b"cookie", f"a=b; sessionid={key}".encode())])
    assert connected
    user, session = seen[0]["user"], seen[0]["session"]
    assert user.is_authenticated and user.pk == pk and user.is_staff
    assert session.session_key == key and await sync_to_async(session.get)("_auth_user_id") == str(pk)
    await comm.disconnect()


@pytest.mark.parametrize("headers", [[HOST], [ORIGIN], [HOST, (b"origin", b"http://evil.example")],
                                     [(b"host", b"evil.example"), ORIGIN]])
async def test_a_missing_or_foreign_host_or_origin_is_refused_before_routing(headers):
    stack, seen = recording_stack()
    connected, _comm = await open_with(stack, "/ws/a/1/", headers)
    assert not connected and not seen


async def test_a_path_no_route_matches_raises_as_channels_router_does():
    stack, _seen = recording_stack()
    with pytest.raises(ValueError, match="No route found"):
        await open_with(stack, "/ws/b/1/", [HOST, ORIGIN])


def test_the_protocol_router_is_an_asgi3_application_to_both_servers():
    from asgiref.compatibility import is_double_callable
    from uvicorn._compat import iscoroutinefunction

    from gameserver.asgi import application

    assert not is_double_callable(application) and iscoroutinefunction(application.__call__)
    with pytest.raises(ValueError, match="lifespan"):
        application({"type": "lifespan"}, None, None)
