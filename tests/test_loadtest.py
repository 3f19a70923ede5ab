"""A tiny run of the shipped load tester against a real daphne: it must work end to end.
(It measures; it asserts no speed — benchmarks do that, not tests.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .liveserver import ROOT, daphne_server

pytestmark = pytest.mark.server


def test_loadtest_command_runs_and_reports(tmp_path):
    with daphne_server(tmp_path, GAME_COUNTDOWN_S="0.2") as base:
        pid = int(subprocess.run(["pgrep", "-f", f"daphne -b 127.0.0.1 -p {base.rsplit(':', 1)[1]}"],
                                 capture_output=True, text=True).stdout.split()[0])
        env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings"}
        out = subprocess.run(
            [sys.executable, "manage.py", "loadtest", "--url", base, "--lobbies", "2", "--players", "3",
             "--spectators", "1", "--duration", "2", "--warmup", "2", "--processes", "2", "--quiet",
             "--server-pid", str(pid), "--json", str(tmp_path / "out.json"), "--plot", str(tmp_path / "out.png")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "out.json").read_text())["summary"]
    assert summary["clients"] == 8 and summary["frames"] > 0
    assert summary["client_errors"] == 0, summary["client_error_samples"]
    assert 0 < summary["delivered_ratio"] <= 1.05
    assert summary["latency_ms_p50"] >= 0 and summary["server_rss_mb_end"] > 0
    assert 0 < summary["inputs_ratio"] <= 1.1  # the bots' own load is measured too
    assert (tmp_path / "out.png").stat().st_size > 10_000
    assert "delivered_ratio" in out.stdout
