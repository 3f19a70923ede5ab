"""A fault raised on behalf of one connection ends that connection's request, never the lobby."""

from __future__ import annotations

import pytest

from game.engine import commands
from game.engine.errors import JoinRefused

from .helpers import request
from .test_lifecycle import DT, run_ticks, seated_pair
from .test_reconnect import start


async def test_a_resume_token_with_non_ascii_characters_is_a_plain_new_join():
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    await start(loop, alice, bob)
    req, conn = request("mallory", role="spectator")
    req.resume = "\u00e9"  # what /ws/lobby/<code>/?resume=%C3%A9 once handed the loop
    future = loop.submit_join(req)
    loop.step_tick(DT)
    assert future.result().id not in (alice.id, bob.id)
    assert loop.lobby.phase == "playing" and not a.closed and not b.closed


async def test_a_join_that_fails_refuses_that_connection_and_the_lobby_plays_on(monkeypatch):
    loop, hooks, (alice, a), (bob, b) = await seated_pair()
    await start(loop, alice, bob)

    def broken_join(req):
        raise RuntimeError("a bug reached by one client's join")

    monkeypatch.setattr(loop.lobby, "join", broken_join)
    req, _conn = request("mallory", role="spectator")
    future = loop.submit_join(req)
    loop.step_tick(DT)
    with pytest.raises(JoinRefused) as refused:
        future.result()
    assert refused.value.close == "server_error"
    states_before = len(b.states)
    run_ticks(loop, 3)
    assert loop.lobby.phase == "playing" and len(b.states) == states_before + 3
    assert a.closed is None and b.closed is None and not hooks.saved


async def test_a_command_that_fails_answers_server_error_to_its_sender_alone(monkeypatch):
    loop, hooks, (alice, a), (bob, b) = await seated_pair()

    def broken_chat(lobby, member, **fields):
        raise KeyError("a bug reached by one client's chat")

    monkeypatch.setitem(commands.COMMANDS, "chat", (broken_chat, False))
    loop.submit_command(bob.id, "chat", {"text": "hi"})
    loop.step_tick(DT)
    assert b.errors() == ["server_error"] and a.errors() == []
    await start(loop, alice, bob)
    assert loop.lobby.phase == "playing" and loop.lobby.close_reason is None
