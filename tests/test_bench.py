"""`make bench` is a benchmark, not a test: here only a tiny run of its tooling must work."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .liveserver import ROOT

pytestmark = pytest.mark.server


def test_a_tiny_bench_run_writes_the_report(tmp_path):
    out = subprocess.run([sys.executable, "-m", "game.loadtest.bench", "--quick", "--servers", "baseline,daphne",
                          "--rates", "20", "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=240)
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
