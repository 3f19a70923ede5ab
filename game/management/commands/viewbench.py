"""`python manage.py viewbench views|idle`: what per-player views and idle turn-based lobbies
cost the server (game.loadtest.viewbench; docs/benchmarks.md, "Views and turns")."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Figures for per-player views (views) and idle turn-based lobbies (idle); not a test."

    def add_arguments(self, parser) -> None:
        parser.add_argument("args", nargs="*", help="views [--players 8] … | idle [--lobbies 1000] …")

    def run_from_argv(self, argv: list[str]) -> None:
        from game.loadtest.viewbench import main

        main(argv[2:])

    def handle(self, *args, **options) -> None:
        from game.loadtest.viewbench import main

        main(list(args))
