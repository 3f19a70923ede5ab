"""The README's first steps as a new user takes them: `make run` shows pip working, an admin
account is one `make superuser` away, and the README says how a match starts and ends."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess

import pytest

from game.rules.arena import Arena
from game.rules.pong import Pong
from tests.liveserver import ROOT

README = (ROOT / "README.md").read_text()


def test_the_first_install_shows_pip_working():
    """The first `make run` installed quietly (-q): about 95 s with nothing on screen."""
    dry = subprocess.run(["make", "-n", "-W", "requirements.txt", ".venv/.installed"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    [install] = [line for line in dry.splitlines() if "pip install" in line]
    assert not re.search(r"\s-q\b|--quiet", install), install
    assert "-r requirements.txt" in install and "--progress-bar on" in install


@pytest.mark.server
def test_make_superuser_creates_an_admin_without_a_secret_key(tmp_path):
    """The README's `.venv/bin/python manage.py createsuperuser` stopped at "Set SECRET_KEY"."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    env.update({"SQLITE_PATH": str(tmp_path / "admin.sqlite3"), "DJANGO_SUPERUSER_USERNAME": "root",
                "DJANGO_SUPERUSER_EMAIL": "root@example.com", "DJANGO_SUPERUSER_PASSWORD": "a-long-test-password"})
    subprocess.run(["make", "superuser", "ARGS=--noinput"], cwd=ROOT, env=env, capture_output=True, text=True,
                   check=True, timeout=300)
    with sqlite3.connect(tmp_path / "admin.sqlite3") as db:
        assert db.execute("SELECT username, is_superuser, is_staff FROM auth_user").fetchall() == [("root", 1, 1)]
    assert "make superuser" in README and "manage.py createsuperuser`" not in README


def section(title: str) -> str:
    found = re.search(rf"^## {title}\n(.*?)(?=^## )", README, re.S | re.M)
    assert found, f"no section {title!r} in the README"
    return found.group(1)


def test_the_readme_says_players_get_ready_and_how_a_match_ends():
    playing = " ".join(section("Playing").split())
    assert "ready" in playing and "host" in playing
    for game in (Arena, Pong):
        entry = re.search(rf"^- \*\*{game.title}\*\*.*?(?=^- |\Z)", section("Playing"), re.S | re.M)
        line = " ".join(entry.group(0).split())
        limits = {key: s.default for key, s in game.settings_schema.items()}
        assert f"{limits['score_limit']} points" in line, line
        assert f"{limits['time_limit_s'] // 60} minutes" in line, line
        assert "draw" in line, line
