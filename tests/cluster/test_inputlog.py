"""The input log against a real Redis, without servers: what it writes, when inputs count as
acknowledged, the fence, the game copies and the keys' slot and expiry."""

from __future__ import annotations

import os
import uuid

import pytest
import redis.asyncio as aioredis

from game.cluster.continuity import load_game
from game.cluster.inputlog import InputLog, read_log
from game.cluster.keys import Keys
from game.cluster.lease import Leases
from game.engine.clock import FakeClock
from game.engine.lobby import JoinRequest, Lobby, LobbyConfig
from game.engine.loop import LobbyLoop
from game.rules.pong import Pong
from tests.engine.helpers import FakeConn, FakeHooks

DT = 0.05
pytestmark = pytest.mark.server  # (a real Redis: conftest skips without one)


async def playing_lobby(code: str) -> tuple[LobbyLoop, list]:
    loop = LobbyLoop(Lobby(LobbyConfig(code=code, name="log", game_cls=Pong, max_players=2)),
                     clock=FakeClock(), hooks=FakeHooks(), countdown_s=0.05)
    futures = [loop.submit_join(JoinRequest(name=name, role="player", identity=f"g:{name}", conn=FakeConn(),
                                            is_creator=name == "alice")) for name in ("alice", "bob")]
    loop.step_tick(DT)
    alice, bob = (f.result() for f in futures)
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    loop.step_tick(DT)
    return loop, [alice, bob]


def play(loop: LobbyLoop, members: list, ticks: int) -> None:
    for _ in range(ticks):
        for member in members:
            if member.in_match:
                loop.submit_input(member, member.last_processed_input + 1, 0.5)
        loop.step_tick(DT)


@pytest.fixture
async def parts():
    client = aioredis.Redis.from_url(os.environ["REDIS_URL"])
    keys = Keys(f"logtest:{uuid.uuid4().hex[:8]}:")
    yield client, keys, Leases(client, keys, ttl_s=30)
    await client.aclose()


async def test_inputs_count_as_processed_once_the_log_holds_them(parts):
    client, keys, leases = parts
    log = InputLog(client, keys, ttl_s=60)
    loop, (alice, bob) = await playing_lobby("LOGA01")
    tap = log.attach(loop, await leases.acquire("LOGA01", "me"))
    play(loop, [alice, bob], 6)
    assert alice.last_processed_input >= 4
    assert loop.match.last_processed_input() == {alice.id: -1, bob.id: -1}  # applied, not logged
    await log._write(log._compose())
    assert loop.match.last_processed_input()[alice.id] == alice.last_processed_input
    header, entries, ticks, snapshot = await read_log(client, keys, "LOGA01")
    assert header["match"] == loop.match.id and header["seed"] == loop.match.seed
    assert ticks == loop.match.ticks and snapshot is None
    assert [e[1:] for e in entries if e[1] == alice.id] == [(alice.id, 0.5)] * (alice.last_processed_input + 1)
    assert tap.sent == len(entries)
    # Every key of the log carries the lobby's bucket, and expires.
    for key in (keys.log("LOGA01"), keys.log_snapshot("LOGA01")):
        assert key.startswith(keys.tag(keys.bucket("LOGA01")))
    assert 0 < await client.pttl(keys.log("LOGA01")) <= 60_000


async def test_a_write_after_the_lease_was_taken_is_refused_and_the_loop_stops(parts):
    client, keys, leases = parts
    log = InputLog(client, keys, ttl_s=60)
    loop, members = await playing_lobby("LOGB01")
    lease = await leases.acquire("LOGB01", "me")
    log.attach(loop, lease)
    play(loop, members, 3)
    await log._write(log._compose())
    _, before, _, _ = await read_log(client, keys, "LOGB01")
    await client.set(keys.lease("LOGB01"), "someone-else|2")  # another process owns it now
    play(loop, members, 3)
    acked = loop.match.last_processed_input()
    await log._write(log._compose())
    assert loop.abandoned == "lease_lost" and "LOGB01" not in log.logs
    assert loop.match.last_processed_input() == acked  # nothing more acknowledged
    _, after, _, _ = await read_log(client, keys, "LOGB01")
    assert after == before  # nothing written past the fence


async def test_a_copy_of_the_game_is_kept_beside_the_log(parts):
    client, keys, leases = parts
    log = InputLog(client, keys, ttl_s=60, snapshot_s=0.5)  # a copy every 10 ticks
    loop, members = await playing_lobby("LOGC01")
    log.attach(loop, await leases.acquire("LOGC01", "me"))
    for _ in range(3):
        play(loop, members, 6)
        await log._write(log._compose())
    header, entries, ticks, snapshot = await read_log(client, keys, "LOGC01")
    assert snapshot is not None
    copy_ticks, applied, blob = snapshot
    assert 10 <= copy_ticks <= ticks and applied <= len(entries)
    assert load_game(blob).tick == copy_ticks


async def test_a_new_match_in_the_lobby_starts_a_new_log(parts):
    client, keys, leases = parts
    log = InputLog(client, keys, ttl_s=60)
    loop, members = await playing_lobby("LOGD01")
    lease = await leases.acquire("LOGD01", "me")
    log.attach(loop, lease)
    play(loop, members, 3)
    await log._write(log._compose())
    first = loop.match.id
    loop.match.saved = True  # (over)
    log.next_scan = 0.0  # the writer's next look at lobbies without news (every 0.125 s)
    await log._write(log._compose())  # its last write; it is logged no more
    assert "LOGD01" not in log.logs
    loop.lobby.phase = "finished"
    loop.lobby.on_start()
    log.attach(loop, lease)
    await log._write(log._compose())
    header, entries, _, _ = await read_log(client, keys, "LOGD01")
    assert header["match"] == loop.match.id != first and entries == []


async def test_a_log_lost_with_redis_data_leaves_the_match_playing_unprotected(parts):
    client, keys, leases = parts
    log = InputLog(client, keys, ttl_s=60)
    loop, (alice, bob) = await playing_lobby("LOGE01")
    lease = await leases.acquire("LOGE01", "me")
    log.attach(loop, lease)
    play(loop, [alice, bob], 3)
    await log._write(log._compose())
    acked = loop.match.last_processed_input()[alice.id]
    await client.delete(keys.lease("LOGE01"), keys.log("LOGE01"))  # Redis came back without its data
    play(loop, [alice, bob], 3)
    await log._write(log._compose())
    assert loop.abandoned is None and "LOGE01" in log.logs  # a missing lease may be put back: wait
    assert loop.match.last_processed_input()[alice.id] == acked and log.logs["LOGE01"].entries
    await client.set(keys.lease("LOGE01"), lease.value)  # the owner put its lease back (game.cluster.recovery)
    await log._write(log._compose())
    assert loop.abandoned is None and "LOGE01" not in log.logs  # its log is gone: no longer logged
    assert loop.match.last_processed_input()[alice.id] == alice.last_processed_input  # as applied
