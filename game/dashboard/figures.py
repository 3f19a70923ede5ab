"""What the staff dashboard shows: this process's lobbies, totals and matchmaking queues.

Counters (frames and bytes written) only grow, so a `Sampler` keeps the previous sample and
turns them into rates: the process's from the `Outbox` class totals, each lobby's from the
per-connection counters of its members' outboxes (a connection new since the last sample
counts from zero: everything it sent, it sent since then).
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Any

from game.engine.loop import LobbyLoop
from game.engine.outbox import TOTALS

PHASES = ("waiting", "countdown", "playing", "finished")
CHUNK = 50  # lobbies read between yields to the event loop, so no tick waits long for a sample


class Sampler:
    """Figures for one dashboard socket; rates are per second since its previous sample."""

    def __init__(self) -> None:
        self.last_at: float | None = None
        self.last_totals = (0, 0)
        self.last_conns: dict[tuple[str, int], tuple[int, int]] = {}  # (lobby, id(conn)) -> counts

    async def sample(self, *, loops: list[LobbyLoop], connections: int, saved_matches: int,
                     queues: list[dict[str, Any]], now: float) -> dict[str, Any]:
        """The ``process``, ``lobbies`` and ``queues`` of a dashboard frame at ``now`` (seconds).
        Reading a lobby's tick percentiles sorts its recent durations, so a process with many
        lobbies is read in chunks, yielding to the event loop between them."""
        elapsed = None if self.last_at is None else max(1e-3, now - self.last_at)
        conns: dict[tuple[str, int], tuple[int, int]] = {}
        lobbies = []
        for n, loop in enumerate(loops, start=1):
            if loop.lobby.phase != "closed":
                lobbies.append(self._lobby(loop, elapsed, conns))
            if n % CHUNK == 0:
                await asyncio.sleep(0)
        totals = (TOTALS.frames, TOTALS.bytes)
        frames_s, bytes_s = (_rate(totals[i] - self.last_totals[i], elapsed) for i in (0, 1))
        self.last_at, self.last_totals, self.last_conns = now, totals, conns
        phases = Counter(lobby["phase"] for lobby in lobbies)
        process = {
            "pid": os.getpid(), "lobbies": len(lobbies), "phases": {p: phases.get(p, 0) for p in PHASES},
            "players": sum(lobby["players"] for lobby in lobbies),
            "spectators": sum(lobby["spectators"] for lobby in lobbies),
            "connections": connections, "queued": sum(q["waiting"] for q in queues),
            "frames_per_s": frames_s, "bytes_per_s": bytes_s,
            "frames_total": totals[0], "bytes_total": totals[1],
            "state_frames_dropped": TOTALS.dropped_states, "matches_saved": saved_matches,
            "overruns": sum(lobby["overruns"] for lobby in lobbies),
            "tick_p99_ms_max": max((lobby["tick_p99_ms"] for lobby in lobbies), default=0.0),
        }
        return {"process": process, "lobbies": lobbies, "queues": queues}

    def _lobby(self, loop: LobbyLoop, elapsed: float | None, conns: dict) -> dict[str, Any]:
        lobby = loop.lobby
        frames = sent_bytes = 0
        for member in lobby.members.values():
            conn = member.conn
            counts = (getattr(conn, "sent_frames", 0), getattr(conn, "sent_bytes", 0))
            key = (lobby.code, id(conn))
            before = self.last_conns.get(key, (0, 0))
            frames += max(0, counts[0] - before[0])
            sent_bytes += max(0, counts[1] - before[1])
            conns[key] = counts
        stats = loop.stats.as_dict()
        return {
            "code": lobby.code, "name": lobby.name, "game": lobby.game_cls.name, "phase": lobby.phase,
            "private": lobby.private, "locked": lobby.locked, "matchmade": lobby.matchmade,
            "players": len(lobby.humans()), "bots": len(lobby.players()) - len(lobby.humans()),
            "spectators": lobby.spectator_count(), "max_players": lobby.max_players,
            "tick_rate": lobby.tick_rate_hz, "ticks": stats["ticks"],
            "tick_p50_ms": stats["tick_p50_ms"], "tick_p99_ms": stats["tick_p99_ms"],
            "overruns": stats["overruns"], "skipped_ticks": stats["skipped_ticks"],
            "frames_per_s": _rate(frames, elapsed), "bytes_per_s": _rate(sent_bytes, elapsed),
            "members": [{"id": m.id, "name": m.name, "role": m.role, "connected": m.connected,
                         "staff": m.staff, "bot": m.bot, "host": m.id == lobby.host_id}
                        for m in lobby.members.values()],
        }


def _rate(amount: int, elapsed: float | None) -> float:
    """Per second, to one decimal; 0 at the first sample (no interval to divide by yet)."""
    return 0.0 if elapsed is None else round(amount / elapsed, 1)
