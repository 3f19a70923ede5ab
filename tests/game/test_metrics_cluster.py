"""/metrics of `make run-cluster` (game.cluster.run, prometheus_client's multiprocess mode): a
scrape of the shared port, whichever worker answers, sums every worker's figures. Needs
REDIS_URL (skips without it)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from tests.liveserver import HTTP_TIMEOUT_S, ROOT, run_cluster

pytestmark = [pytest.mark.server,
              pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="run-cluster needs REDIS_URL")]


def scrape(base: str) -> str:
    request = urllib.request.Request(base + "/metrics", headers={"Authorization": "Bearer scrape-me"})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as reply:
        return reply.read().decode()


def value(text: str, series: str) -> float:
    found = re.search(rf"^{re.escape(series)} ([0-9.eE+-]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_a_scrape_of_any_worker_sums_the_cluster(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GAME_") and k != "DATABASE_URL"},
           "SQLITE_PATH": str(tmp_path / "cluster.sqlite3"), "GAME_CLUSTER_PREFIX": f"gsmet:{uuid.uuid4().hex[:8]}:",
           "DJANGO_SETTINGS_MODULE": "gameserver.settings", "DEBUG": "1", "METRICS_TOKEN": "scrape-me",
           "GAME_MAX_LOBBIES_PER_CLIENT": "100", "GAME_MAX_LOBBIES_PER_ADDRESS": "100",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True,
                   timeout=180)
    with run_cluster(tmp_path, env, 2, "--drain", "1") as (base, _cluster):
        codes: list[str] = []

        def create() -> None:  # lands on whichever worker takes the connection from the shared socket
            request = urllib.request.Request(base + "/api/lobbies", data=json.dumps({"game": "arena"}).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as reply:
                codes.append(json.loads(reply.read())["code"])

        for _ in range(8):
            create()
        # Both workers share one listening socket with no reuseport, so an idle worker may win
        # every accept: more lobbies are created, one per few scrapes, until a scrape shows a
        # worker owning some but not all of them (32 at most).
        per_lobby, seen, partial, scrapes = set(), [], False, 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = scrape(base)
            scrapes += 1
            seen.append(value(text, 'game_lobbies{phase="waiting"}'))
            own = set(re.findall(r'^game_lobby_ticks_total\{game="arena",lobby="(\w+)"\}', text, re.MULTILINE))
            per_lobby |= own
            total = len(codes)
            partial = partial or (0 < len(own) < total and seen[-1] == total)  # one worker's lobbies, all counted
            if len(seen) >= 10 and seen[-10:] == [total] * 10 and per_lobby == set(codes) and partial:
                break
            if not partial and scrapes % 6 == 0 and total < 32:
                create()
            time.sleep(0.3)
        # Every scrape, whichever worker answered, counts all 8 lobbies; the per-lobby series of
        # each worker's own lobbies showed up over the scrapes (both workers answered some).
        assert seen[-10:] == [len(codes)] * 10, (seen, len(codes))
        assert per_lobby == set(codes) and partial, (per_lobby, codes)
        assert value(text, 'game_tick_seconds_count{game="arena"}') > 0
