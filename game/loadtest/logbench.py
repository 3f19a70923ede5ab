"""What match continuity costs the game process: ticks with and without the input log.

``--lobbies`` arena lobbies of ``--players`` players each play in this process (the real tick
loop, `LobbyLoop.step_tick`, every player sending one input a tick as the browser does); in
the ``log`` rounds every match is logged as a cluster owner logs it (`InputLog`: one pipeline
per pass to Redis, one fenced script per lobby), in the ``off`` rounds it is not. Rounds
alternate (off, log, off, log, ...) so the machine's load hits both alike. It prints the
process CPU per lobby-tick of each and the difference, and Redis' own time per script call
(``INFO commandstats``):

    REDIS_URL=redis://127.0.0.1:6379/0 python -m game.loadtest.logbench --lobbies 50

The figures are in docs/deploy.md ("Match continuity").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid

import redis.asyncio as aioredis

from game.cluster.inputlog import InputLog
from game.cluster.keys import Keys
from game.cluster.lease import Leases
from game.engine.clock import FakeClock
from game.engine.lobby import JoinRequest, Lobby, LobbyConfig, NullConnection
from game.engine.loop import LobbyLoop
from game.loadtest import inproc
from game.rules.arena import Arena


class _Conn(NullConnection):
    needs_full = True


async def _lobby(n: int, players: int) -> LobbyLoop:
    loop = LobbyLoop(Lobby(LobbyConfig(code=f"B{n:05d}", name="bench", game_cls=Arena, max_players=players,
                                       settings={"time_limit_s": 3600, "score_limit": 3600})),
                     clock=FakeClock(), hooks=inproc.Hooks(), countdown_s=0.05)
    futures = [loop.submit_join(JoinRequest(name=f"p{i}", role="player", identity=f"g:{n}:{i}", conn=_Conn(),
                                            is_creator=i == 0)) for i in range(players)]
    loop.step_tick(0.05)
    members = [f.result() for f in futures]
    for member in members[1:]:
        loop.submit_command(member.id, "ready", {"ready": True})
    loop.submit_command(members[0].id, "start", {})
    for _ in range(3):
        loop.step_tick(0.05)
    assert loop.lobby.phase == "playing"
    return loop


def _tick(loops: list[LobbyLoop], rng: random.Random) -> None:
    for loop in loops:
        for member in loop.lobby.members.values():
            if member.in_match:
                cleaned = Arena.parse_input({"mx": rng.uniform(-1, 1), "my": rng.choice((-1, 0, 1)),
                                             "aim": rng.uniform(-3, 3), "fire": rng.random() < 0.2})
                loop.submit_input(member, member.last_processed_input + 1, cleaned)
        loop.step_tick(0.05)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lobbies", type=int, default=50)
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--ticks", type=int, default=100, help="ticks per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each kind")
    args = parser.parse_args()
    client = aioredis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    keys = Keys(f"logbench:{uuid.uuid4().hex[:6]}:")
    leases = Leases(client, keys, ttl_s=600)
    log = InputLog(client, keys, ttl_s=60)
    loops = [await _lobby(n, args.players) for n in range(args.lobbies)]
    for loop in loops:
        log.attach(loop, await leases.acquire(loop.lobby.code, "bench"))
    rng = random.Random(1)
    cpu: dict[str, list[float]] = {"off": [], "log": []}
    parts = {"compose": 0.0, "write": 0.0}  # of the log rounds: making the entries ready, the pipeline
    calls_before = await _script_stats(client)
    for _ in range(args.rounds):
        for kind in ("off", "log"):
            began = time.process_time()
            for _ in range(args.ticks):
                _tick(loops, rng)
                if kind == "log":  # the writer's pass after the lobbies' ticks
                    t0 = time.process_time()
                    batch = log._compose()
                    t1 = time.process_time()
                    await log._write(batch)
                    parts["compose"] += t1 - t0
                    parts["write"] += time.process_time() - t1
                else:
                    for tap in log.logs.values():  # (nothing logged: forget what was recorded)
                        tap.entries.clear()
                    log.pending.clear()
            cpu[kind].append((time.process_time() - began) / (args.ticks * args.lobbies) * 1e6)
    calls, usec = (a - b for a, b in zip(await _script_stats(client), calls_before, strict=True))
    await client.aclose()
    sys.stdout.write(_report(args, cpu, parts, calls, usec))


def _report(args: argparse.Namespace, cpu: dict[str, list[float]], parts: dict[str, float], calls: int,
            usec: int) -> str:
    off, on = statistics.median(cpu["off"]), statistics.median(cpu["log"])
    lines = [f"{args.lobbies} arena lobbies x {args.players} players, {args.rounds} rounds of {args.ticks} ticks "
             "each way",
             f"process CPU per lobby-tick: off {off:.1f} us, log {on:.1f} us, continuity costs {on - off:+.1f} us "
             f"({(on - off) / off:+.1%})",
             "rounds off: " + ", ".join(f"{x:.1f}" for x in cpu["off"]) + "; log: "
             + ", ".join(f"{x:.1f}" for x in cpu["log"])]
    per = args.rounds * args.ticks * args.lobbies
    lines.append(f"of which, per lobby-tick: composing {parts['compose'] / per * 1e6:.1f} us, "
                 f"the pipeline {parts['write'] / per * 1e6:.1f} us")
    if calls:
        lines.append(f"Redis: {calls} script calls, {usec / calls:.1f} us of Redis each")
    return "\n".join(lines) + "\n"


async def _script_stats(client) -> tuple[int, int]:
    stats = await client.info("commandstats")
    calls = usec = 0
    for name in ("cmdstat_evalsha", "cmdstat_eval"):
        calls += stats.get(name, {}).get("calls", 0)
        usec += stats.get(name, {}).get("usec", 0)
    return calls, usec


if __name__ == "__main__":
    asyncio.run(main())
