"""Quick match and the staff dashboard in real Chromium pages against a real daphne."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from ..liveserver import ROOT, create_lobby, live_server
from .helpers import arm_staff_button, wait_phase

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A daphne of its own (this module adds a staff user to its database)."""
    path = tmp_path_factory.mktemp("quickmatch")
    with live_server(path, GAME_COUNTDOWN_S="0.5") as base:
        yield base, path


@pytest.fixture(scope="module")
def server(live) -> str:  # open_page (conftest) opens pages on this server
    return live[0]


def add_staff_user(db_dir, username: str, password: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DEBUG": "1", "SQLITE_PATH": str(db_dir / "live.sqlite3"),
                "DJANGO_SETTINGS_MODULE": "gameserver.settings"})
    code = ("from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user({username!r}, password={password!r}, is_staff=True)")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, timeout=120)


def test_two_players_click_quick_match_and_land_in_the_same_running_match(open_page, shot):
    ann = open_page("/", nickname="Ann")
    bob = open_page("/", nickname="Bob")
    ann.click("#quick-games button[data-game=pong]")
    ann.wait_for_selector("#queue-view:not([hidden])")
    ann.wait_for_function("() => document.getElementById('queue-position').textContent === '1 of 1'")
    assert ann.is_disabled("#quick-games button[data-game=arena]")  # one queue at a time
    shot(ann, "quick-match-queue")
    bob.click("#quick-games button[data-game=pong]")
    for page in (ann, bob):
        page.wait_for_url(re.compile(r"/play/[A-Z0-9]+/$"))
    assert ann.url == bob.url
    for page in (ann, bob):
        wait_phase(page, "playing")
    assert ann.evaluate("window.__game.lobby.host") is None  # a matchmade lobby has no host
    assert ann.locator("#ready").is_hidden() and bob.locator("#ready").is_hidden()  # it starts by itself


def test_cancel_leaves_the_queue(open_page):
    page = open_page("/", nickname="Cat")
    page.click("#quick-games button[data-game=arena]")
    page.wait_for_function("() => document.getElementById('queue-position').textContent === '1 of 1'")
    page.click("#queue-cancel")
    page.wait_for_selector("#queue-view", state="hidden")
    assert not page.is_disabled("#quick-games button[data-game=arena]")


def test_staff_see_a_lobby_on_the_dashboard_and_close_it(live, open_page, shot):
    base, db_dir = live
    add_staff_user(db_dir, "moderator", "pw-for-tests-only")
    lobby = create_lobby(base, game="arena", name="Watched")
    code = lobby["code"]
    player = open_page(f"/play/{code}/", nickname="Dee", host_token=(code, lobby["host_token"]))
    wait_phase(player, "waiting")
    staff = open_page("/staff/", nickname="moderator")
    staff.fill("#id_username", "moderator")
    staff.fill("#id_password", "pw-for-tests-only")
    staff.click("button[type=submit]")
    staff.wait_for_url(re.compile(r"/staff/$"))
    row = staff.wait_for_selector(f"#staff-lobbies tr[data-code='{code}']")
    assert "Dee" in row.inner_text() and "Watched" in row.inner_text()
    shot(staff, "staff-dashboard")
    close = staff.locator(f"#staff-lobbies tr[data-code='{code}'] td.actions button")
    arm_staff_button(staff, close)  # clicked once, and still asking after a frame drew the table anew
    assert close.inner_text() == "Close it?"
    close.click()  # the second click confirms
    staff.wait_for_selector(f"#staff-lobbies tr[data-code='{code}']", state="detached")
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(f"{base}/api/lobbies/{code}", timeout=30)
    assert gone.value.code == 404
