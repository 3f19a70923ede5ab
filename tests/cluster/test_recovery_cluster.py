"""Real processes on a Redis of their own that loses its data or stops answering
(docs/deploy.md, "When Redis fails"): live owners put their lobbies back, handshakes during
an outage get the retryable 4015, and each process logs the outage in two lines."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest
import redis

from game import protocol
from tests.liveserver import free_port

from .harness import Cluster, Player
from .test_cluster import start_pong

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


class PrivateRedis:
    """A redis-server without persistence, on a port of its own: stopped, wiped, restarted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def lease(cluster: Cluster, server: PrivateRedis, code: str) -> str | None:
    from game.cluster.keys import Keys
    value = server.client().get(Keys(cluster.prefix).lease(code))
    return value.decode() if value else None


async def come_back(client, url: str, since: float) -> dict:
    """As the browser does after 4013 or 4015: reconnect with backoff and the seat's token."""
    while True:
        try:
            return await client.resume(url)
        except (AssertionError, TimeoutError):
            assert client.close_code in (4013, 4015), client.close_code
            assert time.monotonic() - since < 15, "the lobby did not come back"
            await asyncio.sleep(0.25)


def test_redis_wiped_live_owner_puts_its_lobby_back(tmp_path, cluster_db, private_redis):
    """FLUSHALL mid-match. The owner puts its lease back at its next renewal and the match goes
    on untouched; or, when its input log's fenced write saw the lease missing first, it stops
    and keeps the lobby as an orphan whose entry it writes back: the members move and resume."""
    cluster = Cluster(tmp_path, cluster_db, private_redis.url, GAME_LEASE_TTL_S="3")
    try:
        for name in "AB":
            cluster.start(name)
        created = cluster.create_lobby("A", game="pong", name="wiped")
        code, token = created["code"], created["host_token"]

        async def play():
            host, guest, watcher = await start_pong(cluster, code, token, host_on="A", guest_on="B", spectator_on="B")
            match_id = (await host.event("match_start", since=0))["match"]
            before = lease(cluster, private_redis, code)
            private_redis.client().flushall()  # Redis restarted without its data
            wiped = time.monotonic()
            while lease(cluster, private_redis, code) != before and host.close_code is None:
                assert time.monotonic() - wiped < 10, "the owner neither put its lease back nor moved"
                await asyncio.sleep(0.05)
            kept = host.close_code is None
            back_s = time.monotonic() - wiped
            if kept:  # nobody is moved: B knew Redis had lost the lease, not that the owner died
                await asyncio.sleep(2.0)
                assert guest.close_code is None and watcher.close_code is None and host.close_code is None
                tick = max(f["tick"] for f in host.states())
                await host.until(lambda f: f["k"] in ("full", "delta") and f["tick"] > tick + 20, since=0)
            else:
                welcome = await come_back(host, cluster.ws("A", code, f"name=host&token={token}"), wiped)
                assert welcome["resumed"] and welcome["host"]
                if guest.close_code is None:
                    assert await guest.closed(timeout=15) in (4013, 4015)
                assert (await come_back(guest, cluster.ws("B", code, "name=guest"), wiped))["resumed"]
                back_s = time.monotonic() - wiped
            while not any(lobby["code"] == code for lobby in cluster.get("B", "/api/lobbies")["lobbies"]):
                assert time.monotonic() - wiped < 15, "the lobby did not come back to the lobby list"
                await asyncio.sleep(0.1)
            late = await Player(cluster.ws("B", code, "name=late&role=spectator"), cluster.http("B")).connect()
            await late.until(lambda f: f["k"] == "welcome")
            for client in (host, guest, watcher, late):
                await client.disconnect()
            return kept, back_s, match_id

        kept, back_s, match_id = asyncio.run(play())
        print(f"{'lease back' if kept else 'lobby moved and resumed'} {back_s:.2f} s after the wipe")  # noqa: T201 (docs/deploy.md)
        if kept:
            assert "lobby " + code + ": lease put back after Redis lost it" in cluster.log("A")
        else:  # the match it stopped is saved once (aborted: its input log went with Redis)
            deadline = time.monotonic() + 10
            while not (rows := cluster.query("SELECT status FROM game_match WHERE id = %s", match_id)):
                assert time.monotonic() < deadline, "the interrupted match was never saved"
                time.sleep(0.2)
            assert len(rows) == 1
    finally:
        cluster.close()


def test_redis_restarted_empty_after_an_outage_the_owner_plays_on_and_puts_its_lobby_back(tmp_path, cluster_db,
                                                                                           private_redis):
    """Redis stopped for two lease TTLs mid-match, then started again empty. Nobody could take
    the lobby over meanwhile, so its owner plays on in doubt (game.cluster.ownership); handshakes
    get the retryable 4015; when Redis answers, the owner puts its lease back under the same
    epoch and its directory entry with it. Nobody is moved, the match ends as any other and is
    saved once; each process logs the outage in two lines."""
    cluster = Cluster(tmp_path, cluster_db, private_redis.url)
    try:
        for name in "AB":
            cluster.start(name)
        created = cluster.create_lobby("A", game="pong", name="outage")
        code, token = created["code"], created["host_token"]
        before = lease(cluster, private_redis, code)

        async def play():
            host, guest, watcher = await start_pong(cluster, code, token, host_on="A", guest_on="B",
                                                    spectator_on="B", settings={"time_limit_s": 8})
            match_id = (await host.event("match_start", since=0))["match"]
            private_redis.stop()
            stopped = time.monotonic()
            tick = max(f["tick"] for f in host.states())
            # The owner plays on: its own members see the match go on.
            await host.until(lambda f: f["k"] in ("full", "delta") and f["tick"] > tick + 40, timeout=20)
            # During the outage a handshake is refused with the retryable close, not HTTP 500.
            for name in "AB":
                probe = await Player(cluster.ws(name, code, "name=probe"), cluster.http(name)).connect()
                assert await probe.closed() == 4015
            queue_url = f"ws://127.0.0.1:{cluster.ports['B']}/ws/queue/pong/?v={protocol.PROTOCOL_VERSION}&name=probe"
            probe = await Player(queue_url, cluster.http("B")).connect()  # a queue socket too
            assert await probe.closed() == 4015
            ttl = float(cluster.env["GAME_LEASE_TTL_S"])
            await asyncio.sleep(max(0.0, 2 * ttl - (time.monotonic() - stopped)))  # the fault: two lease TTLs
            private_redis.start()  # back, and empty
            restarted = time.monotonic()
            while lease(cluster, private_redis, code) != before:
                assert time.monotonic() - restarted < 10, "the owner did not put its lease back"
                await asyncio.sleep(0.05)
            back_s = time.monotonic() - restarted
            while not any(lobby["code"] == code for lobby in cluster.get("B", "/api/lobbies")["lobbies"]):
                assert time.monotonic() - restarted < 15, "the lobby did not come back to the lobby list"
                await asyncio.sleep(0.1)
            over = await guest.event("match_over", timeout=30)
            assert over["match"] == match_id and over["status"] == "finished"
            assert (await host.event("match_over", timeout=10))["match"] == match_id
            for client in (host, guest, watcher):
                assert client.close_code is None, "a member was moved"
                await client.disconnect()
            return match_id, back_s

        match_id, back_s = asyncio.run(play())
        print(f"lease back {back_s:.2f} s after Redis came back empty")  # noqa: T201 (a figure for docs/deploy.md)
        deadline = time.monotonic() + 10
        while not (rows := cluster.query("SELECT status, epoch FROM game_match WHERE id = %s", match_id)):
            assert time.monotonic() < deadline, "the match was never saved"
            time.sleep(0.2)
        assert rows == [("finished", 1)]
        for name in "AB":
            log = cluster.log(name)
            assert log.count("Redis unreachable") == 1, log[-3000:]
            assert log.count("Redis answers again after") == 1, log[-3000:]
            assert "Exception inside application" not in log, log[-3000:]
    finally:
        cluster.close()
