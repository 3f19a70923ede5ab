"""`make bench-peers`: Colyseus, the bare-`websockets` baseline, `make run` (daphne) and
`make run-uvicorn` side by side, then spectators at scale and memory; written to docs/benchmarks.md.

Every server is probed at the same lobby counts, at 20 and 60 Hz, the servers interleaved at each
count so that whatever else the machine does falls on all of them alike: lobbies of 8 players,
one input per player per tick, the server pinned to core 0 and the load to the other core(s).
Each probe reports the server's CPU per delivered frame, the delivered ratio and whether it was
healthy (>= 99% of frames, latency p99 <= 50 ms). Then, on the project's servers:

- spectators: one lobby of 8 players watched by ``--spectators`` spectators, live and with the
  delayed feed (``spectator_delay``), against the same lobby without them: each spectator's share
  of frames, their latency p99, and the CPU a spectator frame adds. Spectators are the load
  tester's lean clients (`game.loadtest.watchers`, in a process of their own), which read tens of
  thousands of frames a second; a check first watches with ``--spectator-check`` lean spectators
  and then as many full bots, whose figures should agree;
- memory: RSS per connected client at the largest healthy count, and a ``--soak-s`` run at that
  count with RSS sampled throughout, its matches ``--soak-match-s`` long and rematched back to
  back by each host (its growth once matches start and end steadily).

Capacity probes play one match as long as the game allows (an hour): play never pauses.

    python -m game.loadtest.peers.sweep                      # the whole sweep (about an hour)
    python -m game.loadtest.peers.sweep --quick --out /tmp/p # one tiny probe of each: the tooling works
    python -m game.loadtest.peers.sweep --servers daphne,uvicorn --rates 20 --lobbies-20 50 \
        --parts capacity,spectators --out /tmp/s            # the spectator probe (and a player's CPU per frame)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from game.loadtest import bench
from game.loadtest.peers import colyseus
from game.loadtest.peers.doc import write_section

SERVERS = ("colyseus", "baseline", "daphne", "uvicorn")
PARTS = ("capacity", "spectators", "soak", "inside")  # inside: the in-process figures (game.loadtest.tickbench, memory)


def probe(kind: str, rate: int, lobbies: int, args, workdir: Path, **extra) -> dict:
    if kind == "colyseus":
        summary = colyseus.probe(lobbies=lobbies, players=args.players, tick_rate=rate, duration_s=args.duration,
                                 warmup_s=args.warmup, install_dir=args.install_dir)
    else:
        summary = bench.probe(kind, "memory", rate, lobbies, args, workdir, **extra)
        if extra.get("spectators"):
            print(f"    {summary.get('spectators')} {summary.get('spectator_client')} spectators: "
                  f"{summary.get('spectator_delivered_ratio')} delivered (worst one "
                  f"{summary.get('spectator_min_share')}), p99 {summary.get('spectator_latency_ms_p99')} ms, "
                  f"players {summary.get('player_delivered_ratio')}, load client CPU {summary.get('client_cpu_max')}",
                  flush=True)
        summary["server"] = kind
        return summary
    print(f"  {kind:8} {rate:2} Hz {lobbies:4} lobbies: healthy={summary['healthy']} "
          f"delivered={summary['delivered_ratio']} p99={summary['latency_ms_p99']} ms "
          f"cpu/frame={summary.get('server_cpu_us_per_frame')} us", flush=True)
    return summary


def capacity(args, workdir: Path) -> list[dict]:
    """Every server at every lobby count of each rate (a server that failed twice running is
    not probed at larger counts: it only gets worse)."""
    probes = []
    for rate, counts in ((20, args.lobbies_20), (60, args.lobbies_60)):
        if str(rate) not in args.rates.split(","):
            continue
        failed = dict.fromkeys(args.servers, 0)
        for lobbies in counts:
            for kind in args.servers:
                if failed[kind] >= 2:
                    continue
                summary = probe(kind, rate, lobbies, args, workdir)
                failed[kind] = 0 if summary["healthy"] else failed[kind] + 1
                probes.append(summary)
    return probes


def spectator_check(args, workdir: Path) -> list[dict]:
    """The lean spectators against full bots, ``--spectator-check`` of each in turn watching one
    lobby live: their delivered share and latency should agree (the lean ones time one frame in
    eight, the full ones every frame)."""
    rows = []
    for kind in project_servers(args):
        for client in ("lean", "full"):
            summary = probe(kind, 20, 1, args, workdir, spectators=args.spectator_check,
                            extra_args=("--spectator-client", client))
            rows.append(summary)
    return rows


def spectators(args, workdir: Path) -> list[dict]:
    """One lobby of players alone, then watched live, then watched through the delayed feed."""
    rows = []
    # Thousands of opening handshakes take the server a while: every spectator in before the window.
    args = argparse.Namespace(**{**vars(args), "warmup": args.warmup + args.spectators / 500})
    for kind in project_servers(args):
        alone = probe(kind, 20, 1, args, workdir)
        alone["feed"] = "players only"
        rows.append(alone)
        for feed, delay in (("live", 0), ("delayed", args.spectator_delay)):
            summary = probe(kind, 20, 1, args, workdir, spectators=args.spectators, spectator_delay_s=delay)
            summary["feed"] = feed
            if all(r.get("server_cpu_seconds") for r in (alone, summary)) and summary.get("spectator_frames"):
                added = (_cpu_rate(summary) - _cpu_rate(alone)) * args.duration
                summary["server_cpu_us_per_spectator_frame"] = round(1e6 * added / summary["spectator_frames"], 2)
            rows.append(summary)
    return rows


def project_servers(args) -> list[str]:
    """The project's servers of this run (one in a quick run: it only proves the tooling)."""
    kinds = [k for k in args.servers if k in ("daphne", "uvicorn")]
    return kinds[:1] if args.quick else kinds


def in_process(args, workdir: Path) -> dict:
    """What the sockets leave out: a spectator frame's CPU against a player's, in-process
    (`game.loadtest.tickbench`), and where a connection's Python memory goes
    (`game.loadtest.peers.memory`, under tracemalloc)."""
    from game.loadtest import tickbench

    seconds = 1.0 if args.quick else 30.0
    watched = [tickbench.spectator_cost("arena", args.players, 20, seconds, args.spectators, delay)
               for delay in (0, args.spectator_delay)] if args.spectators else []
    out = workdir / "memory.json"
    lobbies = 1 if args.quick else args.memory_lobbies
    subprocess.run([sys.executable, "-m", "game.loadtest.peers.memory", "--lobbies", str(lobbies),
                    "--players", str(args.players), "--play-s", "6" if args.quick else "20", "--json", str(out)],
                   cwd=bench.ROOT, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)
    return {"spectators": watched, "memory": {**json.loads(out.read_text()), "lobbies": lobbies}}


def _cpu_rate(summary: dict) -> float:
    return summary["server_cpu_seconds"] / summary.get("server_sampled_s", summary["duration_s"])


def largest_healthy(probes: list[dict], kind: str, rate: int) -> int:
    return max((p["lobbies"] for p in probes if p["server"] == kind and p["tick_rate"] == rate and p["healthy"]),
               default=0)


def soak(args, probes: list[dict], workdir: Path) -> list[dict]:
    """The project's servers for ``--soak-s`` at their largest healthy count at 20 Hz, RSS sampled,
    playing matches of ``--soak-match-s`` that each host rematches at once: steady state is matches
    starting, ending and being saved, not one match (and its replay log) growing for the whole run."""
    rows = []
    for kind in project_servers(args):
        lobbies = largest_healthy(probes, kind, 20) or args.lobbies_20[0]
        long = argparse.Namespace(**{**vars(args), "duration": args.soak_s})
        summary = probe(kind, 20, lobbies, long, workdir, keep_rss=True,
                        extra_args=("--match-s", str(args.soak_match_s)) if args.soak_match_s else ())
        summary["rss_growth"] = rss_growth(summary.pop("rss_over_time", []), summary["clients"])
        rows.append(summary)
    return rows


def rss_growth(samples: list[list[float]], clients: int) -> dict:
    """RSS over the run's last two thirds (the first third lets the matches and the allocator
    settle): its growth per minute and per client, the least-squares slope over every sample
    (matches that start and end make RSS rise and fall with each one: the slope does not hang on
    where in a match the first and last samples fall)."""
    if len(samples) < 3:
        return {}
    start_at = samples[-1][0] / 3
    steady = [(t, rss) for t, rss in samples if t >= start_at]
    (t0, r0), (_t1, r1) = steady[0], steady[-1]
    mean_t = sum(t for t, _r in steady) / len(steady)
    mean_r = sum(r for _t, r in steady) / len(steady)
    spread = sum((t - mean_t) ** 2 for t, _r in steady)
    per_s = sum((t - mean_t) * (r - mean_r) for t, r in steady) / spread if spread else 0.0
    return {"steady_from_s": round(t0, 1), "rss_mb_steady_start": round(r0 / 2**20, 1),
            "rss_mb_end": round(r1 / 2**20, 1), "rss_mb_max": round(max(r for _t, r in steady) / 2**20, 1),
            "kb_per_minute": round(per_s * 60 / 1024, 1),
            "bytes_per_client_per_minute": round(per_s * 60 / clients, 1) if clients else None,
            "samples": [[round(t), round(r / 2**20, 1)] for t, r in samples[:: max(1, len(samples) // 60)]]}


def main() -> None:
    parser = argparse.ArgumentParser(description="Colyseus and the project's servers side by side.")
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--rates", default="20,60")
    parser.add_argument("--lobbies-20", default="25,50,75,100,125,150,175,200")
    parser.add_argument("--lobbies-60", default="10,20,30,40,50,60,70")
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=6.0)
    parser.add_argument("--spectators", type=int, default=2000, help="per lobby, in the spectator probes (0: none)")
    parser.add_argument("--spectator-delay", type=int, default=2, help="seconds, in the delayed-feed probe")
    parser.add_argument("--spectator-check", type=int, default=200,
                        help="spectators in the check of lean spectators against full bots (0: none)")
    parser.add_argument("--soak-s", type=float, default=600.0, help="the memory run's length (0: none)")
    parser.add_argument("--soak-match-s", type=int, default=60,
                        help="the memory run's matches (s), rematched back to back (0: one long match)")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="what to run, of " + ",".join(PARTS) + " (a partial run: write it with --out elsewhere)")
    parser.add_argument("--memory-lobbies", type=int, default=50, help="lobbies in the tracemalloc run")
    parser.add_argument("--quick", action="store_true", help="one tiny probe of each part: checks the tooling works")
    parser.add_argument("--install-dir", type=Path, default=colyseus.INSTALL_DIR)
    parser.add_argument("--out", type=Path, default=bench.ROOT / "docs", help="where benchmarks.md and its files go")
    args = parser.parse_args()
    args.servers = args.servers.split(",")
    args.lobbies_20 = [int(n) for n in args.lobbies_20.split(",")]
    args.lobbies_60 = [int(n) for n in args.lobbies_60.split(",")]
    args.parts = args.parts.split(",")
    if args.quick:
        args.rates, args.lobbies_20, args.duration, args.warmup, args.players = "20", [1], 1.5, 2.0, 3
        args.spectators, args.spectator_delay, args.soak_s = min(args.spectators, 4), 1, 0  # no long run
        args.spectator_check = min(args.spectator_check, 4)
    if "colyseus" in args.servers:
        colyseus.install(args.install_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    started = time.time()
    at_20 = "20" in args.rates.split(",")
    probes = capacity(args, workdir) if "capacity" in args.parts else []
    watching = args.spectators and at_20 and "spectators" in args.parts
    checked = spectator_check(args, workdir) if watching and args.spectator_check else []
    watched = spectators(args, workdir) if watching else []
    soaked = soak(args, probes, workdir) if args.soak_s and at_20 and "soak" in args.parts else []
    os.environ.setdefault("DEBUG", "1")
    inside = in_process(args, workdir) if "inside" in args.parts else {}
    result = {"probes": probes, "spectators": watched, "spectator_check": checked, "soak": soaked,
              "in_process": inside, "players": args.players,
              "duration_s": args.duration, "minutes": round((time.time() - started) / 60, 1),
              "argv": argv_of(args)}
    (args.out / "benchmarks-peers.json").write_text(json.dumps(result, indent=1))
    write_section(args.out, result)
    print(f"wrote {args.out / 'benchmarks.md'}")


def argv_of(args) -> str:
    """The command line that reproduces this run, for the report."""
    return " ".join(sys.argv[1:])


if __name__ == "__main__":
    main()
