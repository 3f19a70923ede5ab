"""No game's name appears outside that game's own files: the engine, the pages and the shared
browser modules know games only through the registries (game/rules/__init__.py and the page's
list of modules, frontend/src/registry.js), so adding a game touches no shared code.

A game's own files are ``game/rules/<name>*.py``, ``game/bots/<name>*.py`` and
``frontend/src/games/<name>*.js``; its register line (and its module's import) in
game/rules/__init__.py is where it is registered. A name is found inside identifiers too
(``ArenaRenderer``, ``encode_pong``): a word of an identifier split at ``_`` and at
lower-to-upper changes, or a run of such words, equals it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from game.rules import GAMES

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [(ROOT / "game", "*.py"), (ROOT / "frontend" / "src", "*.js"), (ROOT / "frontend" / "src", "*.css"),
           (ROOT / "frontend" / "templates", "*.html")]
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(frozen=True)
class Allowed:
    """Lines of ``paths`` (globs under the repository) matching ``line`` may hold ``name``."""

    name: str
    paths: tuple[str, ...]
    line: str
    why: str


ALLOWED = [
    Allowed("*", ("game/rules/__init__.py",), r"^from game\.rules import |^register\(",
            "the registration: one import and one register line per game"),
    Allowed("pong", ("game/protocol.py", "frontend/src/protocol.js", "game/consumers.py", "game/sockets.py",
                     "frontend/src/pages/game.js", "game/loadtest/wire.py"),
            r"encode_pong|onPong|OP_PONG|\bpong\b['\"]?\s*[:\]]|\"k\": \"pong\"",
            "the protocol's answer to ping (and the websocket PONG opcode) shares the game's name"),
    Allowed("*", ("game/loadtest/*", "game/loadtest/peers/*", "game/hostile/*", "game/management/commands/loadtest.py",
                  "game/management/commands/replaysize.py"), r".",
            "operator tools (load test, soak, hostile, replay size) drive a chosen game on purpose"),
    Allowed("arena", ("game/engine/delta.py", "game/engine/replay.py"),
            r"the arena's bullets|three-minute arena match|like the arena's|as the arena's\)",
            "examples in comments; the engine's restructuring owns these files and may reword them"),
]


def words(identifier: str) -> list[str]:
    return [w.lower() for part in identifier.split("_") for w in WORD.findall(part)]


def names_in(line: str, names: set[str]) -> set[str]:
    """The game names ``line`` holds, as identifiers or runs of their words."""
    found = set()
    for identifier in IDENTIFIER.findall(line):
        parts = words(identifier)
        runs = {"".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)}
        found |= {name for name in names if name.replace("_", "") in runs}
    return found


def own(path: str, name: str) -> bool:
    stem = Path(path).stem
    return (path.startswith(("game/rules/", "game/bots/", "frontend/src/games/"))
            and (stem == name or stem.startswith(f"{name}_")))


def allowed(path: str, name: str, line: str) -> bool:
    return any(a.name in ("*", name) and any(Path(path).match(glob) or path == glob for glob in a.paths)
               and re.search(a.line, line) for a in ALLOWED)


def leaks(names: set[str]) -> list[str]:
    out = []
    for folder, pattern in SCANNED:
        for file in sorted(folder.rglob(pattern)):
            path = file.relative_to(ROOT).as_posix()
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
                for name in names_in(line, names):
                    if not own(path, name) and not allowed(path, name, line):
                        out.append(f"{path}:{number}: {name}: {line.strip()}")
    return out


def test_no_game_name_appears_outside_its_own_files():
    found = leaks(set(GAMES))
    assert not found, ("a game's name outside its own files (move what knows the game into its module, or "
                       "read the registry):\n" + "\n".join(found))


@pytest.mark.parametrize("line, found", [
    ("import { ArenaRenderer } from '../render/arena.js';", {"arena"}),
    ("const spec = GAMES[game] ?? GAMES.arena;", {"arena"}),
    ("if (this.game === 'pong') return { my };", {"pong"}),
    ("class TicTacToeRenderer extends WorldCanvas {", {"tic_tac_toe"}),
    ("arenas and ponds are no names; neither is tictac", set()),
])
def test_names_are_found_inside_identifiers(line, found):
    assert names_in(line, {"arena", "pong", "tic_tac_toe"}) == found


def test_a_name_in_shared_code_is_reported(tmp_path, monkeypatch):
    shared = tmp_path / "game" / "views.py"
    shared.parent.mkdir()
    shared.write_text('game = data.get("game", "arena")\n')
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "SCANNED", [(tmp_path / "game", "*.py")])
    assert leaks({"arena"}) == ['game/views.py:1: arena: game = data.get("game", "arena")']
