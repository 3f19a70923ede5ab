"""`make bench-peers` is a benchmark, not a test: here only a tiny run of its tooling must work
(Colyseus installed with npm, every server probed once, spectators, the report written)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from game.loadtest.peers.doc import END, START, kept_section, write_section
from game.loadtest.peers.sweep import rss_growth
from tests.liveserver import ROOT


@pytest.mark.server
@pytest.mark.timeout(900)  # about two minutes alone; more on a busy machine
@pytest.mark.skipif(shutil.which("npm") is None,
                    reason="npm is not installed: make bench-peers installs Colyseus and Node 22 with it")
def test_a_tiny_bench_peers_run_probes_every_server_and_writes_its_section(tmp_path):
    (tmp_path / "benchmarks.md").write_text("# Benchmarks\n\nWhat make bench wrote.\n")
    out = subprocess.run([sys.executable, "-m", "game.loadtest.peers.sweep", "--quick", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads((tmp_path / "benchmarks-peers.json").read_text())
    # Health is a timing outcome and this is no benchmark: only check that frames were measured.
    assert sorted(p["server"] for p in result["probes"]) == ["baseline", "colyseus", "daphne", "uvicorn"]
    assert all(p["frames"] > 0 and p["server_cpu_us_per_frame"] > 0 for p in result["probes"])
    # A starved server may drop inputs (overloaded); anything else it refused is the tooling's fault.
    refused = [e for p in result["probes"] + result["spectators"] for e in p.get("client_error_samples", [])
               if e.startswith("error frame") and "overloaded" not in e]
    assert not refused, refused
    assert [r["feed"] for r in result["spectators"]] == ["players only", "live", "delayed"]
    assert all(r["spectator_frames"] > 0 and r["spectators"] == 4 for r in result["spectators"][1:])
    assert all(r["spectator_client"] == "lean" for r in result["spectators"][1:])
    # The lean spectators checked against full bots, the same number of each.
    assert [r["spectator_client"] for r in result["spectator_check"]] == ["lean", "full"]
    assert all(r["spectator_frames"] > 0 and r["spectators"] == 4 for r in result["spectator_check"])
    inside = result["in_process"]
    assert [r["feed"] for r in inside["spectators"]] == ["live", "delayed"]
    assert inside["memory"]["connected"] == 3 and inside["memory"]["traced_bytes_per_client"] > 0
    text = (tmp_path / "benchmarks.md").read_text()
    assert text.startswith("# Benchmarks\n\nWhat make bench wrote.")  # the rest of the page stays
    assert "| 20 Hz | 3 |" in text and "### Spectators" in text and (tmp_path / "benchmarks-peers.png").exists()
    assert "| daphne (`make run`) | full |" in text  # the check's table


def test_the_section_replaces_its_last_version_and_make_bench_keeps_it(tmp_path):
    from game.loadtest.benchdoc import write_markdown

    result = {"probes": [_probe("colyseus", True), _probe("daphne", False)], "spectators": [], "soak": [],
              "players": 8, "duration_s": 15, "minutes": 1.0, "argv": "--rates 20"}
    write_section(tmp_path, result)
    write_section(tmp_path, {**result, "argv": "--rates 20 --again"})
    text = (tmp_path / "benchmarks.md").read_text()
    assert text.count(START) == 1 and "--again" in text
    assert "| 20 Hz | 80 | **50.0 (1.000)** | 40.0 (0.900) |" in text
    rows = [{"server": "baseline", "layer": "memory", "tick_rate": 20, "lobbies": 2, "players": 6,
             "cpu_us_per_frame": 50.0, "rss_bytes_per_client": 1, "bytes_per_s_per_client": 2}]
    write_markdown(tmp_path, rows, [], "")  # make bench rewrites the page around the section
    after = (tmp_path / "benchmarks.md").read_text()
    assert kept_section(after) == kept_section(text) and after.rstrip().endswith(END)


def _probe(server: str, healthy: bool) -> dict:
    return {"server": server, "tick_rate": 20, "lobbies": 10, "players_per_lobby": 8, "healthy": healthy,
            "server_cpu_us_per_frame": 50.0 if healthy else 40.0, "delivered_ratio": 1.0 if healthy else 0.9}


def test_rss_growth_is_read_over_the_last_two_thirds_of_the_run():
    mb = 2**20
    samples = [[t, 100 * mb + (mb * 50 if t < 100 else mb * t / 60)] for t in range(0, 301, 10)]
    growth = rss_growth(samples, clients=1024)
    assert growth["steady_from_s"] == 100
    assert growth["kb_per_minute"] == 1024.0 and growth["bytes_per_client_per_minute"] == 1024.0
    assert rss_growth(samples[:2], clients=1) == {}


def test_the_memory_table_says_how_long_the_soaks_matches_were(tmp_path):
    soaked = {"server": "daphne", "lobbies": 50, "clients": 400, "server_rss_idle_bytes": 2**20, "duration_s": 600,
              "match_s": 60, "matches_ended": 480, "rss_growth": {"kb_per_minute": 1.5}}
    result = {"probes": [_probe("daphne", True)], "spectators": [], "players": 8, "duration_s": 15,
              "minutes": 1.0, "argv": "", "soak": [soaked, {**soaked, "server": "uvicorn", "match_s": 0}]}
    write_section(tmp_path, result)
    text = (tmp_path / "benchmarks.md").read_text()
    assert "| 600 s | 60 s, 480 ended | 1.5 |" in text and "| 600 s | one long match | 1.5 |" in text


def test_rss_growth_is_the_slope_so_matches_rising_and_falling_read_as_none():
    mb = 2**20
    # A 60 s sawtooth (each match's log grows, then is let go) with no trend, cut mid-match.
    samples = [[t, 100 * mb + mb * (t % 60) / 10] for t in range(611)]
    growth = rss_growth(samples, clients=100)
    assert abs(growth["kb_per_minute"]) < 50 and growth["rss_mb_max"] == 105.9  # (end - start: -210)
