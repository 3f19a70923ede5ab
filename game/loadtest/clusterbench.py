"""What sharing lobbies through Redis costs: one process against a cluster, at the same load.

Every server process is pinned to core 0 (the bots run on the other cores), so each setup has
one core in all, and the comparison is of CPU per delivered frame at one fixed load:

- ``single``: one process, the in-process layer (the embedded default);
- ``single-2``: two such processes side by side, no Redis, each with its own lobbies: what two
  processes sharing the one core cost by themselves;
- ``cluster-1``: one process with Redis (leases, directory, the pub/sub layer);
- ``cluster-2``: two processes on Redis, each lobby's players on the process that owns it
  (the routing docs/deploy.md describes);
- ``cluster-2-spread``: two processes, each lobby's players spread over both (every lobby's
  state is relayed to the other process each tick);
- ``cluster-1-nolog`` and ``cluster-2-nolog``: as ``cluster-1`` and ``cluster-2`` with match
  continuity off (``GAME_CONTINUITY=0``: no input log in Redis), so that the pair tells what
  continuity costs. ``--rounds`` repeats the setups in turn, so that a machine whose speed
  drifts weighs on each alike, and the medians are compared.

Two processes on two cores hold about ``2 x single / cluster-2`` times the players of one
process (CPU per frame is what runs out): the figure it prints under "2 cores". This machine
has two cores and the bots need one, so that figure is derived, not measured, and it counts
against the cluster what two processes pay for sharing one core (their caches, the switches
between them), which two cores would not: ``2 x single-2 / cluster-2`` leaves that out and
counts what Redis costs alone; it prints both when both were measured.

    REDIS_URL=redis://127.0.0.1:6379/0 python -m game.loadtest.clusterbench --lobbies 30

Redis is the benchmark's own where ``redis-server`` is on the PATH (``--redis own``, the
default then): a fresh server without persistence, pinned with the bots, off the server's
core, as a deployment's Redis is off its game processes' cores. A Redis free to run on the
game process's core takes turns with it and cools its caches, and the setup that talks to
Redis most (the input log) pays for that in everything it runs. ``--redis env`` uses
``REDIS_URL`` as it is. Rounds alternate the order of the setups (A B, then B A), and the
continuity figure is the median of each round's own ratio, so a machine whose speed drifts
through a run weighs on neither side.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

from game.loadtest.bench import ROOT, _pin, _port, _wait_ready, server_command

SETUPS = {"single": (1, False, False), "single-2": (2, False, False), "cluster-1": (1, True, False),
          "cluster-2": (2, True, False), "cluster-2-spread": (2, True, True)}
NOLOG = {"cluster-1-nolog": "cluster-1", "cluster-2-nolog": "cluster-2"}  # continuity off


@contextmanager
def servers(kind: str, count: int, cluster: bool, workdir: Path, tick_rate: int, continuity: bool = True):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DEBUG": "1", "SQLITE_PATH": str(workdir / "bench.sqlite3"), "GAME_LOG_LEVEL": "ERROR",
                "GAME_MAX_CONNECTIONS_PER_ADDRESS": "100000", "GAME_MAX_LOBBIES_PER_ADDRESS": "100000",
                "GAME_COUNTDOWN_S": "0.5",
                "DJANGO_SETTINGS_MODULE": "gameserver.settings", "GAME_DRAIN_S": "1"})
    if cluster:
        env.update({"REDIS_URL": os.environ["REDIS_URL"], "GAME_CLUSTER_PREFIX": f"bench:{uuid.uuid4().hex[:6]}:",
                    "GAME_CONTINUITY": "1" if continuity else "0"})
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    with ExitStack() as stack:
        procs = []
        for i in range(count):
            port = _port()
            log = stack.enter_context(open(workdir / f"{kind}-{i}.log", "ab"))
            proc = subprocess.Popen(_pin("0") + server_command(kind, port, tick_rate), cwd=ROOT, env=env,
                                    stdout=log, stderr=log)
            stack.callback(_stop, proc)
            _wait_ready(port, kind, proc)
            procs.append((port, proc.pid))
        yield procs


@contextmanager
def own_redis(workdir: Path):
    """A private Redis for the run, pinned off core 0 (where the game processes run); yields its URL."""
    port = _port()
    cores = os.cpu_count() or 2
    proc = subprocess.Popen([*_pin(f"1-{cores - 1}"), "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    raise RuntimeError("redis-server exited at start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def measure(setup: str, args, workdir: Path) -> dict:
    count, cluster, spread = SETUPS[NOLOG.get(setup, setup)]
    with servers(args.server, count, cluster, workdir, args.tick_rate, continuity=setup not in NOLOG) as procs:
        out = workdir / f"{setup}.json"
        cores = os.cpu_count() or 2
        cmd = [
            *_pin(f"1-{cores - 1}"),
            sys.executable, "manage.py", "loadtest", "--url", ",".join(f"http://127.0.0.1:{p}" for p, _ in procs),
            "--lobbies", str(args.lobbies), "--players", str(args.players), "--tick-rate", str(args.tick_rate),
            "--duration", str(args.duration), "--warmup", str(args.warmup), "--processes", "2",
            "--server-pid", ",".join(str(pid) for _, pid in procs), "--json", str(out), "--quiet",
            "--seed", str(args.seed)]
        cmd += ["--spread"] if spread else []
        env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings"}
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=args.duration * 4 + 120)
        summary = json.loads(out.read_text())["summary"]
    summary["setup"] = setup
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="uvicorn", choices=["uvicorn", "daphne"])
    parser.add_argument("--lobbies", type=int, default=30)
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--tick-rate", type=int, default=20)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=6)
    parser.add_argument("--setups", default=",".join(SETUPS), help=f"of {', '.join([*SETUPS, *NOLOG])}")
    parser.add_argument("--rounds", type=int, default=1, help="run the setups in turn this many times")
    parser.add_argument("--json", type=Path, help="write every summary here")
    parser.add_argument("--seed", type=int, default=1, help="the bots' inputs: the same in every setup and round")
    args = parser.parse_args()
    parser.add_argument("--redis", choices=["own", "env"], default="own" if shutil.which("redis-server") else "env",
                        help="own: a private redis-server pinned off the game's core (the default where one is "
                             "installed); env: REDIS_URL")
    args = parser.parse_args()
    setups = args.setups.split(",")
    if args.redis == "env" and not os.environ.get("REDIS_URL") and any(SETUPS[NOLOG.get(s, s)][1] for s in setups):
        sys.exit("clusterbench needs REDIS_URL (or redis-server on the PATH, with --redis own)")
    results = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if args.redis == "own":
            os.environ["REDIS_URL"] = stack.enter_context(own_redis(Path(tmp)))
        for round_ in range(args.rounds):
            for setup in setups if round_ % 2 == 0 else setups[::-1]:
                summary = measure(setup, args, Path(tmp))
                summary["round"] = round_
                results.append(summary)
                print(f"{setup:17} delivered={summary['delivered_ratio']:.4f} p99={summary['latency_ms_p99']} ms "
                      f"server cpu={summary.get('server_cpu_percent')}% "
                      f"cpu/frame={summary.get('server_cpu_us_per_frame')} µs "
                      f"healthy={summary['healthy']}", flush=True)
                time.sleep(1)
    for nolog, with_log in NOLOG.items():
        if nolog in setups and with_log in setups:
            held = paired(results, with_log, nolog)
            print(f"continuity ({with_log}), each round's players held with the log: {held}")
    by = {setup: median_run([r for r in results if r["setup"] == setup]) for setup in {r["setup"] for r in results}}
    for nolog, with_log in NOLOG.items():
        if nolog in by and with_log in by and by[with_log].get("server_cpu_us_per_frame"):
            share = by[nolog]["server_cpu_us_per_frame"] / by[with_log]["server_cpu_us_per_frame"]
            print(f"continuity ({with_log}): CPU per frame {by[with_log]['server_cpu_us_per_frame']} µs with the "
                  f"input log, {by[nolog]['server_cpu_us_per_frame']} µs without (medians of {args.rounds}): "
                  f"it holds about {100 * share:.0f}% of the players it holds without")
    if "single" in by and "cluster-2" in by and by["cluster-2"].get("server_cpu_us_per_frame"):
        ratio = by["single"]["server_cpu_us_per_frame"] / by["cluster-2"]["server_cpu_us_per_frame"]
        print(f"2 cores (derived): two processes hold about {2 * ratio:.2f}x the players of one "
              f"(CPU per frame {by['cluster-2']['server_cpu_us_per_frame']} µs against "
              f"{by['single']['server_cpu_us_per_frame']} µs)")
    if "single-2" in by and "cluster-2" in by and by["cluster-2"].get("server_cpu_us_per_frame"):
        ratio = by["single-2"]["server_cpu_us_per_frame"] / by["cluster-2"]["server_cpu_us_per_frame"]
        print(f"2 cores (derived, without what sharing one core costs): about {2 * ratio:.2f}x "
              f"(CPU per frame {by['cluster-2']['server_cpu_us_per_frame']} µs against two processes "
              f"without Redis on one core, {by['single-2']['server_cpu_us_per_frame']} µs)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def paired(results: list[dict], with_log: str, nolog: str) -> str:
    """Each round's CPU per frame without the log over with it, and their median."""
    shares = []
    for round_ in sorted({r["round"] for r in results}):
        cpu = {r["setup"]: r.get("server_cpu_us_per_frame") for r in results if r["round"] == round_}
        if cpu.get(with_log) and cpu.get(nolog):
            shares.append(cpu[nolog] / cpu[with_log])
    if not shares:
        return "no figure"
    return f"{', '.join(f'{100 * x:.0f}%' for x in shares)}; median {100 * statistics.median(shares):.0f}%"


def median_run(runs: list[dict]) -> dict:
    """The run of median CPU per frame among ``runs`` of one setup."""
    runs = sorted(runs, key=lambda r: r.get("server_cpu_us_per_frame") or 0.0)
    return runs[(len(runs) - 1) // 2]


if __name__ == "__main__":
    main()
