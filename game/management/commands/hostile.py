"""`python manage.py hostile --url URL`: hostile traffic against your own server, with a
healthy observer measuring what it costs the lobbies that play on (docs/hostile.md)."""

from __future__ import annotations

import asyncio

from django.core.management.base import BaseCommand, CommandError

from game.hostile import catalogue, report
from game.hostile.outcome import Plan
from game.hostile.runner import run
from game.hostile.stage import SetupError
from game.hostile.target import TargetRefused, parse_target


class Command(BaseCommand):
    help = ("Send bounded hostile traffic (bad queries, frames, floods, slow and half-open sockets, bad HTTP "
            "bodies) to your own server while an observer lobby plays; print what each attack got, whether the "
            "lobbies stayed intact and what the observer lost. Exits non-zero on any failure.")
    requires_system_checks = ()

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server's base URL (loopback only, "
                            "unless --i-own-this-server)")
        parser.add_argument("--i-own-this-server", action="store_true",
                            help="allow a URL whose host is not a loopback address: the server must be yours")
        parser.add_argument("--quick", action="store_true", help="short windows and holds (the test suite's run)")
        parser.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
        parser.add_argument("--only", default="", help="comma-separated attack names (--list shows them)")
        parser.add_argument("--list", action="store_true", help="list the attacks and what each expects, and exit")
        parser.add_argument("--max-connections", type=int, help="the server's GAME_MAX_CONNECTIONS_PER_ADDRESS "
                            "(default 64)")
        parser.add_argument("--lobby-limit", type=int, help="the open lobbies the server lets one client address "
                            "create (GAME_MAX_LOBBIES_PER_ADDRESS, default 5)")
        parser.add_argument("--slow-reader-s", type=float, help="how long the slow reader holds (default 30, "
                            "quick 20)")
        parser.add_argument("--handshake-deadline-s", type=float,
                            help="by when half-sent handshakes must be dropped (default 10)")

    def handle(self, *args, **opts) -> None:
        if opts["list"]:
            for attack in catalogue.CATALOGUE:
                self.stdout.write(f"{attack.name:26} {attack.lobby:9} {attack.expected}")
            return
        try:
            target = parse_target(opts["url"], i_own_this_server=opts["i_own_this_server"])
        except TargetRefused as exc:
            raise CommandError(str(exc)) from None
        plan = self._plan(opts)
        progress = None if opts["json"] else (lambda text: self.stderr.write(f"... {text}"))
        try:
            result = asyncio.run(run(target, plan, progress))
        except SetupError as exc:
            raise CommandError(f"nothing was attacked: {exc}") from None
        except OSError as exc:
            raise CommandError(f"cannot reach {target.origin}: {exc}") from None
        self.stdout.write(report.as_json(result) if opts["json"] else report.format_report(result))
        if not result.passed:
            raise CommandError(f"{len(result.failures())} failure(s)")

    def _plan(self, opts: dict) -> Plan:
        only = tuple(name.strip() for name in opts["only"].split(",") if name.strip())
        plan = Plan.make(quick=opts["quick"], only=only, max_connections=opts["max_connections"],
                         lobby_limit=opts["lobby_limit"], slow_reader_s=opts["slow_reader_s"],
                         handshake_deadline_s=opts["handshake_deadline_s"])
        try:
            catalogue.select(plan)
        except KeyError as exc:
            raise CommandError(f"unknown attack(s): {exc.args[0]}; --list shows them") from None
        if not 1 <= plan.max_connections <= 500 or not 1 <= plan.lobby_limit <= 100:
            raise CommandError("--max-connections must be 1-500 and --lobby-limit 1-100 (every attack is bounded)")
        return plan
