"""A copy of the project with a game `manage.py startgame` just wrote: what a developer has
right after running it, made without touching this checkout (tests/scaffold/test_startgame.py and
tests/browser/test_new_game.py use it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: What a copy needs to run the server, the commands and the tests.
PARTS = ("game", "gameserver", "frontend", "static", "tests", "docs", "manage.py", "pytest.ini")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")


def copy_project(dest: Path) -> Path:
    """Copy the project's code, pages, tests and docs to ``dest`` (made); returns it."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=IGNORED)
        else:
            shutil.copy2(source, dest / part)
    return dest


def run_in(project: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python <args>`` in ``project`` (DEBUG settings), capturing its output."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings"})
    return subprocess.run([sys.executable, *args], cwd=project, env=env, capture_output=True, text=True,
                          timeout=timeout)


def project_with_new_game(dest: Path, name: str, *extra: str) -> Path:
    """A copy of the project in ``dest`` where ``manage.py startgame name`` ran (and succeeded)."""
    project = copy_project(dest)
    done = run_in(project, "manage.py", "startgame", name, *extra)
    if done.returncode != 0:
        raise RuntimeError(f"startgame {name} failed:\n{done.stdout}\n{done.stderr}")
    return project
