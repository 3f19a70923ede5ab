"""Where a connection's memory goes: a server in this process (`make run`'s daphne with
``--server daphne``, `make run-uvicorn`'s uvicorn by default), the load tester's bots in
another, and what connecting them added, per client.

    python -m game.loadtest.peers.memory --server daphne --lobbies 20

Under tracemalloc (the default), the Python allocations they added, by source file (what RSS
cannot say; RSS also holds what the C libraries and the allocator keep, which tracemalloc does
not see). With ``--rss`` no tracemalloc: the server's RSS idle and with the clients, per client
(what docs/benchmarks.md's memory target counts). One lobby plays for a few seconds and leaves
before the idle figures are taken (``--warmup-s``), so that what the first connection imports
or caches once is not counted per client.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path
from typing import Any

from game.loadtest.bench import ROOT, _port
from game.loadtest.server import ServerProbe

SITE = str(Path(os.__file__).parent)
MAX_SIZE = "65536"  # what `make run` and `make run-uvicorn` pass


def _where(filename: str) -> str:
    for prefix in (str(ROOT) + "/", SITE + "/site-packages/", SITE + "/"):
        if filename.startswith(prefix):
            return filename[len(prefix):]
    return filename


def _bots(base: str, lobbies: int, players: int, spectators: int, duration: float, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "loadtest", "--url", base, "--lobbies", str(lobbies), "--players", str(players),
         "--spectators", str(spectators), "--duration", str(duration), "--warmup", "2", "--quiet",
         "--json", str(out)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _measure(base: str, lobbies: int, players: int, spectators: int, top: int, workdir: Path,
                   play_s: float, warmup_s: float, traced: bool, group: str = "filename") -> dict:
    await asyncio.to_thread(lambda: urllib.request.urlopen(base + "/healthz", timeout=10).read())
    if warmup_s > 0:  # one lobby connects, plays and leaves: what is made once is made now
        warm = _bots(base, 1, players, spectators, warmup_s, workdir / "memory-warmup.json")
        await asyncio.to_thread(warm.wait)
        deadline = time.monotonic() + 15
        while _connected() and time.monotonic() < deadline:  # noqa: ASYNC110 -- a count, no event
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)
    clients = lobbies * (players + spectators)
    gc.collect()
    rss = ServerProbe(os.getpid())
    idle_rss = rss._rss_bytes()
    before = tracemalloc.take_snapshot() if traced else None
    connect_s = 60 + clients / 10  # how long they may take to connect (tracemalloc slows all; a busy machine more)
    duration = play_s + connect_s  # long enough to be caught connected and playing: stopped once measured
    bots = _bots(base, lobbies, players, spectators, duration, workdir / "memory-bots.json")
    deadline = time.monotonic() + connect_s
    while _connected() < clients and time.monotonic() < deadline:  # noqa: ASYNC110 -- a count, no event
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # the matches under way
    connected = _connected()
    gc.collect()
    during = tracemalloc.take_snapshot() if traced else None
    loaded_rss = rss._rss_bytes()
    bots.terminate()
    await asyncio.to_thread(bots.wait)
    per = max(1, connected)
    figures: dict[str, Any] = {
        "clients": clients, "connected": connected, "traced": traced,
        "rss_idle_bytes": idle_rss, "rss_loaded_bytes": loaded_rss,
        "rss_added_bytes_per_client": int((loaded_rss - idle_rss) / per),
        "rss_bytes_per_client": int(loaded_rss / per)}
    if before is not None and during is not None:
        stats = during.compare_to(before, group)
        where = (lambda frame: f"{_where(frame.filename)}:{frame.lineno}") if group == "lineno" else \
            (lambda frame: _where(frame.filename))
        figures.update({
            "traced_bytes_per_client": int(sum(s.size_diff for s in stats) / per),
            "note": "RSS under tracemalloc, which keeps a record of every block: read the traced figures",
            "top": [{"file": where(s.traceback[0]),
                     "bytes_per_client": int(s.size_diff / per),
                     "blocks_per_client": round(s.count_diff / per, 1)} for s in stats[:top]]})
    return figures


def _connected() -> int:
    """Sockets open on this process's server now (the runtime counts them per address)."""
    from game.runtime import get_runtime

    return sum(get_runtime().connections.values())


def _run_uvicorn(measuring) -> dict:
    import uvicorn

    async def main() -> dict:
        port = _port()
        config = uvicorn.Config("gameserver.asgi:application", host="127.0.0.1", port=port, loop="none",
                                ws="gameserver.wsprotocol:GameWebSocketProtocol", ws_max_size=int(MAX_SIZE),
                                http="gameserver.wsprotocol:GameH11Protocol", ws_per_message_deflate=False,
                                log_level="warning", access_log=False, proxy_headers=False)
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 -- uvicorn sets a flag, no event to wait on
            await asyncio.sleep(0.1)
        try:
            return await measuring(f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            await serving

    try:
        import uvloop
        return uvloop.run(main())
    except ImportError:
        return asyncio.run(main())


def _run_daphne(measuring) -> dict:
    """`make run`'s server as `gameserver.rundaphne` starts it, measured from inside its loop."""
    # Named, as uvicorn's classes are above: the game does not import the server's package.
    rundaphne = importlib.import_module("gameserver.rundaphne")
    port = _port()
    argv = ["-v", "0", "-b", "127.0.0.1", "-p", str(port), "--websocket-max-message-size", MAX_SIZE,
            "--websocket-max-frame-size", MAX_SIZE, "gameserver.asgi:application"]
    command_line = rundaphne.prepare(argv)
    from twisted.internet import reactor

    done: dict[str, Any] = {}

    def finished(task: asyncio.Task) -> None:
        done["task"] = task
        reactor.stop()

    def begin() -> None:
        asyncio.ensure_future(measuring(f"http://127.0.0.1:{port}")).add_done_callback(finished)

    reactor.callWhenRunning(begin)
    command_line().run(argv)
    return done["task"].result()


def measure(*, lobbies: int, players: int = 8, spectators: int = 0, top: int = 15, play_s: float = 20.0,
            server: str = "uvicorn", traced: bool = True, warmup_s: float = 4.0, group: str = "filename") -> dict:
    """Start a server here with its own database, connect the bots, return the figures."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    os.environ.update({"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings", "GAME_LOG_LEVEL": "ERROR",
                       "SQLITE_PATH": str(workdir / "memory.sqlite3"), "GAME_COUNTDOWN_S": "0.5",
                       "GAME_MAX_CONNECTIONS_PER_ADDRESS": "100000", "GAME_MAX_LOBBIES_PER_ADDRESS": "100000",
                       "GAME_HANDSHAKES_PER_ADDRESS": "100000"})
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)

    def measuring(base: str):
        return _measure(base, lobbies, players, spectators, top, workdir, play_s, warmup_s, traced, group)

    if traced:
        tracemalloc.start()
    try:
        figures = (_run_daphne if server == "daphne" else _run_uvicorn)(measuring)
    finally:
        if traced:
            tracemalloc.stop()
    return {"server": server, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=("uvicorn", "daphne"), default="uvicorn",
                        help="daphne: `make run`'s server; uvicorn: `make run-uvicorn`'s")
    parser.add_argument("--lobbies", type=int, default=20)
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--spectators", type=int, default=0, help="per lobby")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--play-s", type=float, default=20.0, help="how long the bots play (more while they connect)")
    parser.add_argument("--warmup-s", type=float, default=4.0, help="one lobby plays this long first (0: none)")
    parser.add_argument("--rss", action="store_true", help="no tracemalloc: RSS figures only")
    parser.add_argument("--by-line", action="store_true", help="traced bytes by source line, not by file")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    figures = measure(lobbies=args.lobbies, players=args.players, spectators=args.spectators, top=args.top,
                      play_s=args.play_s, server=args.server, traced=not args.rss, warmup_s=args.warmup_s,
                      group="lineno" if args.by_line else "filename")
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
