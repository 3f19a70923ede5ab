"""Limits per client address in one process: open lobbies per address as well as per identity
(a client without cookies is a new identity each time), and the address a trusted proxy gives."""

from __future__ import annotations

import json

import pytest
from django.test import AsyncClient

from game import protocol
from game.runtime import get_runtime
from tests.game.test_consumers import join
from tests.waits import until
from tests.wsclient import HOST, ORIGIN, Client

pytestmark = pytest.mark.django_db(transaction=True)


async def create(client: AsyncClient | None = None, **headers: str) -> int:
    reply = await (client or AsyncClient()).post("/api/lobbies", data=json.dumps({"game": "pong"}),
                                                 content_type="application/json", headers=headers)
    assert reply.status_code in (201, 429), reply.content
    if reply.status_code == 429:
        assert reply.json()["error"] == "too_many_lobbies"
    return reply.status_code


async def test_without_cookies_one_address_gets_only_its_few_lobbies(settings):
    settings.GAME = {**settings.GAME, "MAX_LOBBIES_PER_CLIENT": 5, "MAX_LOBBIES_PER_ADDRESS": 5}
    statuses = [await create() for _ in range(30)]  # a fresh client each time: no session cookie
    assert statuses == [201] * 5 + [429] * 25
    assert len(get_runtime().registry.loops) == 5


async def test_one_identity_is_limited_from_any_address(settings):
    settings.GAME = {**settings.GAME, "MAX_LOBBIES_PER_CLIENT": 2, "MAX_LOBBIES_PER_ADDRESS": 10,
                     "TRUSTED_PROXIES": ["127.0.0.1"]}
    session = AsyncClient()
    statuses = [await create(session, x_forwarded_for=f"198.51.100.{i}") for i in range(3)]
    assert statuses == [201, 201, 429]


async def test_behind_a_trusted_proxy_each_client_address_counts_alone(settings):
    settings.GAME = {**settings.GAME, "MAX_LOBBIES_PER_ADDRESS": 2, "TRUSTED_PROXIES": ["127.0.0.1"]}
    first = [await create(x_forwarded_for="198.51.100.1") for _ in range(3)]
    # A client's own X-Forwarded-For entry is left of what the proxy appended: it changes nothing.
    forged = [await create(x_forwarded_for=f"203.0.113.{i}, 198.51.100.1") for i in range(2)]
    second = [await create(x_forwarded_for="198.51.100.2") for _ in range(2)]
    assert (first, forged, second) == ([201, 201, 429], [429, 429], [201, 201])


async def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.GAME = {**settings.GAME, "MAX_LOBBIES_PER_ADDRESS": 2, "TRUSTED_PROXIES": []}
    statuses = [await create(x_forwarded_for=f"198.51.100.{i}") for i in range(3)]
    assert statuses == [201, 201, 429]


async def test_a_closed_lobby_frees_its_place(settings):
    settings.GAME = {**settings.GAME, "MAX_LOBBIES_PER_ADDRESS": 1}
    assert [await create(), await create()] == [201, 429]
    runtime = get_runtime()
    (loop,) = runtime.registry.loops.values()
    loop.lobby.close("test")
    await until(lambda: not runtime.registry.loops, "the closed lobby leaves the registry")
    assert await create() == 201


def behind_proxy(code: str, query: str, forwarded: str) -> Client:
    client = Client(code, query)
    client.comm.scope["headers"] = [ORIGIN, HOST, (b"x-forwarded-for", forwarded.encode())]
    client.comm.scope["client"] = ("127.0.0.1", 40000)
    return client


async def test_sockets_are_counted_by_the_address_a_trusted_proxy_gives(settings):
    settings.GAME = {**settings.GAME, "MAX_CONNECTIONS_PER_ADDRESS": 2, "TRUSTED_PROXIES": ["127.0.0.0/8"]}
    from tests.game.test_consumers import make_lobby
    runtime, loop = await make_lobby()
    code = loop.lobby.code
    seated = []
    for name in ("a", "b"):
        seated.append(await behind_proxy(code, f"name={name}&role=spectator", "198.51.100.1").connect())
        await seated[-1].until(lambda f: f["k"] == "welcome")
    third = await behind_proxy(code, "name=c&role=spectator", "203.0.113.5, 198.51.100.1").connect()
    assert await third.closed() == protocol.CLOSE["too_many_connections"]
    other = await behind_proxy(code, "name=d&role=spectator", "198.51.100.2").connect()
    await other.until(lambda f: f["k"] == "welcome")
    assert runtime.connections == {"198.51.100.1": 2, "198.51.100.2": 1}
    assert {m.address for m in loop.lobby.members.values()} == {"198.51.100.1", "198.51.100.2"}
    for client in (*seated, other):
        await client.disconnect()
    assert not runtime.connections
    await join(code, "e", role="spectator")  # no header, no proxy: counted as before
