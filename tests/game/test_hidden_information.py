"""Hidden information over real sockets (the whole ASGI application): in a Liar's Dice match,
every frame a player's socket receives — full frames, deltas, events, errors — is read, and
no other player's dice are in it unless the cups are lifted; spectators see no dice; the
replay endpoint gives nothing of a match still being played; a move out of turn is refused
with its reason."""

from __future__ import annotations

import asyncio

import pytest
from django.test import AsyncClient

from game import protocol
from game.engine import delta as deltas
from tests.wsclient import Client

from .test_consumers import make_lobby, start_match

pytestmark = pytest.mark.django_db(transaction=True)


class RawClient(Client):
    """A client that also keeps every message's bytes, as they came off the socket."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.raw: list[bytes] = []

    def _received(self, data: bytes) -> None:
        self.raw.append(data)

async def join(code: str, name: str, role: str = "player", token: str | None = None) -> RawClient:
    query = f"role={role}&name={name}" + (f"&token={token}" if token else "")
    client = await RawClient(code, query).connect()
    await client.until(lambda f: f["k"] == "welcome")
    return client


def leaks(client: RawClient, own: str | None) -> list[str]:
    """Every place the bytes this client got show dice other than its own while the cups are
    down: each state frame (the state it makes and what the frame itself carries)."""
    found, state = [], None
    for data in client.raw:
        frame = protocol.decode_server(data)
        if frame["k"] == "full":
            state = frame["s"]
        elif frame["k"] == "delta":
            state = deltas.apply(state, frame["s"])
        else:
            assert b'"d"' not in data
            continue
        if "rv" in state["g"]:
            continue  # a reveal: every die is shown to everyone
        for eid, entity in state["e"].items():
            if eid != own and "d" in entity:
                found.append(f"tick {frame['tick']}: {eid}'s dice")
        for part in ("e", "f"):
            for eid, fields in frame["s"].get(part, {}).items():
                if eid != own and "d" in fields:
                    found.append(f"tick {frame['tick']}: {eid}'s dice in the frame")
    return found


async def test_no_socket_gets_dice_it_may_not_see_and_the_replay_waits_for_the_end():
    runtime, loop = await make_lobby("liars_dice", turn_time=5)
    code = loop.lobby.code
    alice = await join(code, "alice", token="secret-token")
    bob = await join(code, "bob")
    carol = await join(code, "carol")
    eve = await join(code, "eve", role="spectator")
    await start_match(alice, bob, carol)
    ids = {c: c.frames[0]["you"] for c in (alice, bob, carol)}
    match_id = next(e["match"] for f in alice.frames if f["k"] == "event" for e in f["e"]
                    if e["type"] == "match_start")
    first = await alice.until(lambda f: f["k"] in ("full", "delta") and "tu" in (alice.snapshot or {}).get("g", {}))
    assert first
    turn = alice.snapshot["g"]["tu"]
    mover = next(c for c, i in ids.items() if i == turn)
    waiting = next(c for c, i in ids.items() if i != turn)
    await waiting.input({"bq": 1, "bf": 3})
    refused = await waiting.error()
    assert refused == {**refused, "code": "move_refused", "msg": "not_your_turn", "ref": "input"}
    await mover.input({"bq": 2, "bf": 4})
    await eve.until(lambda f: f["k"] == "delta" and eve.snapshot["g"].get("bq") == 2)
    reply = await AsyncClient().get(f"/api/matches/{match_id}/replay")
    assert reply.status_code == 404  # nothing of a match being played
    nxt = next(c for c, i in ids.items() if i == eve.snapshot["g"]["tu"])
    await nxt.input({"call": True})
    await eve.until(lambda f: f["k"] in ("full", "delta") and "rv" in eve.snapshot["g"])
    assert all("d" in e for e in eve.snapshot["e"].values() if e["k"])  # the cups are lifted for all
    await eve.until(lambda f: f["k"] in ("full", "delta") and eve.snapshot["g"]["rd"] == 2, timeout=15)
    await eve.send("ping", id=7, ct=1.0)  # between moves: no state frame, yet the socket answers
    pong = await eve.until(lambda f: f["k"] == "pong")
    assert pong["id"] == 7
    for client, own in ((alice, f"p{ids[alice]}"), (bob, f"p{ids[bob]}"), (carol, f"p{ids[carol]}"),
                        (eve, None)):
        client.drain()
        assert leaks(client, own) == []
        kinds = {f["k"] for f in client.frames}
        assert {"full", "delta", "event"} <= kinds
        if own:
            assert "d" in client.snapshot["e"][own]  # a player sees their own dice
    assert all("d" not in e for e in eve.snapshot["e"].values())  # round 2: hidden again
    await asyncio.gather(*(c.disconnect() for c in (alice, bob, carol, eve)))
