"""The soak's chaos mode: kill -9 a random worker of ``make run-cluster`` every few seconds.

`game.cluster.run` (the supervisor) starts N daphne workers on one socket and starts another
when one dies. `Killer` finds the supervisor serving a port (or is given its pid), and every
``every_s`` seconds SIGKILLs one of its workers at random, then waits for the supervisor to
have N workers again, which it notes as a restart with its latency. Only the children of that
one supervisor are ever signalled.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from pathlib import Path

PROC = Path("/proc")


def _cmdline(pid: int) -> list[str]:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _ppid(pid: int) -> int | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def find_supervisor(port: int) -> int | None:
    """The pid of the `game.cluster.run` serving ``port`` on this machine, if exactly one does."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        args = _cmdline(int(entry.name))
        if "game.cluster.run" in args and "--port" in args:
            at = args.index("--port")
            if at + 1 < len(args) and args[at + 1] == str(port):
                found.append(int(entry.name))
    return found[0] if len(found) == 1 else None


def workers(supervisor: int) -> list[int]:
    """The supervisor's live worker processes (its children)."""
    out = []
    for entry in PROC.iterdir():
        if (entry.name.isdigit() and _ppid(int(entry.name)) == supervisor
                and "gameserver.rundaphne" in " ".join(_cmdline(int(entry.name)))):
            out.append(int(entry.name))
    return sorted(out)


class Killer:
    """Kills one worker at random every ``every_s`` seconds until ``deadline`` (time.time())."""

    def __init__(self, supervisor: int, every_s: float, rng: random.Random, *, restart_timeout_s: float = 30.0) -> None:
        self.supervisor = supervisor
        self.every_s = every_s
        self.rng = rng
        self.restart_timeout_s = restart_timeout_s
        self.kills = 0
        self.restarts = 0
        self.restart_s: list[float] = []
        self.last_kill_at: float | None = None  # time.time() of the last kill
        self.log: list[str] = []

    async def run(self, deadline: float) -> None:
        size = len(workers(self.supervisor))
        while time.time() + self.every_s < deadline:
            await asyncio.sleep(self.every_s)
            alive = workers(self.supervisor)
            if not alive:
                self.log.append("no worker to kill")
                continue
            victim = self.rng.choice(alive)
            os.kill(victim, signal.SIGKILL)
            killed = time.monotonic()
            self.kills += 1
            self.last_kill_at = time.time()
            self.log.append(f"killed worker {victim}")
            while time.monotonic() - killed < self.restart_timeout_s:
                now = workers(self.supervisor)
                if victim not in now and len(now) >= size:
                    self.restarts += 1
                    self.restart_s.append(time.monotonic() - killed)
                    break
                await asyncio.sleep(0.1)
            else:
                self.log.append(f"worker {victim} was not replaced within {self.restart_timeout_s:.0f} s")
