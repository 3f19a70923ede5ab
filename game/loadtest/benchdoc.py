"""Write docs/benchmarks.md (and its plot) from a bench run's rows and probes."""

from __future__ import annotations

import platform
import time
from pathlib import Path

#: The `make bench-peers` section (game.loadtest.peers.doc writes it) sits between these markers;
#: a `make bench` rewrite of the page keeps it.
PEERS_START = "<!-- bench-peers: start (written by python -m game.loadtest.peers.sweep) -->"
PEERS_END = "<!-- bench-peers: end -->"


def kept_section(text: str) -> str:
    """The bench-peers section of a page's text, markers included ("" when there is none)."""
    start, end = text.find(PEERS_START), text.find(PEERS_END)
    return text[start:end + len(PEERS_END)] if 0 <= start < end else ""


def _plot(out: Path, rows: list[dict]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['server']}\n{r['layer']} {r['tick_rate']} Hz" for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(rows)), 4))
    colours = ["#888" if r["server"] == "baseline" else "#4a90d9" if r["server"] == "uvicorn" else "#f5a623"
               for r in rows]
    ax.bar(labels, [r["players"] for r in rows], color=colours)
    for x, r in enumerate(rows):
        ax.text(x, r["players"], str(r["players"]), ha="center", va="bottom")
    ax.axhline(800, color="#d0021b", linestyle=":", label="Colyseus 0.18, 20 Hz (800)")
    ax.axhline(400, color="#d0021b", linestyle="--", label="Colyseus 0.18, 60 Hz (400)")
    ax.set_ylabel("healthy players on one core")
    ax.legend(loc="upper right")
    fig.tight_layout()
    name = "benchmarks.png"
    fig.savefig(out / name, dpi=100)
    plt.close(fig)
    return name


READING = "## Reading the figures"


def _kept_reading(previous: Path) -> list[str]:
    """The hand-written "Reading the figures" section of the previous report, if any, marked
    as written for the run before, so that a new sweep keeps it until someone rereads it."""
    if not previous.exists():
        return []
    text = previous.read_text()
    start = text.find(READING + "\n")
    if start < 0:
        return []
    end = text.find("\n## ", start + len(READING))
    body = text[start + len(READING):end if end >= 0 else len(text)].strip("\n")
    note = "_Written for the previous run: check it against the figures above._"
    if body.startswith(note):
        body = body[len(note):].strip("\n")
    return [READING, "", note, "", body, ""]


def write_markdown(out: Path, rows: list[dict], probes: list[dict], argv: str) -> None:
    plot = _plot(out, rows)
    baseline = {r["tick_rate"]: r for r in rows if r["server"] == "baseline"}
    lines = [
        "# Benchmarks", "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python {platform.python_version()}, "
        "the server pinned to one core and the bots on the other(s). Standard workload: lobbies of 8 players, "
        "one input per player per tick, one state frame per lobby per tick to each player. Healthy: at least "
        "99% of frames delivered and latency p99 (server stamp to client receipt) at most 50 ms. "
        "Figures move by about ±15% from run to run on shared machines. How the hot path got here and "
        "where the time goes: [performance.md](performance.md).", "",
        ("| server | layer | tick | healthy lobbies | healthy players | CPU µs per frame | vs baseline at its best | "
         "vs baseline at the same load | RSS bytes per client | bytes/s per client |"),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def ratio(cpu, base) -> str:
        return f"{cpu / base:.2f}x" if base and cpu else "–"
    for r in rows:
        best = baseline.get(r["tick_rate"], {}).get("cpu_us_per_frame")
        same = r.get("baseline_cpu_us_per_frame", best if r["server"] == "baseline" else None)
        lines.append(f"| {r['server']} | {r['layer']} | {r['tick_rate']} Hz | {r['lobbies']} | {r['players']} | "
                     f"{r['cpu_us_per_frame'] or '–'} | {ratio(r['cpu_us_per_frame'], best)} | "
                     f"{ratio(r['cpu_us_per_frame'], same)} | {r['rss_bytes_per_client'] or '–'} | "
                     f"{r['bytes_per_s_per_client'] or '–'} |")
    lines += ["", f"![healthy players per server]({plot})", "",
              "CPU µs per frame counts one frame out and one input in, at the largest healthy count; "
              "\"vs baseline at the same load\" divides it by the baseline's, probed at that same number of "
              "lobbies (CPU per frame falls as load rises, so \"at its best\" counts against the server that "
              "holds fewer players). "
              "`baseline` is the bare `websockets` server of `game/loadtest/baseline.py` (the Python floor), "
              "`uvicorn` is what `make run-uvicorn` starts (uvloop, `gameserver.wsprotocol`, no per-message deflate), "
              "`daphne` is what `make run` starts.", "",
              *_kept_reading(out / "benchmarks.md"),
              "## Reproduce", "", "```", f"make bench   # python -m game.loadtest.bench {argv}".rstrip(), "```", "",
              "One probe by hand (a server already running):", "", "```",
              "taskset -c 1 .venv/bin/python manage.py loadtest --url http://127.0.0.1:8000 --lobbies 60 "
              "--players 8 --tick-rate 20 --duration 20 --server-pid $(pgrep -f daphne) --json out.json --plot out.png",
              "```", "", "## Every probe", "",
              "| server | layer | tick | lobbies | delivered | p50 ms | p99 ms | gap p99 ms | server CPU % | "
              "bots' cores busy | inputs sent/due | healthy |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in probes:
        lines.append(f"| {p['server']} | {p['layer']} | {p['tick_rate']} | {p['lobbies']} | {p['delivered_ratio']} | "
                     f"{p['latency_ms_p50']} | {p['latency_ms_p99']} | {p['gap_ms_p99']} | "
                     f"{p.get('server_cpu_percent', '–')} | {p.get('client_cpu_of_cores', p['client_cpu_max'])} | "
                     f"{p.get('inputs_ratio', '–')} | "
                     f"{p['healthy']} |")
    page = out / "benchmarks.md"
    peers = kept_section(page.read_text()) if page.exists() else ""  # make bench-peers' section stays
    views = _kept_views(page)  # and viewbench's, written by hand
    page.write_text("\n".join(lines) + "\n" + (f"\n{views}\n" if views else "") + (f"\n{peers}\n" if peers else ""))


def _kept_views(page: Path) -> str:
    """The "Views and turns" section (manage.py viewbench), markers included, or ""."""
    text = page.read_text() if page.exists() else ""
    start, end = text.find("<!-- viewbench -->"), text.find("<!-- /viewbench -->")
    return text[start:end + len("<!-- /viewbench -->")] if 0 <= start < end else ""
