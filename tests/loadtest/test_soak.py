"""A short soak against real daphne: drops, resumes, garbage and floods; nothing lost or doubled.
The long one is `python manage.py soak --duration 300` against a running server."""

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
        env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings"}
        out = subprocess.run([sys.executable, "manage.py", "soak", "--url", base, "--lobbies", "3", "--players", "3",
                              "--duration", "25", "--server-pid", pid, "--json", str(tmp_path / "soak.json")],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        log = (tmp_path / "daphne.log").read_text()
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    report = json.loads((tmp_path / "soak.json").read_text())
    assert report["matches_seen"] >= 3  # 3 lobbies of 3-second matches for 25 s
    # Matches the server ended equal rows in the database; every match_over a bot saw is among them.
    assert report["matches_saved"] == report["matches_ended"] >= report["matches_seen"]
    assert report["saved_once"] and report["all_seen_saved"]
    assert report["reconnects"] > 0 and report["resumed"] > 0 and report["bad_frames"] > 0
    assert "loop crashed" not in log and "Traceback" not in log, log[-3000:]
    assert report["server_rss_mb_end"] - report["server_rss_mb_start"] < 60
