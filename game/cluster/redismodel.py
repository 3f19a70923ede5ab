"""What Redis spends per lobby, measured: ``python -m game.loadtest.redismodel`` (this module).

Replays the Redis command mix of N lobbies of 8 players, as the cluster sends it, against a
redis-server of its own (started on another port, pinned to one core, stopped at the end),
and reads Redis' own accounting: its process CPU (``INFO cpu``), each command's time (``INFO
commandstats``) and its network bytes. Time is compressed: the commands of S seconds are sent
as fast as the driver can, and every cost is divided by N x S **lobby-seconds**. So the figure
is Redis CPU per lobby-second, whatever this machine's speed at sending, and the lobbies one
Redis core carries is 10^6 µs x headroom / that figure.

The mix, per mode (the real scripts and key names, game.cluster.*; one pipeline per simulated
process per tick, as a process's mail and input log batch per event-loop turn):

- every mode: lease renewals (one script per bucket per process, each second), node heartbeats,
  directory writes (``DIRECTORY_WRITES_PER_S`` per lobby: joins, leaves, settings, match start
  and end), lobby events published to the lobby's group (``EVENTS_PER_S``: chat, lobby state);
- ``spread-k``: each lobby's members spread over k processes: its state published once per tick
  to the relay group (delivered to k - 1 subscribed processes), every remote member's inputs
  published to the owner's node channel (batched per destination per tick), the relaying
  processes' watchdog reading the lease of each relayed lobby each second;
- ``log``: the input log of match continuity, as game.cluster.inputlog writes it: each tick,
  one fenced APPEND script per shard whose argument carries every lobby's keys and entries (one XADD per
  lobby), a snapshot of the game every 10 s;
- ``list``: the lobby list: the shared snapshot built from the bucket indexes every half
  period and read by ``--list-readers`` processes every period (game.cluster.lobbylist).

``routed`` is every member on its lobby's owner (no relay). The figures go to stdout and, with
``--json``, to a file that game.loadtest.scaleplan multiplies into machines (docs/scale.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import msgpack

MEMBERS = 8
LOBBIES_PER_PROCESS = 100  # 800 players: about what one core holds at 20 Hz (docs/benchmarks.md)
EVENTS_PER_S = 1.0
DIRECTORY_WRITES_PER_S = 0.2
STATE_BYTES = 400  # a state frame (docs/benchmarks.json: about 410 bytes a frame at 20 Hz)
INPUT_BYTES = 24  # one member's input as the mail batches it
EVENT_BYTES = 200
SNAPSHOT_BYTES = 2048
SNAPSHOT_S = 10.0
LIST_REFRESH_S = 2.0
HEADROOM = 0.7  # the share of a Redis core a plan may fill


@dataclass(frozen=True)
class Mode:
    name: str
    spread: int = 1  # processes each lobby's members are spread over (1: routed to the owner)
    log: bool = False
    list_polls: bool = False


MODES = (Mode("routed"), Mode("spread-2", spread=2), Mode("spread-4", spread=4), Mode("spread-8", spread=8),
         Mode("routed+log", log=True), Mode("routed+list", list_polls=True),
         Mode("routed+log+list", log=True, list_polls=True))


@dataclass
class Result:
    mode: str
    tick_rate: int
    lobbies: int
    processes: int
    seconds: float
    redis_cpu_us_per_lobby_s: float
    commands_per_lobby_s: float
    bytes_in_per_lobby_s: float
    bytes_out_per_lobby_s: float
    lobbies_per_redis: int
    driver_s: float
    # [(command, µs per lobby-second)], by Redis' commandstats: a script's time includes the
    # commands it calls, which are also counted under their own names
    top: list = field(default_factory=list)
    spread: list = field(default_factory=list)  # every run's Redis CPU per lobby-second, low to high


# -- a redis-server of our own --------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def own_redis(core: int | None):
    """A fresh redis-server on a free port (no persistence), pinned to ``core``; stopped after."""
    exe = shutil.which("redis-server")
    if exe is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    cmd = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
           "--client-output-buffer-limit", "pubsub 0 0 0"]
    if core is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core), *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


class Subscriber:
    """One simulated process's pub/sub connection: subscribed to its channels, reading and
    dropping what arrives (as fast as a raw socket can, so Redis never waits on it)."""

    def __init__(self, address: tuple[str, int], channels: list[str]) -> None:
        self.address, self.channels = address, channels
        self.task: asyncio.Task | None = None
        self.received = 0

    async def start(self) -> None:
        reader, self.writer = await asyncio.open_connection(*self.address)
        for i in range(0, len(self.channels), 500):
            chunk = self.channels[i:i + 500]
            parts = [b"SUBSCRIBE", *(c.encode() for c in chunk)]
            self.writer.write(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        await self.writer.drain()
        self.task = asyncio.get_running_loop().create_task(self._drain(reader))

    async def _drain(self, reader) -> None:
        while chunk := await reader.read(1 << 16):
            self.received += len(chunk)

    async def stop(self) -> None:
        self.writer.close()
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


# -- the replay -------------------------------------------------------------------------------------
class Replay:
    """N lobbies on P simulated processes, in one mode, at one tick rate."""

    def __init__(self, redis, address: tuple[str, int], mode: Mode, *, lobbies: int, tick_rate: int,
                 list_readers: int) -> None:
        from game.cluster.directory import Directory
        from game.cluster.inputlog import APPEND
        from game.cluster.keys import Keys
        from game.cluster.lease import Leases
        from game.cluster.lobbylist import SharedLobbyList

        self.redis, self.address, self.mode, self.tick_rate = redis, address, mode, tick_rate
        self.keys = Keys("rm:", 256)
        self.n = lobbies
        self.p = max(mode.spread, -(-lobbies // LOBBIES_PER_PROCESS))
        self.codes = [f"M{i:06d}" for i in range(lobbies)]
        self.owner = [i % self.p for i in range(lobbies)]
        # members of lobby i: on its owner and the next spread - 1 processes
        self.member_procs = [[(self.owner[i] + j) % self.p for j in range(mode.spread)] for i in range(lobbies)]
        self.leases = Leases(redis, self.keys, ttl_s=3.0)
        self.directory = Directory(redis, self.keys)
        self.append = redis.register_script(APPEND)
        self.lists = [SharedLobbyList(redis, self.directory, self.keys, refresh_s=LIST_REFRESH_S)
                      for _ in range(min(list_readers, self.p))]
        self.held: list[list] = [[] for _ in range(self.p)]
        # per process: the lobbies it relays (members here, owner elsewhere), and how many of
        # its members' inputs go to each owner process per tick
        self.relayed: list[list[str]] = [[] for _ in range(self.p)]
        self.inputs_to: list[dict[int, int]] = [{} for _ in range(self.p)]
        for i, procs in enumerate(self.member_procs):
            for q in procs:
                if q != self.owner[i]:
                    self.relayed[q].append(self.codes[i])
                    sent = self.inputs_to[q]
                    sent[self.owner[i]] = sent.get(self.owner[i], 0) + MEMBERS // mode.spread
        self.subscribers: list[Subscriber] = []
        self.by_bucket: list[dict[int, list]] = [{} for _ in range(self.p)]  # process -> bucket -> leases

    def summary(self, i: int) -> dict:
        return {"code": self.codes[i], "name": f"Lobby {i}", "game": "game-a", "phase": "playing",
                "players": MEMBERS, "bots": 0, "max_players": MEMBERS, "spectators": 0, "locked": False,
                "private": False, "tick_rate": self.tick_rate}

    async def setup(self) -> None:
        await self.redis.flushall()
        for start in range(0, self.n, 100):
            got = await asyncio.gather(*(self.leases.acquire(self.codes[i], f"proc{self.owner[i]}")
                                         for i in range(start, min(self.n, start + 100))))
            for i, lease in zip(range(start, start + len(got)), got, strict=True):
                self.held[self.owner[i]].append(lease)
                await self.directory.put(lease, self.summary(i), {"v": 1})
        channels: list[list[str]] = [[f"node.proc{p}"] for p in range(self.p)]
        for i, procs in enumerate(self.member_procs):
            for p in procs:
                channels[p].append(f"lobby.{self.codes[i]}")
                if p != self.owner[i]:
                    channels[p].append(f"relay.{self.codes[i]}")
        self.subscribers = [Subscriber(self.address, chans) for chans in channels]
        for sub in self.subscribers:
            await sub.start()
        for p, leases in enumerate(self.held):
            for lease in leases:
                self.by_bucket[p].setdefault(self.keys.bucket(lease.code), []).append(lease)
        await asyncio.sleep(0.2)

    async def run(self, seconds: float) -> None:
        ticks = int(seconds * self.tick_rate)
        state = b"s" * STATE_BYTES
        event = b"e" * EVENT_BYTES
        log_body = b"i" * (INPUT_BYTES * MEMBERS)
        for tick in range(ticks):
            second = tick % self.tick_rate == 0
            await asyncio.gather(*(self._process_tick(p, tick, second, state, event, log_body)
                                   for p in range(self.p)))
            if self.mode.list_polls and tick % max(1, int(self.tick_rate * LIST_REFRESH_S / 2)) == 0:
                await self._list_round(tick)

    async def _process_tick(self, p: int, tick: int, second: bool, state: bytes, event: bytes,
                            log_body: bytes) -> None:
        pipe = self.redis.pipeline(transaction=False)
        if self.mode.log:
            await self._log(pipe, p, log_body, snapshot_due=tick % int(SNAPSHOT_S * self.tick_rate) == 0)
        for lease in self.held[p]:
            i = int(lease.code[1:])
            if self.mode.spread > 1:
                pipe.publish(f"relay.{lease.code}", state)
            if second and (i + tick // self.tick_rate) % int(1 / EVENTS_PER_S) == 0:
                pipe.publish(f"lobby.{lease.code}", event)
        for owner, count in self.inputs_to[p].items():  # this process's members of lobbies owned elsewhere
            pipe.publish(f"node.proc{owner}", b"i" * (INPUT_BYTES * count))
        if second:
            pipe.set(self.keys.node(f"proc{p}"), b"1", px=3000)
        await pipe.execute()
        if second:
            await self._second(p, tick // self.tick_rate)

    async def _log(self, pipe, p: int, body: bytes, *, snapshot_due: bool) -> None:
        """The input log's pass, as game.cluster.inputlog writes it: one fenced APPEND per shard
        (here one Redis) carrying every lobby's keys and entries in one msgpack argument."""
        snapshot = b"g" * SNAPSHOT_BYTES if snapshot_due else b""
        items = []
        for leases in self.by_bucket[p].values():
            for lease in leases:
                log_key = self.keys.log(lease.code)
                items.append([self.keys.lease(lease.code), log_key, log_key + ":snapshot", lease.value, b"", body,
                              snapshot])
        # (as the log's group packer: Redis' cmsgpack reads no bin type)
        await self.append(keys=[], args=[120000, msgpack.packb(items, use_bin_type=False)], client=pipe)

    async def _second(self, p: int, second: int) -> None:
        await self.leases.renew(self.held[p])
        every = int(1 / DIRECTORY_WRITES_PER_S)
        for lease in self.held[p]:
            i = int(lease.code[1:])
            if (i + second) % every == 0:
                await self.directory.put(lease, self.summary(i), {"v": 1})
        if self.relayed[p]:  # the watchdog: the lease of every lobby relayed here
            await self.leases.holders(self.relayed[p])

    async def _list_round(self, tick: int) -> None:
        readers = self.lists if (tick // int(self.tick_rate * LIST_REFRESH_S / 2)) % 2 == 0 else self.lists[:1]
        for shared in readers:
            await shared.fetch()

    async def stop(self) -> None:
        for sub in self.subscribers:
            await sub.stop()


async def info(redis) -> dict:
    return await redis.info("all")


def cpu_of(stats: dict) -> float:
    return (stats["used_cpu_user"] + stats["used_cpu_sys"]) * 1e6


async def idle_rate(redis, seconds: float = 1.0) -> float:
    """Redis' CPU µs per second with nothing asked of it (its cron, the idle connections)."""
    before = cpu_of(await redis.info("cpu"))
    began = time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_of(await redis.info("cpu")) - before) / (time.monotonic() - began)


async def measure(url: str, mode: Mode, *, lobbies: int, tick_rate: int, seconds: float,
                  list_readers: int) -> Result:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url, max_connections=256)
    parts = urlsplit(url)
    replay = Replay(client, (parts.hostname or "127.0.0.1", parts.port or 6379), mode, lobbies=lobbies,
                    tick_rate=tick_rate, list_readers=list_readers)
    await replay.setup()
    idle_us_per_s = await idle_rate(client)
    await client.config_resetstat()
    before = await info(client)
    began = time.monotonic()
    await replay.run(seconds)
    await asyncio.sleep(0.2)  # the subscribers read the last deliveries
    driver_s = time.monotonic() - began
    after = await info(client)
    await replay.stop()
    await client.aclose()
    lobby_s = lobbies * seconds
    cpu_us = cpu_of(after) - cpu_of(before) - idle_us_per_s * driver_s  # what the replay cost, not the idle cron
    stats = {k.removeprefix("cmdstat_"): v for k, v in after.items() if k.startswith("cmdstat_")}
    stats.pop("info", None)
    stats.pop("config|resetstat", None)
    calls = sum(v["calls"] for v in stats.values())
    per = cpu_us / lobby_s
    top = sorted(((name, round(v["usec"] / lobby_s, 2)) for name, v in stats.items()), key=lambda x: -x[1])[:6]
    return Result(mode.name, tick_rate, lobbies, replay.p, seconds, round(per, 2), round(calls / lobby_s, 2),
                  round((after["total_net_input_bytes"] - before["total_net_input_bytes"]) / lobby_s),
                  round((after["total_net_output_bytes"] - before["total_net_output_bytes"]) / lobby_s),
                  int(1e6 * HEADROOM / per) if per else 0, round(driver_s, 1), top)


def table(results: list[Result]) -> str:
    head = ("| mode | Hz | lobbies | processes | Redis CPU µs per lobby-second | commands per lobby-second "
            "| bytes in / out per lobby-second | lobbies per Redis core (70%) |\n|---|---|---|---|---|---|---|---|")
    rows = [f"| {r.mode} | {r.tick_rate} | {r.lobbies:,} | {r.processes} | {r.redis_cpu_us_per_lobby_s} | "
            f"{r.commands_per_lobby_s} | {r.bytes_in_per_lobby_s:,} / "
            f"{r.bytes_out_per_lobby_s:,} | {r.lobbies_per_redis:,} |" for r in results]
    return "\n".join([head, *rows])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lobbies", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0, help="simulated seconds per mode")
    parser.add_argument("--rates", default="20,60", help="tick rates, comma-separated")
    parser.add_argument("--modes", default=",".join(m.name for m in MODES))
    parser.add_argument("--list-readers", type=int, default=8,
                        help="processes that serve GET /api/lobbies (the plan routes it to a small pool)")
    parser.add_argument("--redis-core", type=int, default=1, help="the core redis-server is pinned to (-1: none)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode, interleaved; the median is kept")
    parser.add_argument("--url", help="a scratch Redis to measure instead of starting one (it is FLUSHALLed: "
                                      "never a Redis that holds anything)")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")
    chosen = [m for m in MODES if m.name in args.modes.split(",")]
    if args.redis_core >= 0 and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        others = set(range(os.cpu_count() or 1)) - {args.redis_core}
        os.sched_setaffinity(0, others)  # the driver keeps off Redis' core
    results = []
    core = args.redis_core if args.redis_core >= 0 else None
    scratch = contextlib.nullcontext(args.url) if args.url else own_redis(core)
    with scratch as url:
        for rate in (int(r) for r in args.rates.split(",")):
            runs: dict[str, list[Result]] = {m.name: [] for m in chosen}
            for _ in range(args.repeat):
                for mode in chosen:
                    runs[mode.name].append(asyncio.run(measure(
                        url, mode, lobbies=args.lobbies, tick_rate=rate, seconds=args.seconds,
                        list_readers=args.list_readers)))
            for mode in chosen:
                ordered = sorted(runs[mode.name], key=lambda r: r.redis_cpu_us_per_lobby_s)
                result = ordered[len(ordered) // 2]
                result.spread = [r.redis_cpu_us_per_lobby_s for r in ordered]
                results.append(result)
                print(f"{mode.name:16} {rate:3d} Hz  {result.redis_cpu_us_per_lobby_s:9.2f} µs/lobby-s  "
                      f"{result.lobbies_per_redis:>8,} lobbies/Redis  "
                      f"runs {result.spread}  top {result.top[:3]}", flush=True)
    print()
    print(table(results))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"headroom": HEADROOM, "members": MEMBERS, "lobbies_per_process": LOBBIES_PER_PROCESS,
                       "results": [asdict(r) for r in results]}, out, indent=1)


if __name__ == "__main__":
    main()
