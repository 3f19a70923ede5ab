"""`/metrics`: live figures in Prometheus' text format, with prometheus_client.

Gauges describe now (lobbies by phase, players, spectators, connections, cluster leases and
relays); counters only grow (ticks, overruns, frames and bytes sent, matches saved, Redis
outages), so Prometheus' ``rate()`` gives frames and bytes per second. Tick time is the
histogram ``game_tick_seconds`` (by game), from every tick of every lobby.

**Several processes, one scrape.** With ``PROMETHEUS_MULTIPROC_DIR`` set (``make run-cluster``
sets it; prometheus_client's multiprocess mode), every process writes its metrics to files in
that directory and a scrape answered by any of them reports the sum over all of them: gauges
summed over the live processes, counters and the histogram over every process that ever ran
(docs/deploy.md). Each process brings its files up to date every `REFRESH_S` seconds; the one
answering also at the scrape. The per-lobby series (``game_lobby_*``, labelled by lobby) are
the answering process's own lobbies: their number grows with the lobbies, which a metric file
per process must not.

Figures are read from the runtime and the engine's counters at refresh time, never on the hot
path: the tick histogram takes each lobby's tick durations recorded since the last refresh
(`LoopStats` keeps the last minute's).
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from game.engine.outbox import TOTALS
from game.outage import OUTAGE
from game.runtime import Runtime

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
REFRESH_S = 2.0
PHASES = ("waiting", "countdown", "playing", "finished")

disable_created_metrics()  # (no ``*_created`` series: nothing here is created and dropped)
OWN = CollectorRegistry()  # this process's metrics (in multiprocess mode also written to its files)
TICK_SECONDS = Histogram("game_tick_seconds", "Time one lobby tick took (the game's step and the broadcast).",
                         ["game"], registry=OWN,
                         buckets=(0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25))


def _gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
    return Gauge(name, doc, labels, registry=OWN, multiprocess_mode="livesum")


LOBBIES = _gauge("game_lobbies", "Lobbies running, by phase.", ("phase",))
PLAYERS = _gauge("game_players", "Seated players in the running lobbies.")
SPECTATORS = _gauge("game_spectators", "Spectators in the running lobbies.")
CONNECTIONS = _gauge("game_connections", "Open websocket connections.")
# What a runtime's `figures` may report (game.cluster.node.Node.figures): key -> metric.
RUNTIME_GAUGES = {
    "leases": _gauge("game_cluster_leases", "Lobby leases held (the lobbies ticked)."),
    "remote_members": _gauge("game_cluster_remote_members",
                             "Members of a process's lobbies connected to other processes."),
    "relayed_lobbies": _gauge("game_cluster_relayed_lobbies", "Lobbies owned elsewhere with members connected here."),
}


def _counter(name: str, doc: str) -> Counter:
    return Counter(name, doc, registry=OWN)


# Counters fed from totals kept elsewhere: metric -> how to read its running total.
TOTAL_COUNTERS = {
    _counter("game_frames_sent", "Frames written to clients."): lambda rt: TOTALS.frames,
    _counter("game_bytes_sent", "Bytes of frames written to clients."): lambda rt: TOTALS.bytes,
    _counter("game_state_frames_dropped", "Stale state frames replaced for slow clients."):
        lambda rt: TOTALS.dropped_states,
    _counter("game_matches_saved", "Matches written to the database."): lambda rt: rt.saved_matches,
    _counter("game_redis_outages", "Times Redis became unreachable (game.outage)."): lambda rt: OUTAGE.outages,
    _counter("game_cluster_relay_frames_sent", "State frames published to other processes."):
        lambda rt: rt.figures().get("relays_sent", 0),
    _counter("game_cluster_relay_frames_received", "State frames relayed here from other processes."):
        lambda rt: rt.figures().get("relays_received", 0),
}


class Figures:
    """What this process last reported, to report only what changed since."""

    def __init__(self) -> None:
        self.totals: dict[Counter, float] = {}
        self.ticks: dict[str, int] = {}  # lobby code -> ticks already in the histogram
        self.task: asyncio.Task | None = None

    def refresh(self, runtime: Runtime) -> None:
        loops = list(runtime.registry.loops.values())
        phases = Tally(loop.lobby.phase for loop in loops)
        for phase in PHASES:
            LOBBIES.labels(phase).set(phases.get(phase, 0))
        PLAYERS.set(sum(len(loop.lobby.players()) for loop in loops))
        SPECTATORS.set(sum(loop.lobby.spectator_count() for loop in loops))
        CONNECTIONS.set(sum(runtime.connections.values()))
        figures = runtime.figures()
        for key, gauge in RUNTIME_GAUGES.items():
            gauge.set(figures.get(key, 0))
        for counter, read in TOTAL_COUNTERS.items():
            now, before = read(runtime), self.totals.get(counter, 0)
            if now > before:
                counter.inc(now - before)
            self.totals[counter] = now
        seen = {}
        for loop in loops:
            code, stats = loop.lobby.code, loop.stats
            new = stats.ticks - self.ticks.get(code, 0)
            if new > 0:
                histogram = TICK_SECONDS.labels(loop.lobby.game_cls.name)
                for duration in itertools.islice(reversed(stats.durations), new):
                    histogram.observe(duration)
            seen[code] = stats.ticks
        self.ticks = seen

    async def run(self, runtime: Runtime) -> None:
        while True:
            self.refresh(runtime)
            await asyncio.sleep(REFRESH_S)


FIGURES = Figures()


def watch(runtime: Runtime) -> None:
    """Keep this process's metric files current (multiprocess mode); idempotent. Called by the
    consumers and views as they serve, so that every process of a cluster reports."""
    if MULTIPROCESS and (FIGURES.task is None or FIGURES.task.done()):
        FIGURES.task = asyncio.get_running_loop().create_task(FIGURES.run(runtime), name="metrics-refresh")


class LobbyCollector:
    """The per-lobby series of the answering process's lobbies."""

    SERIES = (("game_lobby_ticks", "counter", "Ticks run by the lobby's loop.", "ticks"),
              ("game_lobby_overruns", "counter", "Ticks that ended after the next deadline.", "overruns"),
              ("game_lobby_skipped_ticks", "counter", "Ticks skipped by a hopelessly late loop.", "skipped_ticks"),
              ("game_lobby_tick_seconds_p50", "gauge", "Median tick duration over the last minute or so.",
               "tick_p50_ms"),
              ("game_lobby_tick_seconds_p99", "gauge", "99th percentile tick duration.", "tick_p99_ms"))

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self):
        stats = [(loop.lobby.code, loop.lobby.game_cls.name, loop.stats.as_dict())
                 for loop in list(self.runtime.registry.loops.values())]
        for name, kind, doc, key in self.SERIES:
            kind_cls = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            family = kind_cls(name, doc, labels=["lobby", "game"])
            for code, game, figures in stats:
                family.add_metric([code, game], figures[key] / 1000.0 if key.endswith("_ms") else figures[key])
            yield family


def render(runtime: Runtime) -> str:
    """The text of a scrape: this process's figures, or with multiprocess mode every process's."""
    FIGURES.refresh(runtime)
    watch(runtime)
    registry = CollectorRegistry()
    if MULTIPROCESS:
        MultiProcessCollector(registry)
    else:
        registry.register(_Own())
    registry.register(LobbyCollector(runtime))
    return generate_latest(registry).decode()


class _Own:
    def collect(self):
        return OWN.collect()
