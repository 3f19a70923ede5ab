"""Summaries of load-test figures: the printed table, the JSON file and the PNG plot."""

from __future__ import annotations

import json
import os
from pathlib import Path

from game.loadtest.bots import Figures, Plan

HEALTHY_DELIVERED = 0.99
HEALTHY_P99_MS = 50.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bot_cores() -> int:
    """How many cores the load tester's processes may run on (its CPU affinity, e.g. taskset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def summarize(plan: Plan, figures: Figures, server: dict, client_cpu: list[float]) -> dict:
    delivered = figures.frames / figures.expected_frames if figures.expected_frames else 0.0
    latencies = figures.latencies_ms + figures.spectator_latencies_ms
    p99 = percentile(latencies, 0.99)
    summary = {
        "lobbies": plan.lobbies, "players_per_lobby": plan.players, "spectators_per_lobby": plan.spectators,
        "clients": figures.clients, "players": plan.lobbies * plan.players, "tick_rate": plan.tick_rate,
        "duration_s": plan.duration_s, "game": plan.game,
        "frames": figures.frames, "expected_frames": int(figures.expected_frames),
        "delivered_ratio": round(delivered, 4),
        "latency_ms_p50": round(percentile(latencies, 0.5), 2),
        "latency_ms_p99": round(p99, 2),
        "latency_ms_max": round(max(latencies, default=float("nan")), 2),
        "gap_ms_p99": round(percentile(figures.gaps_ms, 0.99), 2),
        "bytes_per_s_per_client": round(figures.bytes / plan.duration_s / figures.clients, 1) if figures.clients else 0,
        "bytes_per_frame": round(figures.bytes / figures.frames, 1) if figures.frames else 0,
        "client_errors": len(figures.errors), "client_error_samples": figures.errors[:5],
        "client_cpu_max": round(max(client_cpu, default=0.0), 3),
        # The bot processes may share cores (the bench pins them to what the server leaves):
        # their summed CPU against the cores they may run on says whether those were full.
        "client_cores": bot_cores(),
        "client_cpu_of_cores": round(sum(client_cpu) / bot_cores(), 3),
        # Bots that fall behind send fewer inputs than due: the load was lighter than asked.
        "inputs_ratio": round(figures.inputs_sent / figures.inputs_due, 4) if figures.inputs_due else None,
        "inputs_refused": figures.inputs_refused,
        **({"match_s": plan.match_s, "matches_ended": figures.matches_ended,
            "inputs_after_match": figures.inputs_after_match} if plan.match_s else {}),
        "client_saturated": max(client_cpu, default=0.0) > 0.9 or sum(client_cpu) / bot_cores() > 0.9
        or (figures.inputs_due > 0 and figures.inputs_sent < 0.97 * figures.inputs_due),
        "healthy": delivered >= HEALTHY_DELIVERED and p99 <= HEALTHY_P99_MS and not figures.errors,
        **{k: v for k, v in server.items() if k != "rss_over_time"},
    }
    if figures.spectator_shares:
        summary.update(spectator_summary(plan, figures))
    if server.get("server_cpu_seconds") and figures.frames:
        summary["server_cpu_us_per_frame"] = cpu_us_per_frame(server, plan.duration_s, figures.frames)
    return summary


def cpu_us_per_frame(server: dict, duration_s: float, frames: int) -> float:
    """The server's CPU per delivered frame: its CPU rate over the sampled part of the window
    times the window, over the frames delivered in the whole window (the samples, every half
    second, span a little less than the window the frames were counted in)."""
    rate = server["server_cpu_seconds"] / server.get("server_sampled_s", duration_s)
    return round(1e6 * rate * duration_s / frames, 1)


def spectator_summary(plan: Plan, figures: Figures) -> dict:
    """Spectators apart: their delivered share (overall and the worst one's), their latency, and
    the players' figures without them."""
    shares = figures.spectator_shares
    player_frames = figures.frames - figures.spectator_frames
    player_due = plan.lobbies * plan.players * plan.duration_s * plan.tick_rate
    return {
        "spectators": len(shares),
        "spectator_delivered_ratio": round(figures.spectator_frames / (len(shares) * plan.duration_s * plan.tick_rate),
                                           4),
        "spectator_min_share": min(shares),
        "spectators_under_99": sum(1 for share in shares if share < HEALTHY_DELIVERED),
        "spectator_latency_ms_p50": round(percentile(figures.spectator_latencies_ms, 0.5), 2),
        "spectator_latency_ms_p99": round(percentile(figures.spectator_latencies_ms, 0.99), 2),
        "spectator_frames": figures.spectator_frames,
        # Lean spectators (`game.loadtest.watchers`) stamp one state frame in n; full bots every one.
        "spectator_client": plan.spectator_client, "spectator_latency_one_in": figures.spectator_sample_every,
        "spectators_late": figures.spectators_late,  # (lean ones) not connected when the window began
        "player_delivered_ratio": round(player_frames / player_due, 4) if player_due else None,
        "player_latency_ms_p99": round(percentile(figures.latencies_ms, 0.99), 2),
    }


def format_summary(summary: dict) -> str:
    keys = ["clients", "delivered_ratio", "spectator_delivered_ratio", "spectator_min_share", "spectators_late",
            "spectator_latency_ms_p99", "latency_ms_p50", "latency_ms_p99", "latency_ms_max", "gap_ms_p99",
            "bytes_per_s_per_client", "bytes_per_frame", "inputs_ratio", "inputs_refused", "matches_ended",
            "server_cpu_percent", "server_cpu_us_per_frame", "server_rss_mb_end", "server_rss_bytes_per_client",
            "client_cpu_max", "client_cpu_of_cores", "client_errors", "healthy"]
    lines = [f"  {key:<28} {summary[key]}" for key in keys if key in summary]
    if summary.get("client_saturated"):
        lines.append("  WARNING: the bots could not keep up (a process or their cores over 90% busy, or < 97% of "
                     "inputs sent): add --processes or cores; the server was given less load than asked")
    return "\n".join(lines)


def write_json(path: Path, summary: dict, figures: Figures, server: dict) -> None:
    data = {"summary": summary, "frames_per_second": [figures.per_second.get(s, 0) for s in
                                                       range(int(summary["duration_s"]))],
            "rss_over_time": server.get("rss_over_time", [])}
    path.write_text(json.dumps(data, indent=2))


def write_plot(path: Path, summary: dict, figures: Figures) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    latencies = figures.latencies_ms + figures.spectator_latencies_ms
    left.hist([min(v, 200.0) for v in latencies], bins=80, color="#4a90d9")
    left.axvline(summary["latency_ms_p99"], color="#d0021b", linestyle="--",
                 label=f"p99 {summary['latency_ms_p99']} ms")
    left.set_xlabel("latency, server stamp to client receipt (ms, capped at 200)")
    left.set_ylabel("frames")
    left.legend()
    seconds = list(range(int(summary["duration_s"])))
    right.plot(seconds, [figures.per_second.get(s, 0) for s in seconds], color="#417505", label="delivered")
    right.axhline(summary["clients"] * summary["tick_rate"], color="#888", linestyle=":", label="expected")
    right.set_xlabel("second of the measuring window")
    right.set_ylabel("state frames delivered per second")
    right.legend()
    fig.suptitle(f"{summary['lobbies']} lobbies x {summary['players_per_lobby']} players at {summary['tick_rate']} Hz: "
                 f"delivered {summary['delivered_ratio']:.1%}, healthy={summary['healthy']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
