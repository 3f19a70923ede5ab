"""`python manage.py startgame NAME [--title TITLE]`: a new game, playable at once.

Writes the rules, the browser module, a bot and their tests, registers the game and
documents it (game/scaffold/__init__.py lists the files); docs/new-game.md goes on from there.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from game.rules import GAMES
from game.scaffold import ScaffoldError, scaffold


class Command(BaseCommand):
    help = "Write a new game (rules, browser module, bot, tests) and register it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the game's name: lowercase letters, digits and _ (e.g. tic_tac_toe)")
        parser.add_argument("--title", help="its name for people (default: from NAME, e.g. 'Tic tac toe')")

    def handle(self, *args, **opts) -> None:
        root = Path(settings.BASE_DIR)
        try:
            written = scaffold(opts["name"], root=root, title=opts["title"], registered=set(GAMES))
        except ScaffoldError as exc:
            raise CommandError(str(exc)) from None
        for path in written:
            self.stdout.write(f"  wrote {path}")
        name = opts["name"]
        self.stdout.write(self.style.SUCCESS(
            f"{name} is registered. Run its tests (.venv/bin/python -m pytest tests/rules/test_{name}.py "
            f"tests/bots/test_{name}.py), restart the server and create a {name} lobby; docs/new-game.md goes on."))
