"""Spread the lobbies of a load test over client processes and merge what they measured.

Players (and, with ``Plan.spectator_client`` "full", spectators) are full bots, the lobbies
split over ``processes``; lean spectators (`game.loadtest.watchers`) are split over
``Plan.spectator_processes`` processes of their own, so that thousands of them watching one
lobby are not all on that lobby's process."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from dataclasses import asdict

from game.loadtest.bots import Figures, Plan, Window, create_lobby, run_lobbies
from game.loadtest.server import ServerProbe


def _client_process(plan: Plan, lobbies: list[dict], window: Window, out, seats=None) -> None:
    """Run ``lobbies``' bots, or with ``seats`` ((lobby, index) each) those lean spectators."""
    try:
        import uvloop  # faster bots when available
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    if seats is not None:
        from game.loadtest.watchers import watch
        figures = runner(watch(plan, seats, window))
    else:
        figures = runner(run_lobbies(plan, lobbies, window, spectators=plan.spectator_client != "lean"))
    out.send(asdict(figures))
    out.close()


def merge(parts: list[dict]) -> Figures:
    total = Figures()
    for part in parts:
        total.latencies_ms += part["latencies_ms"]
        total.spectator_latencies_ms += part["spectator_latencies_ms"]
        total.spectator_frames += part["spectator_frames"]
        total.spectator_shares += part["spectator_shares"]
        total.inputs_refused += part["inputs_refused"]
        total.inputs_after_match += part.get("inputs_after_match", 0)
        total.matches_ended += part.get("matches_ended", 0)
        total.spectators_late += part.get("spectators_late", 0)
        total.gaps_ms += part["gaps_ms"]
        total.frames += part["frames"]
        total.bytes += part["bytes"]
        total.clients += part["clients"]
        total.expected_frames += part["expected_frames"]
        total.errors += part["errors"]
        total.inputs_sent += part["inputs_sent"]
        total.inputs_due += part["inputs_due"]
        for second, count in part["per_second"].items():
            total.per_second[second] = total.per_second.get(second, 0) + count
        total.cpu_fraction = max(total.cpu_fraction, part["cpu_fraction"])
        total.spectator_sample_every = max(total.spectator_sample_every, part.get("spectator_sample_every", 1))
    return total


def run(plan: Plan, *, processes: int, server_pid: int | list[int] | None,
        progress=None) -> tuple[Figures, dict, list[float]]:
    """Create the lobbies, run the bots in ``processes`` processes, return merged figures,
    the server's CPU/memory figures (when its pid is known) and each process's CPU fraction."""
    lobbies = [create_lobby(plan, i) for i in range(plan.lobbies)]
    processes = max(1, min(processes, len(lobbies)))
    start = time.time() + plan.warmup_s
    window = Window(start=start, end=start + plan.duration_s)
    ctx = mp.get_context("spawn")
    pipes, procs = [], []
    jobs = [(lobbies[index::processes], None) for index in range(processes)]
    if plan.spectators and plan.spectator_client == "lean":
        seats = [(lobby, i) for lobby in lobbies for i in range(plan.spectators)]
        count = max(1, min(plan.spectator_processes, len(seats)))
        jobs += [([], seats[index::count]) for index in range(count)]
    for some, seats in jobs:
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_client_process, args=(plan, some, window, sender, seats), daemon=True)
        proc.start()
        pipes.append(receiver)
        procs.append(proc)
    probe = ServerProbe(server_pid) if server_pid else None
    while time.time() < window.end + 1.5:
        now = time.time()
        if probe:
            probe.sample(inside=window.inside(now))
        if progress:
            progress(min(1.0, max(0.0, (now - window.start) / plan.duration_s)))
        time.sleep(0.5)
    parts = []
    for receiver, proc in zip(pipes, procs, strict=True):
        if receiver.poll(plan.duration_s + plan.warmup_s + 60):
            parts.append(receiver.recv())
        proc.join(timeout=10)
    figures = merge(parts)
    return figures, (probe.summary(figures.clients) if probe else {}), [p["cpu_fraction"] for p in parts]
