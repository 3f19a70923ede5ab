"""`make bench`: the largest healthy number of lobbies per server, written to docs/benchmarks.md.

For each server (daphne as `make run` starts it, uvicorn with uvloop, and the bare
`websockets` baseline) and each tick rate, it starts a fresh server pinned to core 0,
runs the load tester pinned to the other core(s), and searches the lobby count upward
(doubling, then bisecting) for the largest count that stays healthy (>= 99% of frames
delivered, latency p99 <= 50 ms). Every probe's figures go to a JSON file and the table,
plot and exact command to docs/benchmarks.md.

    python -m game.loadtest.bench                 # the full sweep (tens of minutes)
    python -m game.loadtest.bench --quick --out /tmp/b   # one tiny probe per server: a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from game.loadtest.server import ServerProbe

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pin(core: str) -> list[str]:
    return ["taskset", "-c", core] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def server_command(kind: str, port: int, tick_rate: int) -> list[str]:
    if kind == "daphne":
        return [sys.executable, "-m", "gameserver.rundaphne", "-b", "127.0.0.1", "-p", str(port),
                "gameserver.asgi:application"]
    if kind == "uvicorn":
        return [str(BIN / "uvicorn"), "gameserver.asgi:application", "--host", "127.0.0.1", "--port", str(port),
                "--loop", "uvloop", "--ws", "gameserver.wsprotocol:GameWebSocketProtocol", "--ws-max-size", "65536",
                "--http", "gameserver.wsprotocol:GameH11Protocol", "--ws-per-message-deflate", "false",
                "--no-proxy-headers", "--no-access-log", "--log-level", "warning"]
    if kind == "baseline":
        return [sys.executable, "-m", "game.loadtest.baseline", "--port", str(port), "--tick-rate", str(tick_rate)]
    raise ValueError(kind)


@contextmanager
def server(kind: str, tick_rate: int, workdir: Path, layer: str):
    port = _port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DEBUG": "1", "SQLITE_PATH": str(workdir / "bench.sqlite3"), "GAME_LOG_LEVEL": "ERROR",
                # every bot and lobby comes from 127.0.0.1
                "GAME_MAX_CONNECTIONS_PER_ADDRESS": "100000", "GAME_MAX_LOBBIES_PER_ADDRESS": "100000",
                "GAME_HANDSHAKES_PER_ADDRESS": "100000",
                "GAME_COUNTDOWN_S": "0.5", "DJANGO_SETTINGS_MODULE": "gameserver.settings",
                "GAME_DRAIN_S": "1"})  # each probe stops its server mid-match: a short drain
    if layer == "redis":
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    if kind != "baseline":
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    log = open(workdir / f"{kind}.log", "ab")  # noqa: SIM115 -- held by the server until the finally below
    proc = subprocess.Popen(_pin("0") + server_command(kind, port, tick_rate), cwd=ROOT, env=env,
                            stdout=log, stderr=log)
    try:
        _wait_ready(port, kind, proc)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_ready(port: int, kind: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited with {proc.returncode}")
        try:
            if kind == "baseline":
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            else:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{kind} did not start")


def probe(kind: str, layer: str, tick_rate: int, lobbies: int, args, workdir: Path, *, spectators: int = 0,
          spectator_delay_s: int = 0, keep_rss: bool = False, extra_args: tuple[str, ...] = ()) -> dict:
    """One measurement on a fresh server; returns the load tester's summary. ``spectators`` per
    lobby watch it (the delayed feed when ``spectator_delay_s`` is set); ``keep_rss`` keeps the
    server's RSS samples over the window (``rss_over_time``: [seconds, bytes]); ``extra_args``
    go to the load tester as they are (e.g. ``--match-s 60``)."""
    with server(kind, tick_rate, workdir, layer) as (port, pid):
        idle_rss = ServerProbe(pid)._rss_bytes()  # started and answering, nobody connected
        out = workdir / f"probe-{kind}-{layer}-{tick_rate}-{lobbies}-{spectators}-{spectator_delay_s}.json"
        clients = max(1, (os.cpu_count() or 2) - 1)
        bots = lobbies * (args.players + spectators)
        # The window starts once every socket is open: a socket opened inside it would count as
        # late and its handshake's CPU against the frames. Opening handshakes took 4-5 ms each
        # on this 2-core machine with a lobby playing (2,000 spectators: 600 still opening 8 s
        # in), so each gets 10 ms beside the 1 ms of a player's (their bots open them spread).
        warmup = args.warmup + lobbies * args.players / 1000 + lobbies * spectators / 100
        cmd = _pin(f"1-{(os.cpu_count() or 2) - 1}") + [
            sys.executable, "manage.py", "loadtest", "--url", f"http://127.0.0.1:{port}", "--lobbies", str(lobbies),
            "--players", str(args.players), "--tick-rate", str(tick_rate), "--duration", str(args.duration),
            "--warmup", str(warmup), "--processes", str(min(clients * 2, max(1, bots // 80))),
            "--spectators", str(spectators), "--spectator-delay", str(spectator_delay_s),
            "--server-pid", str(pid), "--json", str(out), "--quiet", *extra_args] + \
            (["--baseline"] if kind == "baseline" else [])
        env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings"}
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=args.duration * 4 + 120)
        data = json.loads(out.read_text())
    summary = data["summary"]
    summary.update({"server": kind, "layer": layer, "server_rss_idle_bytes": idle_rss})
    if summary.get("clients") and data["rss_over_time"]:  # what each connection adds to an idle server
        added = data["rss_over_time"][-1][1] - idle_rss
        summary["server_rss_added_bytes_per_client"] = int(added / summary["clients"])
    if keep_rss:
        summary["rss_over_time"] = data["rss_over_time"]
    print(f"  {kind:8} {layer:8} {tick_rate:2} Hz {lobbies:4} lobbies: healthy={summary['healthy']} "
          f"delivered={summary['delivered_ratio']} p99={summary['latency_ms_p99']} ms "
          f"cpu/frame={summary.get('server_cpu_us_per_frame')} us", flush=True)
    return summary


def sweep(kind: str, layer: str, tick_rate: int, args, workdir: Path) -> tuple[int, list[dict]]:
    """Double the lobby count until unhealthy, then bisect; returns the largest healthy count."""
    probes, good, bad = [], 0, None
    lobbies = args.start
    while bad is None or bad - good > max(1, good // 10):
        summary = probe(kind, layer, tick_rate, lobbies, args, workdir)
        probes.append(summary)
        if summary["healthy"]:
            good = lobbies
        else:
            bad = lobbies
        if bad is None:
            lobbies *= 2
            if lobbies > args.max_lobbies:
                break
        else:
            lobbies = (good + bad) // 2
            if lobbies in (good, bad):
                break
    return good, probes


def same_load_baselines(rows: list[dict], probes: list[dict], args, workdir: Path) -> list[dict]:
    """Probe the baseline at each server's largest healthy count too, and set each row's
    ``baseline_cpu_us_per_frame`` to the baseline's CPU per frame at that same load: CPU per
    frame falls as load rises, so comparing each server at its own best would count against the
    one that holds fewer players. Returns the extra probes."""
    extra: list[dict] = []
    if "baseline" not in args.servers.split(","):
        return extra
    for row in rows:
        if row["server"] == "baseline" or not row["lobbies"]:
            continue
        same = next((p for p in probes + extra if p["server"] == "baseline" and p["tick_rate"] == row["tick_rate"]
                     and p["lobbies"] == row["lobbies"]), None)
        if same is None:
            quick = {"duration": 2.0, "warmup": 3.0, "players": 3} if args.quick else {}
            same = probe("baseline", "memory", row["tick_rate"], row["lobbies"],
                         argparse.Namespace(**{**vars(args), **quick}), workdir)
            extra.append(same)
        row["baseline_cpu_us_per_frame"] = same.get("server_cpu_us_per_frame")
    return extra


def main() -> None:
    parser = argparse.ArgumentParser(description="Sweep lobby counts to find healthy capacity per server.")
    parser.add_argument("--servers", default="baseline,uvicorn,daphne")
    parser.add_argument("--rates", default="20,60")
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=6.0)
    parser.add_argument("--start", type=int, default=16, help="first lobby count of a sweep")
    parser.add_argument("--max-lobbies", type=int, default=400)
    parser.add_argument("--redis", action="store_true", help="also sweep daphne on the Redis layer (REDIS_URL)")
    parser.add_argument("--quick", action="store_true", help="one tiny probe per server: checks the tooling works")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where benchmarks.md and its files go")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    rows, probes = [], []
    configs = [(kind, "memory") for kind in args.servers.split(",")]
    if args.redis and os.environ.get("REDIS_URL"):
        configs.append(("daphne", "redis"))
    for kind, layer in configs:
        for rate in [int(r) for r in args.rates.split(",")]:
            if args.quick:
                summary = probe(kind, layer, rate, 2, argparse.Namespace(**{**vars(args), "duration": 2.0,
                                                                           "warmup": 3.0, "players": 3}), workdir)
                best, found = (2 if summary["healthy"] else 0), [summary]
            else:
                best, found = sweep(kind, layer, rate, args, workdir)
            probes += found
            at_best = next((p for p in found if p["lobbies"] == best), {})
            rows.append({"server": kind, "layer": layer, "tick_rate": rate, "lobbies": best,
                         "players": best * (3 if args.quick else args.players),
                         "cpu_us_per_frame": at_best.get("server_cpu_us_per_frame"),
                         "rss_bytes_per_client": at_best.get("server_rss_bytes_per_client"),
                         "bytes_per_s_per_client": at_best.get("bytes_per_s_per_client")})
    probes += same_load_baselines(rows, probes, args, workdir)
    (args.out / "benchmarks.json").write_text(json.dumps({"rows": rows, "probes": probes}, indent=1))
    from game.loadtest.benchdoc import write_markdown
    write_markdown(args.out, rows, probes, " ".join(sys.argv[1:]))
    print(f"wrote {args.out / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
