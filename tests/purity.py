"""What a pure module (game/rules, game/bots) imports, read from its source."""

from __future__ import annotations

import ast
from pathlib import Path

# What a pure module may never import: no framework, no clock, no hidden randomness, no I/O.
FORBIDDEN = {"django", "channels", "asyncio", "time", "random", "daphne", "redis", "threading"}


def top_level_imports(path: Path) -> set[str]:
    """The top-level packages ``path`` imports; AssertionError on a dynamic ``__import__``."""
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            raise AssertionError(f"{path.name} imports dynamically")
    return imported
