"""The soak's chaos mode for real: `game.cluster.run` with three workers on Redis and PostgreSQL,
a worker killed with SIGKILL every few seconds while bots play, then the verdict from the
database. Needs REDIS_URL and DATABASE_URL (skips without them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.cluster.harness import drop_database, fresh_database
from tests.liveserver import ROOT, run_cluster

pytestmark = [pytest.mark.server,
              pytest.mark.skipif(not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL")),
                                 reason="the chaos soak needs REDIS_URL and DATABASE_URL")]


@pytest.fixture
def soak_database():
    url = fresh_database(os.environ["DATABASE_URL"], f"gs_soak_{os.getpid()}")
    yield url
    drop_database(url)


def test_chaos_soak_kills_workers_and_judges_the_database(tmp_path, soak_database):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GAME_")},
           "DATABASE_URL": soak_database, "GAME_CLUSTER_PREFIX": f"gssoak:{uuid.uuid4().hex[:8]}:",
           "DJANGO_SETTINGS_MODULE": "gameserver.settings", "DEBUG": "1", "PYTHONUNBUFFERED": "1",
           "GAME_LEASE_TTL_S": "1.5", "GAME_COUNTDOWN_S": "0.3", "GAME_RECONNECT_GRACE_S": "10",
           "GAME_MAX_CONNECTIONS_PER_ADDRESS": "10000", "GAME_DRAIN_S": "2"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True,
                   timeout=180)
    with run_cluster(tmp_path, env, 3, "--host", "127.0.0.1", "--drain", "2") as (base, cluster):
        out = subprocess.run([sys.executable, "manage.py", "soak", "--url", base, "--lobbies", "3", "--players", "3",
                              "--duration", "30", "--kill-every", "8", "--cluster-pid", str(cluster.pid),
                              "--json", str(tmp_path / "soak.json")],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    print(out.stdout[-2500:])  # noqa: T201 (the verdict table, for docs/deploy.md)
    report = json.loads((tmp_path / "soak.json").read_text())
    checks = {c["check"]: c for c in report["checks"]}
    assert len(report["kills"]) >= 2 and checks["every killed worker restarted"]["ok"], report["kills"]
    assert report["matches_started"] >= 3 and checks["play goes on after the last kill"]["ok"]
    for name in ("every match that started is saved", "each saved once", "every match_over seen is saved",
                 "results whole (one per player)", "replays complete (re-simulate to the saved result)"):
        assert checks[name]["ok"], (name, checks[name]["figures"], out.stdout[-3000:])
    assert report["passed"] and out.returncode == 0, out.stdout[-3000:]
