"""Players into machines: ``python -m game.loadtest.scaleplan``.

Multiplies what was measured per lobby into what 10,000, 100,000 and 1,000,000 players need at
20 and 60 Hz (8 players a lobby):

- **game CPU** from docs/benchmarks.json: the players one core holds healthy (``daphne`` on the
  ``redis`` layer, the cluster's configuration), times the cluster's efficiency per process
  (docs/deploy.md: two processes hold 1.78-1.85x one, so 0.9 each) -> processes, one per core;
  machines of ``--cores`` cores with ``--game-cores`` of them running game processes (the rest:
  nginx, TLS, the OS). With every lobby's members spread over 2 processes (no routing), each
  frame costs about ``SPREAD_2_COST`` times as much (docs/deploy.md, measured);
- **Redis** from game.loadtest.redismodel's JSON: Redis CPU µs per lobby-second in each mode
  -> Redis cores at 70% (a Redis primary uses one core for commands) -> primaries;
- **bytes**: the clients' bytes per second (docs/benchmarks.json) per machine, and Redis' output.

The figures are a model: it assumes what was measured on one machine scales by counting, which
docs/scale.md says how to check on real hardware.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLAYERS = (10_000, 100_000, 1_000_000)
RATES = (20, 60)
MEMBERS = 8
CLUSTER_EFFICIENCY = 0.9  # 2 processes hold 1.78-1.85x one (docs/deploy.md, "What a cluster costs")
SPREAD_2_COST = 1.9  # CPU per frame, each lobby's members over 2 processes vs on the owner (docs/deploy.md)


def players_per_core(benchmarks: dict, rate: int) -> tuple[int, float]:
    """Healthy players one core held in the benchmark (daphne, redis layer), and bytes/s per client."""
    for row in benchmarks["rows"]:
        if row["server"] == "daphne" and row["layer"] == "redis" and row["tick_rate"] == rate:
            return row["players"], row["bytes_per_s_per_client"]
    raise KeyError(f"docs/benchmarks.json has no daphne/redis row at {rate} Hz")


def redis_us(model: dict, mode: str, rate: int) -> dict:
    found = [r for r in model["results"] if r["mode"] == mode and r["tick_rate"] == rate]
    if not found:
        raise KeyError(f"the Redis model has no {mode} at {rate} Hz (run game.loadtest.redismodel)")
    return found[-1]


def plan(benchmarks: dict, model: dict, *, cores: int, game_cores: int) -> list[dict]:
    headroom = model["headroom"]
    rows = []
    for rate in RATES:
        per_core, client_bytes = players_per_core(benchmarks, rate)
        for players in PLAYERS:
            lobbies = players // MEMBERS
            processes = math.ceil(players / (per_core * CLUSTER_EFFICIENCY))
            spread_processes = math.ceil(processes * SPREAD_2_COST)

            def primaries(mode: str, rate: int = rate, lobbies: int = lobbies) -> int:
                cost = redis_us(model, mode, rate)["redis_cpu_us_per_lobby_s"]
                return max(1, math.ceil(lobbies * cost / (1e6 * headroom)))

            machines = math.ceil(processes / game_cores)
            plan_mode = redis_us(model, "routed+log+list", rate)
            rows.append({
                "players": players, "tick_rate": rate, "lobbies": lobbies, "processes": processes,
                "machines": machines, "cores": cores,
                "redis_routed": primaries("routed+list"), "redis_routed_log": primaries("routed+log+list"),
                "spread2_processes": spread_processes, "spread2_machines": math.ceil(spread_processes / game_cores),
                "redis_spread2": primaries("spread-2"), "redis_spread8": primaries("spread-8"),
                "client_gbit_per_machine": round(client_bytes * players / machines * 8 / 1e9, 2),
                "redis_out_mbyte_s": round(lobbies * plan_mode["bytes_out_per_lobby_s"] / 1e6, 1),
                "redis_in_mbyte_s": round(lobbies * plan_mode["bytes_in_per_lobby_s"] / 1e6, 1)})
    return rows


def table(rows: list[dict]) -> str:
    head = ("| players | Hz | lobbies | game processes (cores) | machines | Redis primaries: routed "
            "| routed + input log | no routing, 2-way spread: processes / machines / Redis | 8-way spread: Redis "
            "| client traffic per machine | Redis in / out (routed + log) |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        lines.append(f"| {r['players']:,} | {r['tick_rate']} | {r['lobbies']:,} | {r['processes']:,} "
                     f"| {r['machines']:,} | {r['redis_routed']} | {r['redis_routed_log']} "
                     f"| {r['spread2_processes']:,} / {r['spread2_machines']:,} / {r['redis_spread2']} "
                     f"| {r['redis_spread8']} | {r['client_gbit_per_machine']} Gbit/s "
                     f"| {r['redis_in_mbyte_s']} / {r['redis_out_mbyte_s']} MB/s |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmarks", default=str(ROOT / "docs" / "benchmarks.json"))
    parser.add_argument("--model", default=str(ROOT / "docs" / "scale-redismodel.json"),
                        help="the JSON of python -m game.loadtest.redismodel --json")
    parser.add_argument("--cores", type=int, default=16, help="cores per game machine")
    parser.add_argument("--game-cores", type=int, default=14, help="of which run game processes")
    args = parser.parse_args(argv)
    benchmarks = json.loads(Path(args.benchmarks).read_text())
    model = json.loads(Path(args.model).read_text())
    print(table(plan(benchmarks, model, cores=args.cores, game_cores=args.game_cores)))


if __name__ == "__main__":
    main()
