"""`make bench` is a benchmark, not a test: here only a tiny run of its tooling must work."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.liveserver import ROOT

pytestmark = pytest.mark.server


def test_a_tiny_bench_run_writes_the_report(tmp_path):
    out = subprocess.run([sys.executable, "-m", "game.loadtest.bench", "--quick", "--servers", "baseline,daphne",
                          "--rates", "20", "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         check=False, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    data = json.loads((tmp_path / "benchmarks.json").read_text())
    assert [r["server"] for r in data["rows"]] == ["baseline", "daphne"]
    # Health is a timing outcome and this is no benchmark: only check that frames were measured.
    assert all(p["frames"] > 0 and p["client_errors"] == 0 for p in data["probes"])
    report = (tmp_path / "benchmarks.md").read_text()
    assert "| daphne | memory | 20 Hz |" in report and (tmp_path / "benchmarks.png").exists()
    daphne = data["rows"][1]
    if daphne["lobbies"]:  # healthy at 2 lobbies: compared with the baseline's probe at that same load
        same = [p for p in data["probes"] if p["server"] == "baseline" and p["lobbies"] == daphne["lobbies"]]
        assert same and daphne["baseline_cpu_us_per_frame"] == same[0]["server_cpu_us_per_frame"]
        assert "vs baseline at the same load" in report


def test_a_new_report_keeps_the_hand_written_reading_marked_as_the_previous_runs(tmp_path):
    from game.loadtest.benchdoc import write_markdown

    rows = [{"server": "baseline", "layer": "memory", "tick_rate": 20, "lobbies": 2, "players": 6,
             "cpu_us_per_frame": 50.0, "rss_bytes_per_client": 1, "bytes_per_s_per_client": 2}]
    probes = [{"server": "baseline", "layer": "memory", "tick_rate": 20, "lobbies": 2, "delivered_ratio": 1.0,
               "latency_ms_p50": 1, "latency_ms_p99": 2, "gap_ms_p99": 3, "client_cpu_max": 0.1, "healthy": True}]
    write_markdown(tmp_path, rows, probes, "")
    report = tmp_path / "benchmarks.md"
    assert "## Reading the figures" not in report.read_text()
    report.write_text(report.read_text().replace("## Reproduce",
                                                 "## Reading the figures\n\n- what it means\n\n## Reproduce"))
    write_markdown(tmp_path, rows, probes, "")
    write_markdown(tmp_path, rows, probes, "")  # twice: the mark is not repeated
    text = report.read_text()
    reading = text[text.index("## Reading the figures"):text.index("## Reproduce")]
    assert reading.count("Written for the previous run") == 1 and reading.count("- what it means") == 1


@pytest.mark.parametrize(("game", "players"), [("arena", 8), ("pong", 2)])
def test_the_in_process_tick_bench_plays_a_lobby_and_reports_each_stage(game, players):
    out = subprocess.run([sys.executable, "-m", "game.loadtest.tickbench", "--game", game, "--players", str(players),
                          "--tick-rate", "20", "--seconds", "2", "--json"], cwd=ROOT, capture_output=True, text=True,
                         check=False, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    figures = json.loads(out.stdout)
    # Every frame of every tick reached every player, and every input went through the consumer.
    assert figures["ticks"] == 40 and figures["frames"] == 40 * players and figures["inputs"] == 40 * players
    stages = figures["per_tick_us"]
    assert all(stages[name] > 0 for name in ("inputs in (bytes to the lobby's queue)", "game step", "snapshot",
                                             "delta", "encode", "fan-out to the outboxes"))
    assert figures["us_per_frame"] > 0


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="clusterbench compares against a cluster: needs REDIS_URL")
def test_a_tiny_clusterbench_run_measures_each_setup_and_derives_the_two_core_figures(tmp_path):
    out = tmp_path / "cluster.json"
    run = subprocess.run([sys.executable, "-m", "game.loadtest.clusterbench", "--lobbies", "2", "--duration", "2",
                          "--warmup", "2", "--setups", "single,single-2,cluster-2", "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = {r["setup"]: r for r in json.loads(out.read_text())}
    assert results.keys() == {"single", "single-2", "cluster-2"}
    assert all(r["frames"] > 0 and r["client_errors"] == 0 for r in results.values())
    assert "2 cores (derived)" in run.stdout and "without what sharing one core costs" in run.stdout


@pytest.mark.parametrize("delay", [0, 1])
def test_the_tick_bench_prices_a_spectator_frame_against_a_players(delay):
    out = subprocess.run([sys.executable, "-m", "game.loadtest.tickbench", "--tick-rate", "20", "--seconds", "2",
                          "--spectators", "50", "--spectator-delay", str(delay), "--json"],
                         cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
                         env={**os.environ, "DEBUG": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    figures = json.loads(out.stdout)
    # Every spectator got every tick's frame; the delayed feed's start a second late, from the
    # tick the match started on (before the measured ticks).
    assert figures["spectator_frames"] == (50 * 40 if not delay else 50 * (40 - 20 + 1))
    assert figures["feed"] == ("delayed" if delay else "live") and figures["us_per_player_frame"] > 0
    assert figures["cpu_us_per_tick_watched"] > 0 and "spectator_over_player" in figures
