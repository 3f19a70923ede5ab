"""`python manage.py soak`: misbehaving bots against a running server or cluster, then a verdict
from what the bots saw and what the database holds (game.loadtest.verdict).

Run it with the server's settings (the same ``DATABASE_URL``): the verdict reads the database.
``--kill-every SECONDS`` adds chaos against ``make run-cluster``: a random worker is killed
with SIGKILL that often and the supervisor must restart it (game.loadtest.chaos).
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from game.loadtest.chaos import find_supervisor
from game.loadtest.server import ServerProbe
from game.loadtest.soak import soak
from game.loadtest.verdict import SoakFacts, database_facts, judge, passed, table


def saved_facts(facts: SoakFacts, codes: list[str], *, wait_s: float) -> None:
    """Read the soak's saved matches, waiting up to ``wait_s`` for the ones still being written."""
    deadline = time.monotonic() + wait_s
    while True:
        facts.saved = database_facts(codes)
        if facts.started <= {m.id for m in facts.saved} or time.monotonic() > deadline:
            return
        time.sleep(0.5)


class Command(BaseCommand):
    help = "Bots play short matches while dropping, resuming, sending garbage and flooding; a verdict follows."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--lobbies", type=int, default=4)
        parser.add_argument("--players", type=int, default=4)
        parser.add_argument("--duration", type=float, default=180.0, help="seconds")
        parser.add_argument("--chaos", type=float, default=1.0, help="scale of bad frames and floods")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--server-pid", type=int, help="a single server's pid, for its memory figures")
        parser.add_argument("--kill-every", type=float, help="seconds between kill -9 of a random cluster worker")
        parser.add_argument("--cluster-pid", type=int,
                            help="the run-cluster supervisor's pid (default: the one serving --url's port)")
        parser.add_argument("--max-aborted", type=int, default=0,
                            help="matches the run may see aborted by a server fault (default 0)")
        parser.add_argument("--json", help="write the report here")

    def handle(self, *args, **opts) -> None:
        base = opts["url"].rstrip("/")
        supervisor = None
        if opts["kill_every"]:
            supervisor = opts["cluster_pid"] or find_supervisor(urlsplit(base).port or 80)
            if supervisor is None:
                raise CommandError("--kill-every needs the run-cluster supervisor: none (or several) found "
                                   "serving that port; name it with --cluster-pid")
        probe = ServerProbe(opts["server_pid"]) if opts["server_pid"] else None
        if probe:
            probe.sample(inside=True)
        report, facts, codes = asyncio.run(soak(base, lobbies=opts["lobbies"], players=opts["players"],
                                                duration_s=opts["duration"], seed=opts["seed"], chaos=opts["chaos"],
                                                kill_every_s=opts["kill_every"], supervisor=supervisor))
        facts.max_aborted = opts["max_aborted"]
        saved_facts(facts, codes, wait_s=20.0)
        checks = judge(facts)
        if probe:
            probe.sample(inside=True)
            summary = probe.summary(report["bots"])
            report["server_rss_mb_start"] = summary.get("server_rss_mb_start")
            report["server_rss_mb_end"] = summary.get("server_rss_mb_end")
        report.update(matches_saved=len(facts.saved), lobby_codes=codes, passed=passed(checks),
                      checks=[{"check": c.name, "ok": c.ok, "figures": c.figures} for c in checks])
        text = json.dumps(report, indent=1, default=str)
        self.stdout.write(text)
        self.stdout.write("\n" + table(checks) + "\n")
        if opts["json"]:
            with open(opts["json"], "w") as f:
                f.write(text)
        if not passed(checks):
            raise CommandError("the soak failed: " + "; ".join(c.name for c in checks if not c.ok))
