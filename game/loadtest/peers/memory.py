"""Where a connection's memory goes: `make run-uvicorn`'s server in this process under
tracemalloc, the load tester's bots in another, and the Python allocations that connecting them
added, per client, by source file (what RSS cannot say; RSS also holds what the C libraries and
the allocator keep, which tracemalloc does not see).

    python -m game.loadtest.peers.memory --lobbies 20 --spectators 0
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path

from game.loadtest.bench import ROOT, _port
from game.loadtest.server import ServerProbe

SITE = str(Path(os.__file__).parent)


def _where(filename: str) -> str:
    for prefix in (str(ROOT) + "/", SITE + "/site-packages/", SITE + "/"):
        if filename.startswith(prefix):
            return filename[len(prefix):]
    return filename


async def _measure(lobbies: int, players: int, spectators: int, top: int, workdir: Path, play_s: float) -> dict:
    import uvicorn

    port = _port()
    config = uvicorn.Config("gameserver.asgi:application", host="127.0.0.1", port=port, loop="none",
                            ws="gameserver.wsprotocol:GameWebSocketProtocol", ws_max_size=65536,
                            http="gameserver.wsprotocol:GameH11Protocol", ws_per_message_deflate=False,
                            log_level="warning", access_log=False, proxy_headers=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 -- uvicorn sets a flag, no event to wait on
        await asyncio.sleep(0.1)
    base = f"http://127.0.0.1:{port}"
    await asyncio.to_thread(lambda: urllib.request.urlopen(base + "/healthz", timeout=10).read())
    clients = lobbies * (players + spectators)
    gc.collect()
    rss = ServerProbe(os.getpid())
    idle_rss, before = rss._rss_bytes(), tracemalloc.take_snapshot()
    duration = play_s + clients / 20  # long enough to be caught connected and playing, tracemalloc slowing all
    bots = subprocess.Popen(  # noqa: ASYNC220 -- starting it does not block; it is waited on in a thread
        [sys.executable, "manage.py", "loadtest", "--url", base, "--lobbies", str(lobbies), "--players", str(players),
         "--spectators", str(spectators), "--duration", str(duration), "--warmup", "2", "--quiet",
         "--json", str(workdir / "memory-bots.json")],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60 + clients / 20
    while _connected() < clients and time.monotonic() < deadline:  # noqa: ASYNC110 -- a count, no event
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # the matches under way
    connected = _connected()
    gc.collect()
    during, loaded_rss = tracemalloc.take_snapshot(), rss._rss_bytes()
    stats = during.compare_to(before, "filename")
    await asyncio.to_thread(bots.wait)
    server.should_exit = True
    await serving
    per = max(1, connected)
    return {"clients": clients, "connected": connected,
            "traced_bytes_per_client": int(sum(s.size_diff for s in stats) / per),
            "rss_added_bytes_per_client": int((loaded_rss - idle_rss) / per),
            "note": "RSS under tracemalloc, which keeps a record of every block: read the traced figures",
            "top": [{"file": _where(s.traceback[0].filename), "bytes_per_client": int(s.size_diff / per),
                     "blocks_per_client": round(s.count_diff / per, 1)} for s in stats[:top]]}


def _connected() -> int:
    """Sockets open on this process's server now (the runtime counts them per address)."""
    from game.runtime import get_runtime

    return sum(get_runtime().connections.values())


def measure(*, lobbies: int, players: int = 8, spectators: int = 0, top: int = 15, play_s: float = 20.0) -> dict:
    """Start a server here with its own database, connect the bots, return the figures."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    os.environ.update({"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings", "GAME_LOG_LEVEL": "ERROR",
                       "SQLITE_PATH": str(workdir / "memory.sqlite3"), "GAME_COUNTDOWN_S": "0.5",
                       "GAME_MAX_CONNECTIONS_PER_ADDRESS": "100000", "GAME_MAX_LOBBIES_PER_ADDRESS": "100000",
                       "GAME_HANDSHAKES_PER_ADDRESS": "100000"})
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    tracemalloc.start()
    try:
        try:
            import uvloop
            return uvloop.run(_measure(lobbies, players, spectators, top, workdir, play_s))
        except ImportError:
            return asyncio.run(_measure(lobbies, players, spectators, top, workdir, play_s))
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lobbies", type=int, default=20)
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--spectators", type=int, default=0, help="per lobby")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--play-s", type=float, default=20.0, help="how long the bots play (more while they connect)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    figures = measure(lobbies=args.lobbies, players=args.players, spectators=args.spectators, top=args.top,
                      play_s=args.play_s)
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
