"""A match that a process stops playing is told to its players (docs/protocol.md, "Match-over
reasons"): on SIGTERM the owner hands the lobby over and every member — connected to it or
through another process — hears the match's end (match_over, with the reason saved) before being
moved (4013); when the owner is killed, the process taking over tells each member as they resume.
With match continuity (the default) such a match goes on instead, and nobody is told it ended."""

from __future__ import annotations

import asyncio
import time

import pytest

from .test_cluster import start_pong

pytestmark = pytest.mark.server


def overs(client, since: int = 0) -> list[dict]:
    return [e for f in client.frames[since:] if f["k"] == "event" for e in f["e"] if e["type"] == "match_over"]


def saved(cluster, match_id: str) -> list[tuple]:
    deadline = time.monotonic() + 10
    while not (rows := cluster.query("SELECT status, reason FROM game_match WHERE id = %s", match_id)):
        assert time.monotonic() < deadline, "the aborted match was never saved"
        time.sleep(0.2)
    return rows


async def handed_over(cluster, code: str, token: str) -> tuple[str, tuple]:
    host, guest, watcher = await start_pong(cluster, code, token, host_on="A", guest_on="B", spectator_on="A")
    match_id = (await host.event("match_start", since=0))["match"]
    proc = cluster.terminate("A")
    for client in (host, guest, watcher):
        assert await client.closed(timeout=15) == 4013
    await asyncio.to_thread(proc.wait, 15)  # A exits after draining (TimeoutExpired if not)
    return match_id, (host, guest, watcher)


@pytest.mark.parametrize("continuity", ["0", "1"])
def test_a_handed_over_match_is_told_to_every_member_before_they_move_unless_it_goes_on(cluster, continuity):
    cluster.env["GAME_CONTINUITY"] = continuity
    for name in "AB":
        cluster.start(name)
    created = cluster.create_lobby("A", game="pong", name="told")
    match_id, clients = asyncio.run(handed_over(cluster, created["code"], created["host_token"]))
    if continuity == "0":
        assert saved(cluster, match_id) == [("aborted", "handover")]
        for client in clients:  # on A itself (host, watcher) and through B (guest)
            [over] = overs(client)
            assert (over["match"], over["status"], over["reason"]) == (match_id, "aborted", "handover")
    else:
        assert all(not overs(client) for client in clients)


def test_a_match_whose_owner_was_killed_is_told_to_each_member_as_they_resume(cluster):
    cluster.env["GAME_CONTINUITY"] = "0"
    for name in "ABC":
        cluster.start(name)
    created = cluster.create_lobby("A", game="pong", name="lost")
    code, token = created["code"], created["host_token"]

    async def play():
        host, guest, watcher = await start_pong(cluster, code, token, host_on="B", guest_on="C", spectator_on="B")
        match_id = (await host.event("match_start", since=0))["match"]
        cluster.kill("A")
        for client in (host, guest, watcher):
            assert await client.closed(timeout=10) == 4013
        marks = [len(client.frames) for client in (host, guest)]
        await asyncio.gather(host.resume(cluster.ws("B", code, f"name=host&token={token}")),
                             guest.resume(cluster.ws("C", code, "name=guest")))
        told = await asyncio.gather(*(client.event("match_over", since=mark)
                                      for client, mark in zip((host, guest), marks, strict=True)))
        for client in (host, guest, watcher):
            await client.disconnect()
        return match_id, told

    match_id, told = asyncio.run(play())
    assert saved(cluster, match_id) == [("aborted", "owner_lost")]
    for over in told:
        assert (over["match"], over["status"], over["reason"]) == (match_id, "aborted", "owner_lost")
        assert {r["name"] for r in over["results"]} == {"host", "guest"}
