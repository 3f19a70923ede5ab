"""A short soak against real daphne: drops, resumes, garbage and floods; nothing lost or doubled.
The long one is `python manage.py soak --duration 300` against a running server; the chaos one,
`--kill-every`, against `make run-cluster` (tests/loadtest/test_soak_chaos.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.liveserver import ROOT, live_server

pytestmark = pytest.mark.server


def test_short_soak_saves_every_finished_match_exactly_once(tmp_path):
    with live_server(tmp_path, GAME_COUNTDOWN_S="0.3", GAME_RECONNECT_GRACE_S="3") as base:
        port = base.rsplit(":", 1)[1]
        pid = subprocess.run(["pgrep", "-f", f"daphne -b 127.0.0.1 -p {port}"], capture_output=True,
                             text=True).stdout.split()[0]
        # The verdict reads the server's database: the same settings as the server's.
        env = {**{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}, "DEBUG": "1",
               "DJANGO_SETTINGS_MODULE": "gameserver.settings", "SQLITE_PATH": str(tmp_path / "live.sqlite3")}
        out = subprocess.run([sys.executable, "manage.py", "soak", "--url", base, "--lobbies", "3", "--players", "3",
                              "--duration", "25", "--server-pid", pid, "--json", str(tmp_path / "soak.json")],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        log = (tmp_path / "daphne.log").read_text()
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    report = json.loads((tmp_path / "soak.json").read_text())
    assert report["matches_started"] >= 3  # 3 lobbies of 3-second matches for 25 s
    # Every match the bots saw start is in the database once, whole, its replay re-simulating.
    assert report["passed"] and report["matches_saved"] >= report["matches_started"] >= report["matches_seen"]
    assert all(check["ok"] for check in report["checks"]), report["checks"]
    assert "| replays complete (re-simulate to the saved result) | PASS |" in out.stdout
    assert report["reconnects"] > 0 and report["resumed"] > 0 and report["bad_frames"] > 0
    assert "loop crashed" not in log and "Traceback" not in log, log[-3000:]
    assert report["server_rss_mb_end"] - report["server_rss_mb_start"] < 60
