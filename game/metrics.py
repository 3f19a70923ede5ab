"""`/metrics`: the process's live figures in Prometheus' text format, for operators.

Gauges describe now (lobbies by phase, players, spectators, connections, tick duration
percentiles per lobby); counters only grow (ticks, overruns, frames and bytes sent), so
Prometheus' ``rate()`` gives frames and bytes per second.
"""

from __future__ import annotations

from collections import Counter

from game.engine.outbox import TOTALS
from game.runtime import Runtime

#: What a runtime's `figures` may report: name -> (metric, type, help).
RUNTIME_FIGURES = {
    "leases": ("game_cluster_leases", "gauge", "Lobby leases this process holds (the lobbies it ticks)."),
    "remote_members": ("game_cluster_remote_members", "gauge",
                       "Members of this process's lobbies connected to other processes."),
    "relayed_lobbies": ("game_cluster_relayed_lobbies", "gauge",
                        "Lobbies owned elsewhere with members connected here."),
    "relays_sent": ("game_cluster_relay_frames_sent_total", "counter", "State frames published to other processes."),
    "relays_received": ("game_cluster_relay_frames_received_total", "counter",
                        "State frames relayed here from other processes."),
}


def _line(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        return f"{name}{{{inner}}} {value}"
    return f"{name} {value}"


def render(runtime: Runtime) -> str:
    loops = list(runtime.registry.loops.values())
    phases = Counter(loop.lobby.phase for loop in loops)
    out = [
        "# HELP game_lobbies Lobbies in this process, by phase.", "# TYPE game_lobbies gauge",
        *(_line("game_lobbies", phases.get(p, 0), {"phase": p})
          for p in ("waiting", "countdown", "playing", "finished")),
        "# HELP game_players Seated players in this process.", "# TYPE game_players gauge",
        _line("game_players", sum(len(loop.lobby.players()) for loop in loops)),
        "# HELP game_spectators Spectators in this process.", "# TYPE game_spectators gauge",
        _line("game_spectators", sum(loop.lobby.spectator_count() for loop in loops)),
        "# HELP game_connections Open websocket connections.", "# TYPE game_connections gauge",
        _line("game_connections", sum(runtime.connections.values())),
        "# HELP game_frames_sent_total Frames written to clients.", "# TYPE game_frames_sent_total counter",
        _line("game_frames_sent_total", TOTALS.frames),
        "# HELP game_bytes_sent_total Bytes of frames written to clients.", "# TYPE game_bytes_sent_total counter",
        _line("game_bytes_sent_total", TOTALS.bytes),
        "# HELP game_state_frames_dropped_total Stale state frames replaced for slow clients.",
        "# TYPE game_state_frames_dropped_total counter",
        _line("game_state_frames_dropped_total", TOTALS.dropped_states),
        "# HELP game_matches_saved_total Matches written to the database.", "# TYPE game_matches_saved_total counter",
        _line("game_matches_saved_total", runtime.saved_matches),
    ]
    for key, value in runtime.figures().items():  # a cluster node's (game.cluster.node.Node.figures)
        name, kind, help_text = RUNTIME_FIGURES[key]
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", _line(name, value)]
    per_lobby = [
        ("game_lobby_ticks_total", "counter", "Ticks run by the lobby's loop.", "ticks"),
        ("game_lobby_overruns_total", "counter", "Ticks that ended after the next deadline.", "overruns"),
        ("game_lobby_skipped_ticks_total", "counter", "Ticks skipped by a hopelessly late loop.", "skipped_ticks"),
        ("game_lobby_tick_seconds_p50", "gauge", "Median tick duration over the last minute or so.", "tick_p50_ms"),
        ("game_lobby_tick_seconds_p99", "gauge", "99th percentile tick duration.", "tick_p99_ms"),
    ]
    stats = {loop.lobby.code: (loop.lobby.game_cls.name, loop.stats.as_dict()) for loop in loops}
    for name, kind, help_text, key in per_lobby:
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for code, (game, figures) in stats.items():
            value = figures[key] / 1000.0 if key.endswith("_ms") else figures[key]
            out.append(_line(name, value, {"lobby": code, "game": game}))
    return "\n".join(out) + "\n"
