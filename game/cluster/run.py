"""`make run-cluster`: N daphne processes behind one address, for local trials.

The supervisor binds the listening socket itself and starts each daphne on it (``--fd``):
the kernel hands every new connection to one of the processes, so one address serves them
all with no proxy in front. In production, put nginx in front instead (docs/deploy.md).

SIGTERM or Ctrl-C is passed on to every process, which drains (hands its lobbies over,
flushes results) and exits; a process that dies on its own is started again.

    python -m game.cluster.run --processes 3 --port 8000
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from prometheus_client.multiprocess import mark_process_dead

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", "-n", type=int, default=2)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--drain", type=float, default=float(os.environ.get("GAME_DRAIN_S", "30")),
                        help="seconds a process may take to drain on SIGTERM before it is killed")
    args = parser.parse_args(argv)
    if not os.environ.get("REDIS_URL"):
        print("run-cluster needs REDIS_URL (the processes share lobbies through Redis)", file=sys.stderr)
        return 2
    # prometheus_client's multiprocess mode: each worker writes its metrics here, and a scrape of
    # the shared port, whichever worker answers, reports them all (game.metrics).
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="game-metrics-")
    for stale in Path(metrics_dir).glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    sock = socket.create_server((args.host, args.port), backlog=1024, reuse_port=False)
    sock.set_inheritable(True)
    fd = sock.fileno()
    def start(index: int) -> subprocess.Popen:
        env = {**os.environ, "GAME_NODE_INDEX": str(index)}
        # daphne with the game's protocol, as `make run` starts it (gameserver/rundaphne.py)
        return subprocess.Popen([sys.executable, "-m", "gameserver.rundaphne", "--fd", str(fd),
                                 "--websocket-max-message-size", "65536", "--websocket-max-frame-size", "65536",
                                 "gameserver.asgi:application"],
                                cwd=ROOT, env=env, pass_fds=(fd,))

    procs = [start(i) for i in range(args.processes)]
    print(f"run-cluster: {args.processes} daphne processes on http://{args.host}:{args.port} "
          f"(pids {', '.join(str(p.pid) for p in procs)})", flush=True)
    stopping = False

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        time.sleep(0.2)
        for i, proc in enumerate(procs):
            if proc.poll() is not None and not stopping:
                print(f"run-cluster: process {proc.pid} exited ({proc.returncode}); starting another", flush=True)
                mark_process_dead(proc.pid, metrics_dir)  # its gauges leave the sums
                time.sleep(0.5)
                procs[i] = start(i)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + args.drain + 10
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
