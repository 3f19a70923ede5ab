"""A soak run: bots that play short matches while misbehaving, then a check of what was saved.

Bots on 127.0.0.1 play back-to-back short matches (the host rematches), and at random moments
drop their connection and resume it with their token, send malformed frames, or flood inputs.
At the end every match announced by a ``match_over`` event must be in the database exactly
once (through the matches API), and the server's memory is reported.
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

from game.protocol import PROTOCOL_VERSION


def _pack(kind: str, **fields) -> bytes:
    return msgpack.packb({"v": PROTOCOL_VERSION, "k": kind, **fields})


@dataclass
class SoakFigures:
    matches_seen: set[str] = field(default_factory=set)
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
                    if event["type"] == "match_over":
                        self.figures.matches_seen.add(event["match"])

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


def _saved_matches(base: str, code: str) -> list[str]:
    return [m["id"] for m in _get(f"{base}/api/lobbies/{code}/matches?limit=500")["matches"]]


def _ended_matches(base: str, code: str) -> int:
    """How many matches the lobby's loop ended (and handed to the writer)."""
    return _get(f"{base}/api/lobbies/{code}")["stats"]["matches_ended"]


async def _settled(base: str, codes: list[str], timeout_s: float = 30.0) -> None:
    """Wait until no lobby has a match running (the bots are gone: seats are released after
    the grace and a match left with fewer than two players ends), then for the writer."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        phases = [_get(f"{base}/api/lobbies/{code}")["lobby"]["phase"] for code in codes]
        if not {"countdown", "playing"} & set(phases):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(1.0)


async def soak(base: str, *, lobbies: int, players: int, duration_s: float, seed: int, chaos: float) -> dict:
    rng = random.Random(seed)
    created = [_post(base, {"game": "arena", "name": f"soak {i}", "tick_rate": 20,
                            "settings": {"time_limit_s": 3, "score_limit": 50}}) for i in range(lobbies)]
    figures = SoakFigures()
    deadline = time.time() + duration_s
    bots = [SoakBot(base, c["code"], f"soak{p}", c["host_token"] if p == 0 else None, figures,
                    random.Random(rng.random()), deadline, chaos)
            for c in created for p in range(players)]
    await asyncio.gather(*(bot.run() for bot in bots))
    await _settled(base, [c["code"] for c in created])
    ended = sum(_ended_matches(base, c["code"]) for c in created)
    saved = [m for c in created for m in _saved_matches(base, c["code"])]
    return {"lobbies": lobbies, "bots": len(bots), "matches_seen": len(figures.matches_seen),
            "matches_ended": ended, "matches_saved": len(saved),
            "saved_once": len(saved) == len(set(saved)) == ended,
            "all_seen_saved": figures.matches_seen <= set(saved), "reconnects": figures.reconnects,
            "resumed": figures.resumed, "bad_frames": figures.bad_frames, "floods": figures.floods,
            "closes": figures.closes, "client_errors": figures.errors[:5]}
