"""The reaper across real processes (game.cluster.reaper, docs/deploy.md "The reaper"): the
lobbies of an owner killed for good, whose members never come back, get their rows closed
(``gone``), the match they were playing saved once as aborted and their keys removed or left
to expire, by one surviving process; the lobbies of live owners are never touched. When the
process that reaps dies too, another one reaps its lobbies, and what was reaped before is not
reaped again."""

from __future__ import annotations

import asyncio
import os

import pytest
import redis

from game.cluster.keys import Keys
from tests.waits import until_sync

from .harness import Cluster
from .test_continuity import seat, start_pong

pytestmark = pytest.mark.server


@pytest.fixture
def reaping(tmp_path, cluster_db):
    # A member's grace of 2 s and a pass every half second: a lobby is gone for good 5 s after
    # its lease ran out (the grace and two lease TTLs), instead of 26 s.
    made = Cluster(tmp_path, cluster_db, os.environ["REDIS_URL"], GAME_RECONNECT_GRACE_S="2",
                   GAME_REAP_S="0.5")
    yield made
    made.close()


def row(cluster: Cluster, code: str) -> tuple[str, str]:
    return cluster.query("SELECT status, close_reason FROM game_lobbyrecord WHERE code = %s", code)[0]


def holder(cluster: Cluster, r: redis.Redis, code: str) -> str | None:
    value = r.get(Keys(cluster.prefix).lease(code))
    return value.decode() if value else None


def check_reaped(cluster: Cluster, r: redis.Redis, code: str) -> None:
    """Closed as gone; no lease, entry or listing left, and every key of the lobby expires."""
    keys = Keys(cluster.prefix)
    assert row(cluster, code) == ("closed", "gone")
    assert r.exists(keys.lease(code), keys.lobby(code)) == 0
    assert not r.hexists(keys.index(keys.bucket(code)), code)
    for key in r.scan_iter(match=f"{cluster.prefix}*{code}*"):
        assert r.pttl(key) > 0, f"{key!r} never expires"


def reaped_by(cluster: Cluster, names: str, code: str) -> list[str]:
    """The processes whose reaper logged closing ``code``."""
    return [name for name in names for line in cluster.log(name).splitlines()
            if "reaper: closed" in line and code in line]


def test_the_lobbies_of_dead_owners_are_reaped_once_and_live_ones_never(reaping):
    cluster = reaping
    r = redis.Redis.from_url(cluster.redis_url)
    for name in "ABC":
        cluster.start(name)
    made = {name: cluster.create_lobby(owner, game="pong", name=name)
            for name, owner in (("waiting", "A"), ("playing", "A"), ("b", "B"), ("c", "C"), ("c-idle", "C"))}
    code = {name: lobby["code"] for name, lobby in made.items()}

    async def connect():
        """Members: on the dead owner itself; and, for live lobbies, on their owner and relayed."""
        clients = [await seat(cluster, "A", code["waiting"], f"name=host&token={made['waiting']['host_token']}")]
        host, guest, match_id = await start_pong(cluster, code["playing"], made["playing"]["host_token"],
                                                 host_on="A", guest_on="A", time_limit_s=60)
        clients += [host, guest,
                    await seat(cluster, "B", code["b"], f"name=host&token={made['b']['host_token']}"),
                    await seat(cluster, "C", code["b"], "name=relayed"),
                    await seat(cluster, "B", code["c"], f"name=host&token={made['c']['host_token']}")]
        return clients, match_id

    def reap_lobbies_of(dead: str, live: dict[str, str], gone: list[str]) -> None:
        before = {name: holder(cluster, r, code[name]) for name in live}
        cluster.kill(dead)
        for name in gone:
            until_sync(lambda name=name: row(cluster, code[name])[0] == "closed",
                       f"the reaper closed lobby {name}", timeout=40)
        for name in gone:
            check_reaped(cluster, r, code[name])
        for name, owner in live.items():  # live owners' lobbies: untouched
            assert row(cluster, code[name]) == ("open", ""), name
            assert holder(cluster, r, code[name]) == before[name], name
            assert r.exists(Keys(cluster.prefix).lobby(code[name])) == 1, name
            assert f"lobby {code[name]} left this process" not in cluster.log(owner)

    async def run():
        """The members stay connected while the processes die (nobody comes back to a dead owner)."""
        clients, match_id = await connect()
        nodes = {name: holder(cluster, r, code[lobby]).rsplit("|", 1)[0] for name, lobby in (("B", "b"), ("C", "c"))}
        await asyncio.get_running_loop().run_in_executor(None, reap_lobbies_of, "A", owners, ["waiting", "playing"])
        check_first(match_id)
        # The process that reaps dies too: the other one reaps its lobbies, and only those.
        reaper = r.get(cluster.prefix + "reaper").decode()
        dead = next(name for name, node in nodes.items() if node == reaper)
        survivor = "C" if dead == "B" else "B"
        await asyncio.get_running_loop().run_in_executor(
            None, reap_lobbies_of, dead, {n: o for n, o in owners.items() if o == survivor},
            [n for n, o in owners.items() if o == dead])
        for client in clients:
            await client.disconnect()
        return match_id, dead, survivor

    owners = {"b": "B", "c": "C", "c-idle": "C"}
    first: list[list[str]] = []

    def check_first(match_id: str) -> None:
        # The match A was playing is saved once, aborted (its owner lost, nobody came back).
        rows = cluster.query("SELECT status, reason FROM game_match WHERE id = %s", match_id)
        assert rows == [("aborted", "owner_lost")]
        assert cluster.query("SELECT count(*) FROM game_match WHERE lobby_code = %s", code["waiting"]) == [(0,)]
        first.extend(reaped_by(cluster, "ABC", code[name]) for name in ("waiting", "playing"))
        assert all(len(by) == 1 for by in first), first  # by one process, once

    match_id, dead, survivor = asyncio.run(run())
    assert [reaped_by(cluster, "ABC", code[name]) for name in ("waiting", "playing")] == first  # not again
    for name, owner in owners.items():
        if owner == dead:
            assert reaped_by(cluster, "ABC", code[name]) == [survivor]
    assert cluster.query("SELECT count(*) FROM game_match WHERE id = %s", match_id) == [(1,)]
    r.close()
