"""What the lean spectators can read when the server is not the limit.

A websocket server that does nothing but broadcast (every connection gets one state frame per
tick, packed as the game's server packs them, with the current time, one socket write each) is
started on core 0, and ``--spectators`` lean spectators (`game.loadtest.watchers`) watch it from
core 1: their delivered share, latency and the CPU their process used say whether the load
client keeps up with that many spectators at that rate.

    python -m game.loadtest.fanout --spectators 2000 --tick-rate 20 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import time

from game import protocol
from game.loadtest.wire import GUID


def frame(payload: bytes) -> bytes:
    n = len(payload)
    head = bytes([0x82, n]) if n < 126 else bytes([0x82, 126]) + n.to_bytes(2, "big")
    return head + payload


class Fanout(asyncio.Protocol):
    """One connection: the upgrade answered, then only written to."""

    def __init__(self, open_: set) -> None:
        self.open, self.head, self.transport = open_, b"", None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.transport in self.open:
            return  # a close frame or a pong: the test ends by closing the transport
        self.head += data
        if b"\r\n\r\n" not in self.head:
            return
        key = next(line.split(b":", 1)[1].strip() for line in self.head.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self.transport.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        self.open.add(self.transport)

    def connection_lost(self, exc) -> None:
        self.open.discard(self.transport)


async def serve(port: int, tick_rate: int) -> None:
    open_: set = set()
    loop = asyncio.get_running_loop()
    await loop.create_server(lambda: Fanout(open_), "127.0.0.1", port, backlog=4096)
    snapshot = {"e": {f"p{i}": {"x": 12.5 + i, "y": 40.1, "a": 1.57, "hp": 100} for i in range(8)}}
    tick, next_at = 0, time.monotonic()
    while True:
        tick += 1
        payload = frame(protocol.encode_delta(tick=tick, time=int(time.time() * 1000), base=tick - 1,
                                              delta=snapshot, last_processed_input={}))
        for transport in list(open_):
            transport.write(payload)
        next_at += 1 / tick_rate
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


def _run_server(port: int, tick_rate: int) -> None:
    try:
        import uvloop
        uvloop.run(serve(port, tick_rate))
    except ImportError:
        asyncio.run(serve(port, tick_rate))


def main() -> None:
    from game.loadtest.bots import Plan, Window
    from game.loadtest.report import percentile
    from game.loadtest.watchers import watch

    parser = argparse.ArgumentParser(description="Lean spectators against a server that only broadcasts.")
    parser.add_argument("--spectators", type=int, default=2000)
    parser.add_argument("--tick-rate", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server process: its port
    args = parser.parse_args()
    if args.serve:
        return _run_server(args.serve, args.tick_rate)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pin = ["taskset", "-c", "0"] if (os.cpu_count() or 1) > 1 else []
    server = subprocess.Popen([*pin, sys.executable, "-m", "game.loadtest.fanout", "--serve", str(port),
                               "--tick-rate", str(args.tick_rate)])
    try:
        if pin:
            os.sched_setaffinity(0, {1})
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        plan = Plan(url=url, lobbies=1, players=0, spectators=args.spectators, tick_rate=args.tick_rate,
                    duration_s=args.duration, warmup_s=3 + args.spectators / 1000, game="arena", input_rate=0)
        start = time.time() + plan.warmup_s
        window = Window(start, start + args.duration)
        seats = [({"code": "FANOUT", "base": url}, i) for i in range(args.spectators)]
        try:
            import uvloop
            figures = uvloop.run(watch(plan, seats, window))
        except ImportError:
            figures = asyncio.run(watch(plan, seats, window))
    finally:
        server.terminate()
        server.wait(10)
    due = args.duration * args.tick_rate
    print(json.dumps({
        "spectators": args.spectators, "tick_rate": args.tick_rate,
        "frames_per_s": round(figures.frames / args.duration),
        "delivered_ratio": round(figures.frames / (due * args.spectators), 4),
        "worst_share": min(figures.spectator_shares, default=0), "late": figures.spectators_late,
        "latency_ms_p50": round(percentile(figures.spectator_latencies_ms, 0.5), 2),
        "latency_ms_p99": round(percentile(figures.spectator_latencies_ms, 0.99), 2),
        "client_cpu": round(figures.cpu_fraction, 3), "errors": figures.errors[:3]}))


if __name__ == "__main__":
    main()
