"""Hypothesis at the edges that are not frames: the websocket's query string and headers
(Host, Origin, Cookie, X-Forwarded-For) and the HTTP API's JSON bodies and query strings.
Whatever arrives, the answer is a documented refusal or a normal reply, never a 500 or an
exception, and the running lobby plays on."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game import protocol
from gameserver.asgi import application
from tests.hostile.test_fuzz_consumer import Harness
from tests.wsclient import HOST, ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)

header_values = st.one_of(
    st.binary(max_size=80),
    st.sampled_from([b"127.0.0.1", b"localhost:8000", b"http://127.0.0.1", b"http://localhost:1",
                     b"evil.example", b"null", b"", b"sessionid=x; csrftoken=y", b"1.2.3.4, 127.0.0.1"]),
)
headers = st.lists(st.tuples(st.sampled_from([b"host", b"origin", b"cookie", b"x-forwarded-for",
                                              b"user-agent"]), header_values), max_size=6)
query_strings = st.one_of(
    st.binary(max_size=200),
    st.lists(st.tuples(st.sampled_from(["v", "role", "name", "token", "resume", "x"]),
                       st.text(max_size=40)), max_size=8)
    .map(lambda pairs: "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs).encode()),
)


@pytest.fixture(scope="module")
def harness(django_db_setup, django_db_blocker):
    h = Harness()
    with django_db_blocker.unblock():
        h.run(h.setup())
        yield h
        h.run(h.teardown())
    h.loop.close()


async def knock(code: str, query: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    """Open one socket with these headers and query; it is welcomed or refused, nothing else."""
    comm = WebsocketCommunicator(application, f"/ws/lobby/{code}/")
    comm.scope["headers"] = extra
    comm.scope["query_string"] = query
    connected, _ = await comm.connect(timeout=5)
    if connected:
        message = await comm.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            assert message["code"] in protocol.CLOSE_CODES
        else:
            assert protocol.decode_server(message["bytes"])["k"] == "welcome"
        await comm.disconnect()
    assert not comm.future.done() or comm.future.exception() is None


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=query_strings, extra=headers, proper=st.booleans())
def test_any_query_and_headers_get_a_welcome_or_a_refusal_and_the_lobby_plays_on(harness, query, extra,
                                                                                  proper):
    if proper:  # let a share of them past the Host and Origin checks, to reach the query
        extra = [HOST, ORIGIN, *[(k, v) for k, v in extra if k not in (b"host", b"origin")]]
    harness.run(knock(harness.lobby_loop.lobby.code, query, extra))
    assert not harness.lobby_loop.task.done()
    assert harness.host.close_code is None and not harness.host.comm.future.done()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
              st.text(max_size=30)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["game", "name", "max_players", "private", "tick_rate", "settings", "limit",
                         "bots", "x"]) | st.text(max_size=8), inner, max_size=6),
    max_leaves=20)
bodies = st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300),
                   st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
                   st.integers(1, 3000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth))


async def post_body(body: bytes, content_type: str) -> None:
    reply = await AsyncClient().post("/api/lobbies", data=body, content_type=content_type)
    assert reply.status_code in (201, 400, 413, 415, 429, 503), (reply.status_code, body[:80])
    assert reply["Content-Type"].startswith("application/json")
    reply.json()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies,
       content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
def test_any_body_posted_to_create_a_lobby_gets_a_json_answer_below_500(body, content_type):
    asyncio.run(post_body(body, content_type))


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(["/api/lobbies", "/api/games", "/api/lobbies/ABCDEF", "/api/lobbies/ABCDEF/matches",
                             "/api/matches/x/replay", "/api/nothing"]),
       query=st.text(max_size=60))
def test_any_query_on_the_api_gets_a_json_answer_below_500(path, query):
    async def get() -> None:
        reply = await AsyncClient().get(f"{path}?{quote(query, safe='=&')}")
        assert reply.status_code < 500, (path, query, reply.status_code)
        assert reply["Content-Type"].startswith(("application/json", "application/msgpack"))

    asyncio.run(get())
