"""`python manage.py compilepo`: compile every game/locale/<lang>/LC_MESSAGES/*.po to its .mo.

Django's compilemessages needs GNU gettext's msgfmt; this needs only Python (game/po.py). The
.mo files are committed: run this after editing a .po, and commit both (docs/i18n.md).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from game.po import compile_po

LOCALE = Path(settings.BASE_DIR) / "game" / "locale"


class Command(BaseCommand):
    help = "Compile the .po catalogs under game/locale to .mo files (no GNU gettext needed)."

    def handle(self, *args, **opts) -> None:
        for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
            mo = compile_po(po)
            self.stdout.write(f"  wrote {mo.relative_to(settings.BASE_DIR)}")
