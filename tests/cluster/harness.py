"""Real daphne processes sharing one Redis and one PostgreSQL database, and a client for them.

Each `Cluster` gets a Redis key prefix of its own; the database is created afresh (and
migrated) once per test session. Processes are named ("A", "B", ...) and listen on ports of
their own, so a test chooses which process each client talks to.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import websockets

from game import protocol
from game.engine.delta import apply
from tests.liveserver import HTTP_TIMEOUT_S, free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def fresh_database(base_url: str, name: str) -> str:
    """Create the database ``name`` (afresh) on the server of ``base_url``; returns its URL."""
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(base_url)._replace(path="/" + name))


def cluster_database(base_url: str) -> str:
    """Create (afresh) and migrate the database the cluster's processes share."""
    url = fresh_database(base_url, f"gs_cluster_{os.getpid()}")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "gameserver.settings", "DEBUG": "1"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True, timeout=180)
    return url


def drop_database(url: str) -> None:
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


class Cluster:
    def __init__(self, tmp_path: Path, database_url: str, redis_url: str, **env: str) -> None:
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.redis_url = redis_url
        self.prefix = f"gstest:{uuid.uuid4().hex[:8]}:"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GAME_")},
            "DATABASE_URL": database_url, "REDIS_URL": redis_url, "GAME_CLUSTER_PREFIX": self.prefix,
            "DJANGO_SETTINGS_MODULE": "gameserver.settings", "DEBUG": "1", "PYTHONUNBUFFERED": "1",
            "GAME_LEASE_TTL_S": os.environ.get("CLUSTER_TEST_LEASE_TTL_S", "1.5"), "GAME_COUNTDOWN_S": "0.2",
            "GAME_RECONNECT_GRACE_S": "20",
            "GAME_MAX_CONNECTIONS_PER_ADDRESS": "10000", "GAME_DRAIN_S": "2", "METRICS_TOKEN": "cluster-test", **env}
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.logs: dict[str, object] = {}

    def start(self, name: str) -> str:
        port = free_port()
        log = open(self.tmp_path / f"daphne-{name}.log", "wb")  # noqa: SIM115 (the server's output; closed in close())
        proc = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                 "gameserver.asgi:application"], cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self.procs[name], self.ports[name], self.logs[name] = proc, port, log
        wait_healthy(self.http(name), proc, log, f"daphne {name}")
        return self.http(name)

    def http(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def ws(self, name: str, code: str, query: str = "") -> str:
        return f"ws://127.0.0.1:{self.ports[name]}/ws/lobby/{code}/?{query}"

    def log(self, name: str) -> str:
        self.logs[name].flush()
        return (self.tmp_path / f"daphne-{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(timeout=10)

    def terminate(self, name: str) -> subprocess.Popen:
        self.procs[name].send_signal(signal.SIGTERM)
        return self.procs[name]

    def get(self, name: str, path: str) -> dict:
        with urllib.request.urlopen(self.http(name) + path, timeout=HTTP_TIMEOUT_S) as reply:
            return json.loads(reply.read())

    def metrics(self, name: str) -> dict[str, float]:
        request = urllib.request.Request(self.http(name) + "/metrics",
                                         headers={"Authorization": "Bearer cluster-test"})
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as reply:
            lines = reply.read().decode().splitlines()
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines if not line.startswith("#")}

    def create_lobby(self, proc: str, **body) -> dict:
        request = urllib.request.Request(self.http(proc) + "/api/lobbies", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as reply:
            return json.loads(reply.read())

    def query(self, sql: str, *args) -> list[tuple]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(sql, args).fetchall()

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        for log in self.logs.values():
            log.close()


class Player:
    """A websocket client that records every frame it gets (in a background task)."""

    def __init__(self, url: str, origin: str) -> None:
        self.url, self.origin = url, origin
        self.frames: list[dict] = []
        self.welcome: dict | None = None
        self.close_code: int | None = None
        self.ws = None
        self.task: asyncio.Task | None = None
        self.changed = asyncio.Event()

    async def connect(self, url: str | None = None) -> Player:
        self.url = url or self.url
        self.close_code = None
        self.ws = await websockets.connect(self.url, origin=self.origin)
        self.task = asyncio.get_running_loop().create_task(self._read(self.ws))
        return self

    def _received(self, data: bytes) -> None:
        """A message's bytes as they came off the socket (kept by a subclass that reads them)."""

    async def _read(self, ws) -> None:
        try:
            async for data in ws:
                self._received(data)
                frame = protocol.decode_server(data)
                frame["_at"] = time.monotonic()
                if frame["k"] == "welcome":
                    self.welcome = frame
                self.frames.append(frame)
                self.changed.set()
        except websockets.ConnectionClosed:
            pass
        self.close_code = ws.close_code
        self.changed.set()

    async def until(self, predicate, timeout: float = 10.0, since: int = 0) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.frames[since:]:
                    if predicate(frame):
                        return frame
                if self.close_code is not None:
                    raise AssertionError(f"closed with {self.close_code} while waiting")
                self.changed.clear()
                await self.changed.wait()

    async def event(self, type_: str, timeout: float = 10.0, since: int = 0) -> dict:
        frame = await self.until(lambda f: f["k"] == "event" and any(e["type"] == type_ for e in f["e"]),
                                 timeout, since)
        return next(e for e in frame["e"] if e["type"] == type_)

    async def closed(self, timeout: float = 10.0) -> int:
        async with asyncio.timeout(timeout):
            while self.close_code is None:
                self.changed.clear()
                await self.changed.wait()
        return self.close_code

    async def send(self, kind: str, **fields) -> None:
        await self.ws.send(protocol.encode_client(kind, **fields))

    async def resume(self, url: str) -> dict:
        """Reconnect as a browser does after a non-final close: with the seat's resume token."""
        token = self.welcome["resume"]
        start = len(self.frames)
        await self.connect(url + ("&" if "?" in url else "?") + f"resume={token}")
        return await self.until(lambda f: f["k"] == "welcome", since=start)

    def states(self) -> list[dict]:
        return [f for f in self.frames if f["k"] in ("full", "delta")]

    def views(self) -> dict[int, dict]:
        """The game as this client rebuilds it, tick by tick (fulls, then deltas applied)."""
        view, out = None, {}
        for frame in self.states():
            if frame["k"] == "full":
                view = frame["s"]
            elif view is not None:
                view = apply(view, frame["s"])
            else:
                continue
            out[frame["tick"]] = view
        return out

    async def disconnect(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)
