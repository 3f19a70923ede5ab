"""`python manage.py soak`: misbehaving bots against a running server; checks saved matches."""

from __future__ import annotations

import asyncio
import json

from django.core.management.base import BaseCommand, CommandError

from game.loadtest.server import ServerProbe
from game.loadtest.soak import soak


class Command(BaseCommand):
    help = "Bots play short matches while dropping, resuming, sending garbage and flooding."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--lobbies", type=int, default=4)
        parser.add_argument("--players", type=int, default=4)
        parser.add_argument("--duration", type=float, default=180.0, help="seconds")
        parser.add_argument("--chaos", type=float, default=1.0, help="scale of bad frames and floods")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--server-pid", type=int)
        parser.add_argument("--json", help="write the report here")

    def handle(self, *args, **opts) -> None:
        probe = ServerProbe(opts["server_pid"]) if opts["server_pid"] else None
        if probe:
            probe.sample(inside=True)
        report = asyncio.run(soak(opts["url"].rstrip("/"), lobbies=opts["lobbies"], players=opts["players"],
                                  duration_s=opts["duration"], seed=opts["seed"], chaos=opts["chaos"]))
        if probe:
            probe.sample(inside=True)
            summary = probe.summary(report["bots"])
            report["server_rss_mb_start"] = summary.get("server_rss_mb_start")
            report["server_rss_mb_end"] = summary.get("server_rss_mb_end")
        text = json.dumps(report, indent=1, default=str)
        self.stdout.write(text)
        if opts["json"]:
            with open(opts["json"], "w") as f:
                f.write(text)
        if not (report["saved_once"] and report["all_seen_saved"]):
            raise CommandError("saved matches do not match the matches that ended")
