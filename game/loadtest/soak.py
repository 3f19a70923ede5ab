"""A soak run: bots that play short matches while misbehaving, then a check of what was saved.

Bots on 127.0.0.1 play back-to-back short matches (the host rematches), and at random moments
drop their connection and resume it with their token, send malformed frames, or flood inputs.
In chaos mode (``kill_every``) a worker of ``make run-cluster`` is killed with SIGKILL every
few seconds (game.loadtest.chaos); the bots reconnect through the shared port as browsers do.

What the run learned goes into `SoakFacts` (game.loadtest.verdict): the matches the bots saw
start and end, whichever process told them. The database is read afterwards
(`verdict.database_facts`) and the verdict compares the two; no figure comes from a server
process's own statistics, which only a lobby's current owner has.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.request
from dataclasses import dataclass, field

import msgpack
from websockets.asyncio.client import connect

from game.loadtest.chaos import Killer
from game.loadtest.verdict import SoakFacts
from game.protocol import PROTOCOL_VERSION


def _pack(kind: str, **fields) -> bytes:
    return msgpack.packb({"v": PROTOCOL_VERSION, "k": kind, **fields})


@dataclass
class SoakFigures:
    matches_seen: set[str] = field(default_factory=set)  # match_over seen
    started: dict[str, float] = field(default_factory=dict)  # match id -> time.time() of its first match_start
    over: dict[str, str] = field(default_factory=dict)  # match id -> "status/reason" of its match_over
    reconnects: int = 0
    resumed: int = 0
    bad_frames: int = 0
    floods: int = 0
    closes: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class SoakBot:
    def __init__(self, base: str, code: str, name: str, token: str | None, figures: SoakFigures,
                 rng: random.Random, deadline: float, chaos: float) -> None:
        self.base, self.code, self.name, self.token = base, code, name, token
        self.figures, self.rng, self.deadline, self.chaos = figures, rng, deadline, chaos
        self.resume: str | None = None
        self.lobby: dict = {}
        self.me: int | None = None

    def _url(self) -> str:
        ws = self.base.replace("http://", "ws://")
        query = f"name={self.name}" + (f"&token={self.token}" if self.token else "")
        query += f"&resume={self.resume}" if self.resume else ""
        return f"{ws}/ws/lobby/{self.code}/?{query}"

    async def run(self) -> None:
        while time.time() < self.deadline:
            try:
                await self._session()
            except Exception as exc:
                self.figures.errors.append(f"{type(exc).__name__}: {exc}"[:160])
            self.figures.reconnects += 1
            await asyncio.sleep(self.rng.uniform(0.05, 0.5))

    async def _session(self) -> None:
        async with connect(self._url(), origin=self.base, ping_interval=None, open_timeout=10) as ws:
            reader = asyncio.create_task(self._read(ws))
            try:
                await self._act(ws, reader)
            finally:
                reader.cancel()
                code = ws.close_code
                if code:
                    self.figures.closes[code] = self.figures.closes.get(code, 0) + 1

    async def _act(self, ws, reader: asyncio.Task) -> None:
        input_seq = 0
        session_end = time.time() + self.rng.uniform(2.0, 8.0)
        while time.time() < min(session_end, self.deadline) and not reader.done():
            input_seq += 1
            roll = self.rng.random()
            if roll < 0.02 * self.chaos:
                await ws.send(self.rng.randbytes(self.rng.randint(0, 64)))
                self.figures.bad_frames += 1
            elif roll < 0.025 * self.chaos:
                for i in range(100):
                    await ws.send(_pack("input", input_seq=input_seq + i, d={"mx": 1}))
                input_seq += 100
                self.figures.floods += 1
            else:
                move = {"mx": self.rng.uniform(-1, 1), "my": self.rng.uniform(-1, 1),
                        "aim": self.rng.uniform(-3, 3), "fire": self.rng.random() < 0.3}
                await ws.send(_pack("input", input_seq=input_seq, d=move))
            await asyncio.sleep(0.05)
        # leaving the context drops the connection: a reconnect with the token follows

    async def _read(self, ws) -> None:
        async for data in ws:
            frame = msgpack.unpackb(data, strict_map_key=False)
            kind = frame.get("k")
            if kind == "welcome":
                self.resume, self.me = frame["resume"], frame["you"]
                self.figures.resumed += bool(frame["resumed"])
                self.lobby = frame["lobby"]
                await ws.send(_pack("ready", ready=True))
                await self._host_moves(ws)
            elif kind == "lobby":
                self.lobby = frame["lobby"]
                await self._host_moves(ws)
            elif kind == "event":
                for event in frame["e"]:
                    if event["type"] == "match_start":
                        self.figures.started.setdefault(event["match"], time.time())
                    elif event["type"] == "match_over":
                        self.figures.matches_seen.add(event["match"])
                        self.figures.over[event["match"]] = f"{event.get('status')}/{event.get('reason')}"

    async def _host_moves(self, ws) -> None:
        if self.lobby.get("host") != self.me:
            return
        if self.lobby["phase"] == "waiting":
            await ws.send(_pack("start"))
        elif self.lobby["phase"] == "finished":
            await ws.send(_pack("rematch"))


def _post(base: str, body: dict) -> dict:
    request = urllib.request.Request(base + "/api/lobbies", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return json.loads(reply.read())


async def _settled(base: str, codes: list[str], timeout_s: float = 30.0) -> None:
    """Wait until no lobby has a match running (the bots are gone: seats are released after
    the grace and a match left with fewer than two players ends). Any process answers (the
    lobby's summary); a worker being restarted is asked again."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            phases = [_get(f"{base}/api/lobbies/{code}")["lobby"]["phase"] for code in codes]
        except (OSError, ValueError, KeyError):
            phases = ["playing"]
        if not {"countdown", "playing"} & set(phases):
            break
        await asyncio.sleep(0.5)


async def soak(base: str, *, lobbies: int, players: int, duration_s: float, seed: int, chaos: float,
               kill_every_s: float | None = None, supervisor: int | None = None) -> tuple[dict, SoakFacts, list[str]]:
    """Run the bots (and the killer); the report, the facts for the verdict, the lobby codes."""
    rng = random.Random(seed)
    created = [_post(base, {"game": "arena", "name": f"soak {i}", "tick_rate": 20,
                            "settings": {"time_limit_s": 3, "score_limit": 50}}) for i in range(lobbies)]
    figures = SoakFigures()
    deadline = time.time() + duration_s
    bots = [SoakBot(base, c["code"], f"soak{p}", c["host_token"] if p == 0 else None, figures,
                    random.Random(rng.random()), deadline, chaos)
            for c in created for p in range(players)]
    killer = Killer(supervisor, kill_every_s, random.Random(rng.random())) if kill_every_s and supervisor else None
    await asyncio.gather(*(bot.run() for bot in bots), *([killer.run(deadline)] if killer else []))
    codes = [c["code"] for c in created]
    await _settled(base, codes)
    facts = SoakFacts(started=set(figures.started), over=dict(figures.over), resumed=figures.resumed,
                      chaos=killer is not None)
    if killer is not None:
        facts.kills, facts.restarts, facts.restart_s = killer.kills, killer.restarts, killer.restart_s
        last = killer.last_kill_at or 0.0
        facts.started_after_last_kill = sum(1 for at in figures.started.values() if at > last)
    report = {"lobbies": lobbies, "bots": len(bots), "matches_started": len(figures.started),
              "matches_seen": len(figures.matches_seen), "reconnects": figures.reconnects,
              "resumed": figures.resumed, "bad_frames": figures.bad_frames, "floods": figures.floods,
              "closes": figures.closes, "client_errors": figures.errors[:5],
              "kills": killer.log if killer else []}
    return report, facts, codes
