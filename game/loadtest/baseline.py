"""The Python floor for comparison: a bare `websockets` server with in-process fan-out.

It speaks just enough of the game protocol for the load tester's bots (welcome, state
frames with ``tick``/``time``, inputs moving a player) and does the least work per frame
Python allows: one encode per lobby per tick and `websockets.broadcast`. Lobbies are made
on first connection (the load tester's ``--baseline`` mode skips the HTTP API).

    python -m game.loadtest.baseline --port 8799
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time

import msgpack
from websockets.asyncio.server import broadcast, serve

from game.protocol import PROTOCOL_VERSION


class Lobby:
    def __init__(self, tick_rate: int) -> None:
        self.period = 1.0 / tick_rate
        self.members: dict[object, int] = {}  # connection -> player id
        self.positions: dict[int, list[float]] = {}
        self.controls: dict[int, tuple[float, float]] = {}
        self.last_processed_input: dict[int, int] = {}
        self.next_id = 1
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        start, n = time.monotonic(), 0
        while self.members:
            n += 1
            await asyncio.sleep(max(0.0, start + n * self.period - time.monotonic()))
            for pid, (mx, my) in self.controls.items():
                pos = self.positions[pid]
                pos[0] = min(1582.0, max(18.0, pos[0] + mx * 260 * self.period))
                pos[1] = min(882.0, max(18.0, pos[1] + my * 260 * self.period))
            entities = {f"p{pid}": {"x": round(x, 1), "y": round(y, 1), "a": 0.5, "hp": 100, "s": 0, "k": 0,
                                    "d": 0, "al": True} for pid, (x, y) in self.positions.items()}
            frame = msgpack.packb({"v": PROTOCOL_VERSION, "k": "delta", "tick": n, "time": int(time.time() * 1000),
                                   "base": n - 1, "s": {"e": entities},
                                   "last_processed_input": self.last_processed_input},
                                  use_single_float=True)
            broadcast(self.members, frame)


LOBBIES: dict[str, Lobby] = {}


async def handler(ws, tick_rate: int) -> None:
    code = ws.request.path.strip("/").split("/")[2] if ws.request.path.count("/") >= 3 else "default"
    lobby = LOBBIES.setdefault(code, Lobby(tick_rate))
    pid = lobby.next_id
    lobby.next_id += 1
    lobby.members[ws] = pid
    lobby.positions[pid] = [100.0 + 50 * pid, 100.0]
    lobby.controls[pid] = (0.0, 0.0)
    await ws.send(msgpack.packb({"v": PROTOCOL_VERSION, "k": "welcome", "you": pid, "role": "player", "host": False,
                                 "lobby": {"phase": "playing", "members": [], "host": None}}))
    if lobby.task is None or lobby.task.done():
        lobby.task = asyncio.get_running_loop().create_task(lobby.run())
    try:
        async for data in ws:
            msg = msgpack.unpackb(data)
            if isinstance(msg, dict) and msg.get("k") == "input" and isinstance(msg.get("d"), dict):
                d = msg["d"]
                mx, my = float(d.get("mx", 0)), float(d.get("my", 0))
                length = math.hypot(mx, my)
                lobby.controls[pid] = (mx / length, my / length) if length > 1 else (mx, my)
                lobby.last_processed_input[pid] = msg.get("input_seq", 0)
    finally:
        del lobby.members[ws]
        lobby.positions.pop(pid, None)
        lobby.controls.pop(pid, None)
        lobby.last_processed_input.pop(pid, None)
        if not lobby.members:
            LOBBIES.pop(code, None)


async def main(port: int, tick_rate: int) -> None:
    async with serve(lambda ws: handler(ws, tick_rate), "127.0.0.1", port, compression=None,
                     ping_interval=None, max_size=4096):
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--tick-rate", type=int, default=20)
    args = parser.parse_args()
    try:
        import uvloop
        uvloop.run(main(args.port, args.tick_rate))
    except ImportError:
        asyncio.run(main(args.port, args.tick_rate))
