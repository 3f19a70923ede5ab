"""Bot clients of one process: create lobbies, join them, play, and measure every frame."""

from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.request
from dataclasses import dataclass, field

import msgpack
from websockets.asyncio.client import connect

PROTOCOL_VERSION = 1
SHOTS_PER_S = 2.0  # how often a bot pulls the trigger, whatever its input rate


@dataclass
class Plan:
    url: str
    lobbies: int
    players: int
    spectators: int
    tick_rate: int
    duration_s: float
    warmup_s: float
    game: str
    input_rate: float  # inputs per second per player; default: the tick rate
    baseline: bool = False  # the bare websockets server: no HTTP API, lobbies made on connect
    spread: bool = False  # several servers: each lobby's players spread over them, not on its creator

    @property
    def urls(self) -> list[str]:
        """The servers under test (``url`` may name several, comma-separated: one cluster)."""
        return [u.strip().rstrip("/") for u in self.url.split(",") if u.strip()]


@dataclass
class Figures:
    """What one process measured inside the measuring window."""

    latencies_ms: list[float] = field(default_factory=list)
    gaps_ms: list[float] = field(default_factory=list)
    frames: int = 0
    bytes: int = 0
    clients: int = 0
    expected_frames: float = 0.0
    per_second: dict[int, int] = field(default_factory=dict)  # second of window -> frames
    inputs_sent: int = 0  # inside the window
    inputs_due: float = 0.0
    errors: list[str] = field(default_factory=list)
    closed: int = 0
    cpu_fraction: float = 0.0


def _pack(kind: str, **fields) -> bytes:
    return msgpack.packb({"v": PROTOCOL_VERSION, "k": kind, **fields})


def create_lobby(plan: Plan, index: int) -> dict:
    """Create lobby ``index`` on server ``index`` (round robin over ``plan.urls``)."""
    base = plan.urls[index % len(plan.urls)]
    if plan.baseline:
        return {"code": f"BASE{index:04d}", "host_token": None, "index": index, "base": base}
    settings = {"arena": {"score_limit": 3600, "time_limit_s": 3600},
                "pong": {"score_limit": 3600, "time_limit_s": 3600}}.get(plan.game, {})
    body = {"game": plan.game, "name": f"load {index}", "max_players": plan.players,
            "tick_rate": plan.tick_rate, "settings": settings}
    request = urllib.request.Request(base + "/api/lobbies", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as reply:
        return {**json.loads(reply.read()), "index": index, "base": base}


class Bot:
    """One websocket client. Players send inputs; everyone measures state frames."""

    def __init__(self, plan: Plan, code: str, role: str, name: str, token: str | None, window: "Window",
                 figures: Figures, *, server: str | None = None) -> None:
        server = server or plan.urls[0]
        base = server.replace("http://", "ws://").replace("https://", "wss://")
        self.ws_url = f"{base}/ws/lobby/{code}/?role={role}&name={name}" + (f"&token={token}" if token else "")
        self.origin = server
        self.plan, self.role, self.window, self.figures = plan, role, window, figures
        self.is_host = token is not None
        self.playing = asyncio.Event()
        self.lobby: dict = {}
        self.last_frame_at: float | None = None

    async def run(self) -> None:
        try:
            async with connect(self.ws_url, origin=self.origin, max_size=2**20, compression=None,
                               ping_interval=None, open_timeout=30) as ws:
                tasks = [asyncio.create_task(self._read(ws))]
                if self.role == "player":
                    tasks.append(asyncio.create_task(self._play(ws)))
                await asyncio.wait(tasks, timeout=self.window.end - time.time() + 1)
                for task in tasks:
                    task.cancel()
                if ws.close_code is not None and time.time() < self.window.end:
                    self.figures.errors.append(f"closed by the server with {ws.close_code} {ws.close_reason}")
        except Exception as exc:  # a bot failing is a figure, not a crash of the tester
            self.figures.errors.append(f"{type(exc).__name__}: {exc}"[:200])

    async def _read(self, ws) -> None:
        async for data in ws:
            now = time.time() * 1000.0
            frame = msgpack.unpackb(data, strict_map_key=False)
            kind = frame.get("k")
            if kind in ("full", "delta"):
                self._measure(frame, data, now)
            elif kind in ("welcome", "lobby"):
                self.lobby = frame["lobby"]
                if self.lobby["phase"] in ("countdown", "playing"):
                    self.playing.set()
                if self.is_host and self.lobby["phase"] == "waiting":
                    await self._maybe_start(ws)
            elif kind == "event" and not self.is_host:
                pass
            if kind == "welcome" and self.role == "player" and not self.is_host:
                await ws.send(_pack("ready", ready=True))

    async def _maybe_start(self, ws) -> None:
        players = [m for m in self.lobby["members"] if m["role"] == "player"]
        ready = all(m["ready"] for m in players if m["id"] != self.lobby["host"])
        if len(players) >= self.plan.players and ready:
            await ws.send(_pack("start"))

    def _measure(self, frame: dict, data: bytes, now: float) -> None:
        if not self.window.inside(now / 1000.0):
            self.last_frame_at = now
            return
        figures = self.figures
        figures.frames += 1
        figures.bytes += len(data)
        figures.latencies_ms.append(now - frame["time"])
        if self.last_frame_at is not None:
            figures.gaps_ms.append(now - self.last_frame_at)
        second = int(now / 1000.0 - self.window.start)
        figures.per_second[second] = figures.per_second.get(second, 0) + 1
        self.last_frame_at = now

    async def _play(self, ws) -> None:
        await self.playing.wait()
        period = 1.0 / (self.plan.input_rate or self.plan.tick_rate)
        fire_chance = min(1.0, SHOTS_PER_S * period)  # the same play at any input rate
        rng = random.Random()
        seq, mx, my = 0, 0.0, 0.0
        next_at = time.monotonic()
        while time.time() < self.window.end:
            if rng.random() < 0.05:
                mx, my = rng.choice((-1, 0, 1)), rng.choice((-1, 0, 1))
            seq += 1
            if self.window.inside(time.time()):
                self.figures.inputs_sent += 1
            await ws.send(_pack("input", seq=seq, d={"mx": mx, "my": my, "aim": rng.uniform(-3.14, 3.14),
                                                      "fire": rng.random() < fire_chance}))
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


@dataclass
class Window:
    """The measuring window, in wall-clock seconds."""

    start: float
    end: float

    def inside(self, t: float) -> bool:
        return self.start <= t < self.end


async def run_lobbies(plan: Plan, lobbies: list[dict], window: Window) -> Figures:
    """Connect and run every bot of ``lobbies``; returns this process's figures."""
    figures = Figures()
    bots: list[Bot] = []
    for lobby in lobbies:
        code, token = lobby["code"], lobby["host_token"]
        urls, first = plan.urls, lobby.get("index", 0)

        def server(i: int) -> str:  # the lobby's creator (its owner), or spread over all servers
            return urls[(first + i) % len(urls)] if plan.spread else lobby.get("base", urls[0])
        for i in range(plan.players):
            bots.append(Bot(plan, code, "player", f"bot{i}", token if i == 0 else None, window, figures,
                            server=server(i)))
        for i in range(plan.spectators):
            bots.append(Bot(plan, code, "spectator", f"watch{i}", None, window, figures,
                            server=server(plan.players + i)))
    figures.clients = len(bots)
    figures.expected_frames = len(bots) * plan.duration_s * plan.tick_rate
    players = sum(1 for bot in bots if bot.role == "player")
    figures.inputs_due = players * plan.duration_s * (plan.input_rate or plan.tick_rate)
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.gather(*(bot.run() for bot in bots))
    figures.cpu_fraction = (time.process_time() - cpu0) / max(1e-6, time.monotonic() - wall0)
    return figures
