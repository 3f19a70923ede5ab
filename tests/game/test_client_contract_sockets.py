"""docs/protocol.md's promises through the real consumer (ASGI app, binary frames): how a
guest's name is cleaned and cut, last_processed_input's integer keys on the wire, stale input_seqs dropped without an
error, and match_over before lobby_closed when the host closes the lobby mid-match."""

from __future__ import annotations

import asyncio

import msgpack
import pytest

from game import protocol
from game.models import Match
from tests.game.test_consumers import join, make_lobby
from tests.wsclient import Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("raw, name", [
    ("%20%20Al%00ice%E2%80%8B%20", "Alice"),  # control and format characters out, blanks stripped
    ("A" * 30, "A" * 24),  # cut to 24
    ("x" * 23 + "%20y", "x" * 23),  # cut, then stripped again
    ("Bob+Smith", "Bob Smith"),  # + is a space
    ("%C3%A9l%C3%A8ve%C2%A0%E2%80%A8", "élève"),  # no-break space and line separator out
])
async def test_a_guest_name_is_cleaned_and_cut_never_refused(raw, name):
    _runtime, loop = await make_lobby()
    client = await Client(loop.lobby.code, f"name={raw}").connect()
    welcome = await client.until(lambda f: f["k"] == "welcome")
    me = next(m for m in welcome["lobby"]["members"] if m["id"] == welcome["you"])
    assert me["name"] == name
    await client.disconnect()


@pytest.mark.parametrize("raw", ["", "%01%02%E2%80%8B", "%20%20"])
async def test_a_name_left_empty_becomes_guest_and_four_hex_digits(raw):
    _runtime, loop = await make_lobby()
    client = await Client(loop.lobby.code, f"name={raw}").connect()
    welcome = await client.until(lambda f: f["k"] == "welcome")
    name = next(m["name"] for m in welcome["lobby"]["members"] if m["id"] == welcome["you"])
    assert name.startswith("Guest-") and len(name) == 10 and int(name[6:], 16) >= 0
    await client.disconnect()


async def test_only_the_query_limit_refuses_a_long_name():
    _runtime, loop = await make_lobby()
    client = await Client(loop.lobby.code, "name=" + "n" * 1100).connect()
    assert await client.closed() == protocol.CLOSE["bad_request"]


def test_acks_keys_are_integers_which_strict_decoders_refuse():
    frame = protocol.encode_full(tick=7, time=1000, snapshot={"g": {}, "e": {}}, last_processed_input={3: 5, 12: -1})
    with pytest.raises(ValueError):
        msgpack.unpackb(frame)  # msgpack's default: strict_map_key=True
    assert msgpack.unpackb(frame, strict_map_key=False)["last_processed_input"] == {3: 5, 12: -1}


async def seated_and_playing(loop) -> tuple[Client, Client, Client]:
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    eve = await join(loop.lobby.code, "eve", role="spectator")
    await bob.send("ready", ready=True)
    await alice.until(lambda f: f["k"] == "lobby" and any(m["ready"] for m in f["lobby"]["members"]))
    await alice.send("start")
    for client in (alice, bob, eve):
        await client.event("match_start")
    return alice, bob, eve


async def test_a_stale_seq_is_dropped_without_an_error_and_not_acknowledged():
    _runtime, loop = await make_lobby()
    alice, bob, eve = await seated_and_playing(loop)
    you = alice.frames[0]["you"]
    still = {"mx": 0, "my": 0, "aim": 0, "fire": False}
    await alice.send("input", input_seq=50, d=still)
    await alice.until(lambda f: f["k"] in ("full", "delta") and f["last_processed_input"].get(you) == 50)
    await alice.send("input", input_seq=10, d=still)  # backwards: dropped
    await alice.send("input", input_seq=50, d=still)  # repeated: dropped
    await alice.send("input", input_seq=51, d=still)
    await alice.until(lambda f: f["k"] in ("full", "delta") and f["last_processed_input"].get(you) == 51)
    processed = [f["last_processed_input"][you] for f in alice.frames
                 if f["k"] in ("full", "delta") and you in f["last_processed_input"]]
    assert 10 not in processed and processed == sorted(processed)
    assert not [f for f in alice.frames if f["k"] == "error"]
    await asyncio.gather(alice.disconnect(), bob.disconnect(), eve.disconnect())


async def test_the_host_closing_mid_match_sends_everyone_match_over_then_lobby_closed():
    runtime, loop = await make_lobby()
    alice, bob, eve = await seated_and_playing(loop)
    await alice.send("close")
    for client in (alice, bob, eve):
        frame = await client.until(lambda f: f["k"] == "event" and any(e["type"] == "lobby_closed" for e in f["e"]))
        assert [e["type"] for e in frame["e"]] == ["match_over", "lobby_closed"]
        over = frame["e"][0]
        assert over["status"] == "aborted" and over["reason"] == "lobby_host"
        assert {r["name"] for r in over["results"]} == {"alice", "bob"}
        assert await client.closed() == protocol.CLOSE["lobby_closed"]
    await runtime.flush()  # the aborted match is written before the test's database goes
    saved = await Match.objects.aget(id=over["match"])
    assert (saved.status, saved.reason) == ("aborted", "lobby_host")
