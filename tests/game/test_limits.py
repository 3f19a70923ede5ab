"""Limits, each with its documented error or close code: rates, connections, lobbies."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.test import AsyncClient

from game import protocol
from game.limits import MAX_ERROR_KEYS, ErrorBudget, TokenBucket
from tests.game.test_consumers import join, make_lobby
from tests.waits import until
from tests.wsclient import Client

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_error_budget_remembers_a_bounded_number_of_refused_kinds():
    budget = ErrorBudget(budget=10**6, window_s=10.0)
    for i in range(10_000):  # unknown kinds of the client's own making, 1.9 a second
        assert budget.refuse("unknown_kind", f"kind-{i}" * 100, now=i / 1.9) == "send"
    assert len(budget.last_sent) <= MAX_ERROR_KEYS
    assert budget.refuse("unknown_kind", "kind-9999" * 100, now=9999 / 1.9 + 0.5) is None


def test_a_bucket_allows_its_burst_then_its_rate():
    bucket = TokenBucket(rate=2.0, burst=3.0, stamp=100.0)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(100.5) is True and bucket.take(100.5) is False


async def test_an_input_flood_is_rate_limited_then_closed():
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    for input_seq in range(400):
        await bob.send("input", input_seq=input_seq, d={"mx": 1})
    error = await bob.until(lambda f: f["k"] == "error" and f["code"] == "rate_limited")
    assert error["ref"] == "input"
    assert await bob.closed() == protocol.CLOSE["too_many_errors"]
    await alice.send("ping", id=1, ct=0)  # the lobby goes on for the others
    await alice.until(lambda f: f["k"] == "pong")
    await alice.disconnect()


async def test_chat_is_limited_to_a_few_lines_a_second():
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    for i in range(8):
        await alice.send("chat", text=f"line {i}")
    error = await alice.error()
    assert error["code"] == "rate_limited" and error["ref"] == "chat"
    # Bob's line joins the lobby's one command queue after every line of Alice's that was taken:
    # once it is shown, so are they.
    await bob.send("chat", text="after")
    await alice.until(lambda f: f["k"] == "event" and any(e.get("text") == "after" for e in f["e"]))
    lines = [e for f in alice.frames if f["k"] == "event" for e in f["e"]
             if e["type"] == "chat" and e["name"] == "alice"]
    assert 1 <= len(lines) <= 5
    await asyncio.gather(alice.disconnect(), bob.disconnect())


async def test_too_many_connections_from_one_address_are_closed(settings):
    settings.GAME = {**settings.GAME, "MAX_CONNECTIONS_PER_ADDRESS": 2}
    runtime, loop = await make_lobby()
    first = await join(loop.lobby.code, "a")
    second = await join(loop.lobby.code, "b", role="spectator")
    third = await Client(loop.lobby.code, "name=c").connect()
    assert await third.closed() == protocol.CLOSE["too_many_connections"]
    await first.disconnect()
    await until(lambda: sum(runtime.connections.values()) < 2, "the closed socket frees its place")
    fourth = await join(loop.lobby.code, "d", role="spectator")  # a slot came free
    await asyncio.gather(second.disconnect(), fourth.disconnect())


async def test_a_client_may_hold_only_a_few_open_lobbies(settings):
    settings.GAME = {**settings.GAME, "MAX_LOBBIES_PER_CLIENT": 2}
    client = AsyncClient()
    statuses = []
    for _ in range(3):
        reply = await client.post("/api/lobbies", data=json.dumps({"game": "pong"}), content_type="application/json")
        statuses.append(reply.status_code)
    assert statuses == [201, 201, 429]
    assert reply.json()["error"] == "too_many_lobbies"
