"""`manage.py startgame NAME`: write a new game that plays from the first run.

It writes the game's own files from the templates beside this module, a small race for stars
to grow into another game (docs/new-game.md):

- ``game/rules/<name>.py``: the rules (the contract: game/rules/base.py);
- ``frontend/src/games/<name>.js``: the browser module (frontend/src/registry.js);
- ``game/bots/<name>.py``: a bot, found by its name;
- ``tests/rules/test_<name>.py`` and ``tests/bots/test_<name>.py``: their tests;

then registers the rules (the module's import and its ``register`` line in
game/rules/__init__.py) and adds the game's section to docs/protocol.md. Nothing else needs
an edit: every page, the bots, replays, ratings and matchmaking find games in the registry.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path

from game.rules.base import valid_name

TEMPLATES = Path(__file__).with_name("templates")
REGISTRY = Path("game/rules/__init__.py")
PROTOCOL = Path("docs/protocol.md")
#: Module names taken in the folders a game's files go to.
TAKEN = {"base", "fields", "helpers", "contract", "registry"}


class ScaffoldError(ValueError):
    """The game cannot be written as asked (a bad or taken name, a registry not as expected)."""


@dataclass(frozen=True)
class NewGame:
    name: str
    title: str

    @property
    def cls(self) -> str:
        """The rules class's name: ``tic_tac_toe`` -> ``TicTacToe``."""
        return "".join(part.capitalize() for part in self.name.split("_"))

    def fill(self, text: str) -> str:
        return text.replace("{{ name }}", self.name).replace("{{ Class }}", self.cls).replace("{{ title }}", self.title)

    def files(self) -> dict[Path, str]:
        """Repository path -> template of each file the game owns."""
        n = self.name
        return {Path(f"game/rules/{n}.py"): "rules.py.tpl", Path(f"frontend/src/games/{n}.js"): "client.js.tpl",
                Path(f"game/bots/{n}.py"): "bot.py.tpl", Path(f"tests/rules/test_{n}.py"): "test_rules.py.tpl",
                Path(f"tests/bots/test_{n}.py"): "test_bot.py.tpl"}


def check_name(name: str, root: Path, registered: set[str]) -> None:
    """ScaffoldError unless ``name`` may name a new game in the repository at ``root``."""
    if not valid_name(name) or keyword.iskeyword(name) or name in TAKEN:
        raise ScaffoldError(f"{name!r} cannot name a game: use 2-24 lowercase letters, digits and _, starting "
                            "with a letter, that is no Python keyword nor " + ", ".join(sorted(TAKEN)))
    if name in registered:
        raise ScaffoldError(f"a game named {name!r} is registered already")
    existing = [str(p) for p in NewGame(name, name).files() if (root / p).exists()]
    if existing:
        raise ScaffoldError(f"{', '.join(existing)} exists already; pick another name or remove it")


def register(text: str, game: NewGame) -> str:
    """game/rules/__init__.py's text with ``game`` imported and registered after the others."""
    imports = re.search(r"^from game\.rules import ([a-z0-9_, ]+)$", text, re.M)
    registers = list(re.finditer(r"^register\([a-z0-9_]+\.[A-Za-z0-9_]+\)$", text, re.M))
    if imports is None or not registers:
        raise ScaffoldError(f"{REGISTRY} no longer has its 'from game.rules import ...' line and 'register(...)' "
                            f"lines; register {game.name}.{game.cls} there by hand")
    text = text[:imports.end()] + f", {game.name}" + text[imports.end():]
    end = registers[-1].end() + len(f", {game.name}")
    return text[:end] + f"\nregister({game.name}.{game.cls})" + text[end:]


def document(text: str, game: NewGame) -> str:
    """docs/protocol.md's text with the game's section at the end of its Games section."""
    section = game.fill((TEMPLATES / "protocol.md.tpl").read_text(encoding="utf-8"))
    start = text.find("\n## Games\n")
    if start < 0:
        return text.rstrip("\n") + "\n\n## Games\n" + section
    following = text.find("\n## ", start + 1)
    at = len(text.rstrip("\n")) if following < 0 else following
    return text[:at].rstrip("\n") + "\n" + section + text[at:]


def scaffold(name: str, *, root: Path, title: str | None = None, registered: set[str] = frozenset()) -> list[Path]:
    """Write game ``name`` into the repository at ``root`` and register it; returns the paths
    written or changed (relative to ``root``). Checks everything before writing anything."""
    check_name(name, root, set(registered))
    game = NewGame(name, title or name.replace("_", " ").capitalize())
    registry = register((root / REGISTRY).read_text(encoding="utf-8"), game)
    protocol = document((root / PROTOCOL).read_text(encoding="utf-8"), game)
    written = []
    for path, template in game.files().items():
        (root / path).write_text(game.fill((TEMPLATES / template).read_text(encoding="utf-8")), encoding="utf-8")
        written.append(path)
    (root / REGISTRY).write_text(registry, encoding="utf-8")
    (root / PROTOCOL).write_text(protocol, encoding="utf-8")
    return [*written, REGISTRY, PROTOCOL]
