"""The server's layers, read from its source: no import circle among its modules (imports made
only for type checking count too); the engine imports no framework and nothing above it;
nothing outside game/cluster imports it (settings name the cluster's runtime, once); the
server (gameserver/) depends on the game, never the game on the server."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("game", "gameserver")


@cache  # read once for the module's tests (nothing changes the files meanwhile)
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of this project that ``path`` imports (``from a import b`` names the
    module ``a.b`` when there is one, else ``a``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
    out = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and known[name].name != "__init__.py":  # a package's face hands names on
            out.add(name)
    return out


@cache
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others():
    assert circles(graph()) == []


def test_the_engine_imports_no_framework_and_nothing_above_it():
    edges = graph()
    above = ("game.runtime", "game.cluster", "game.consumers", "game.sockets", "gameserver")
    for name in (n for n in edges if n.startswith("game.engine.")):
        assert not any(dep.startswith(above) for dep in edges[name]), name
        top = {alias.split(".")[0] for alias in _all_imports(modules()[name])}
        assert not top & {"django", "channels", "daphne", "redis"}, name


# Operator tools measure or drive the cluster itself (the input log's bench, the Redis model):
# they may name it, as pyproject.toml's cluster-by-settings contract allows. The game may not.
TOOLS = ("game.cluster", "game.loadtest", "game.management", "game.hostile")


def test_only_the_cluster_imports_the_cluster():
    edges = graph()
    outside = {name for name, deps in edges.items() if not name.startswith(TOOLS)
               and any(dep.startswith("game.cluster") for dep in deps)}
    assert outside == set()


def test_the_game_never_imports_the_server():
    edges = graph()
    assert {name for name, deps in edges.items() if name.startswith("game.")
            and any(dep.startswith("gameserver") for dep in deps)} == set()


def _all_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names
