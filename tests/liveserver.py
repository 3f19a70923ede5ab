"""Start the real server (daphne, as `make run` does, or uvicorn with the game's websocket
protocol, as `make run-uvicorn` does) in a subprocess for end-to-end tests."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

# The servers started as the bench (and the Makefile) start them.
from game.loadtest.bench import server_command

ROOT = Path(__file__).resolve().parent.parent
# A cap on a test request to a test server, which answers at once unless the machine is loaded.
HTTP_TIMEOUT_S = 30


# Migrated SQLite files, one per project copy and state of its migrations, made once per test
# run: `manage.py migrate` on a fresh file takes seconds (most of it waiting on the disk for each
# migration's commit), a copy of the migrated file milliseconds, and a run starts dozens of servers.
_TEMPLATES = tempfile.TemporaryDirectory(prefix="game-test-db-")


def migrated_database(path: Path, env: dict[str, str], root: Path = ROOT) -> None:
    """Make ``path`` a migrated SQLite database of the project at ``root`` (a copy of one
    migrated once for the whole run)."""
    digest = hashlib.sha256(str(root).encode())
    for migration in sorted(root.glob("*/migrations/*.py")):
        digest.update(migration.read_bytes())
    template = Path(_TEMPLATES.name) / f"{digest.hexdigest()[:16]}.sqlite3"
    if not template.exists():
        made = template.with_suffix(".making")
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                       cwd=root, env={**env, "SQLITE_PATH": str(made)}, check=True, timeout=120)
        made.rename(template)
    shutil.copyfile(template, path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(tmp_path: Path, kind: str = "daphne", *, root: Path = ROOT, **env_overrides: str):
    """Migrate a fresh SQLite file and run daphne (or ``kind``) on it; yields the base http URL.

    The embedded defaults are used whatever the environment says (no Redis, no PostgreSQL).
    ``root``: the project to serve (another copy of it, say).
    """
    with live_server_process(tmp_path, kind, root=root, **env_overrides) as (base, _proc):
        yield base


@contextmanager
def live_server_process(tmp_path: Path, kind: str = "daphne", *, root: Path = ROOT, **env_overrides: str):
    """`live_server`, yielding ``(base URL, the server's Popen)``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DEBUG": "1", "SQLITE_PATH": str(tmp_path / "live.sqlite3"),
                "GAME_MAX_CONNECTIONS_PER_ADDRESS": "10000",
                "DJANGO_SETTINGS_MODULE": "gameserver.settings", "PYTHONUNBUFFERED": "1",
                "GAME_DRAIN_S": "1"})  # teardown stops the server mid-match: do not wait for it
    env.update(env_overrides)
    migrated_database(Path(env["SQLITE_PATH"]), env, root)
    log = open(tmp_path / f"{kind}.log", "wb")  # noqa: SIM115 (the server's output for its life; closed below)
    proc = subprocess.Popen(server_command(kind, port, tick_rate=20), cwd=root, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, log, kind)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_healthy(base: str, proc: subprocess.Popen, log: BinaryIO, what: str, timeout_s: float = 90.0) -> None:
    """Poll ``base``/healthz until it answers 200; raise with the server's output (``log``, the
    file it writes to) if ``proc`` exits first or ``timeout_s`` passes (a cap for a loaded
    machine: at load 30 daphne took over 30 s to start)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = Path(log.name).read_text(errors="replace")
                raise RuntimeError(f"{what} did not start:\n{output}") from None
            time.sleep(0.1)


@contextmanager
def run_cluster(tmp_path: Path, env: dict[str, str], processes: int, *args: str):
    """`make run-cluster` (``python -m game.cluster.run``) with ``processes`` workers on a free
    port, ``args`` added, in ``env``; waits for /healthz (120 s at most) and yields ``(base URL,
    Popen)``; stops it with SIGTERM (SIGKILL after 30 s) on the way out. Its output goes to
    ``tmp_path``/cluster.log."""
    port = free_port()
    log = open(tmp_path / "cluster.log", "wb")  # noqa: SIM115 (the cluster's output for its life; closed below)
    proc = subprocess.Popen([sys.executable, "-m", "game.cluster.run", "--processes", str(processes),
                             "--port", str(port), *args], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, log, "run-cluster", timeout_s=120)
        yield base, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def create_lobby(base: str, **body) -> dict:
    request = urllib.request.Request(base + "/api/lobbies", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as reply:
        return json.loads(reply.read())
