"""Accessibility basics on every page, at desktop and phone sizes: axe-core finds no serious or
critical violation, a phone never scrolls sideways, and (desktop) the Tab key reaches every
control, each showing its focus. A match is then set up, played and chatted in by keyboard alone.

Screenshots of every page at every size go to test-artifacts/pages/.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from ..liveserver import create_lobby, live_server
from .a11y import assert_accessible, assert_focus_visible
from .conftest import TIMEOUT_MS
from .helpers import EVERYONE_READY, players, reach_game_page, wait_phase
from .phone import PHONES, no_horizontal_scroll, phone, screenshot
from .test_quick_match import add_staff_user

pytestmark = pytest.mark.browser

STAFF = ("warden", "pw-for-tests-only")
DEVICES = {"desktop": {}, "phone": phone("portrait"), "phone-landscape": phone("landscape")}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A daphne of its own, with a staff user, and one saved pong match to show."""
    path = tmp_path_factory.mktemp("a11y")
    # Every page visit makes a lobby from this one address: lift the per-address lobby cap.
    with live_server(path, GAME_COUNTDOWN_S="0.5", GAME_MAX_LOBBIES_PER_CLIENT="1000",
                     GAME_MAX_LOBBIES_PER_ADDRESS="1000") as base:
        add_staff_user(path, *STAFF)
        yield base


@pytest.fixture(scope="module")
def server(live) -> str:  # open_page (conftest) opens pages on this server
    return live


@pytest.fixture(scope="module")
def saved_match(browser, server) -> str:
    """Two people play a 2-second pong match; returns the saved match's id."""
    lobby = create_lobby(server, game="pong", name="Rated", settings={"time_limit_s": 2})
    code = lobby["code"]
    contexts = [browser.new_context() for _ in range(2)]
    try:
        host, guest = (c.new_page() for c in contexts)
        for page in (host, guest):
            page.set_default_timeout(TIMEOUT_MS)
        host.goto(f"{server}/healthz")
        host.evaluate("([c, t]) => sessionStorage.setItem('host_token:' + c, t)", [code, lobby["host_token"]])
        for page in (host, guest):
            page.goto(f"{server}/play/{code}/")
            wait_phase(page, "waiting")
        host.wait_for_function("() => window.__game.lobby.members.length === 2")
        guest.click("#ready")
        host.wait_for_function(EVERYONE_READY)
        host.click("#start")
        host.wait_for_selector("#results-saved[data-state='saved']")
        return host.get_attribute("#results-saved a.replay-link", "href").strip("/").split("/")[-1]
    finally:
        for context in contexts:
            context.close()


def host_and_guest(open_page, server, device: dict):
    """A waiting arena lobby: the host's page (on ``device``) and a guest's (desktop)."""
    lobby = create_lobby(server, game="arena", name="Accessible arena")
    code = lobby["code"]
    host = open_page(f"/play/{code}/", nickname="Hana", host_token=(code, lobby["host_token"]), **device)
    wait_phase(host, "waiting")
    guest = open_page(f"/play/{code}/", nickname="Gus")
    wait_phase(guest, "waiting")
    host.wait_for_function("() => window.__game.lobby.members.length === 2")
    return host, guest, code


def lobbies(open_page, server, device, match):
    create_lobby(server, game="pong", name="Listed pong")
    page = open_page("/", nickname="Lia", **device)
    page.wait_for_selector("#lobby-rows tr")
    page.wait_for_selector("#quick-games button")
    return page, ("nickname", "join-code", "create-game", "create-submit")


def game_host(open_page, server, device, match):
    host, _, _ = host_and_guest(open_page, server, device)
    return host, ("start", "lock", "close-lobby", "canvas")


def host_settings(open_page, server, device, match):
    host, _, _ = host_and_guest(open_page, server, device)
    host.locator("#host-panel summary").click()
    host.wait_for_selector("#settings-form input[name=name]")
    return host, ("setting-name", "setting-bots")


def game_player(open_page, server, device, match):
    host, _, code = host_and_guest(open_page, server, device)
    player = open_page(f"/play/{code}/", nickname="Pat", **device)
    wait_phase(player, "waiting")
    return player, ("ready",)


def spectator(open_page, server, device, match):
    _, _, code = host_and_guest(open_page, server, {})
    page = open_page(f"/play/{code}/?role=spectator", nickname="Sam", **device)
    wait_phase(page, "waiting")
    return page, ("follow",)


def leaderboard(open_page, server, device, match):
    page = open_page("/leaderboard/pong/", nickname="Lia", **device)
    page.wait_for_selector("a[href^='/players/']")
    return page, ()


def player_page(open_page, server, device, match):
    page = open_page("/leaderboard/pong/", nickname="Lia", **device)
    page.goto(server + page.locator("a[href^='/players/']").first.get_attribute("href"))
    page.wait_for_selector("h1")
    return page, ()


def replay(open_page, server, device, match):
    page = open_page(f"/replays/{match}/", nickname="Lia", **device)
    page.wait_for_function("() => window.__replay && window.__replay.ready")
    return page, ("play", "seek", "speed")


def login(open_page, server, device, match):
    page = open_page("/accounts/login/", nickname="Lia", **device)
    return page, ("id_username", "id_password")


def staff(open_page, server, device, match):
    page = open_page("/accounts/login/?next=/staff/", nickname=STAFF[0], **device)
    page.fill("#id_username", STAFF[0])
    page.fill("#id_password", STAFF[1])
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    page.wait_for_function("() => window.__staff && window.__staff.last")
    return page, ()


PAGES: dict[str, Callable] = {
    "lobbies": lobbies, "game-host": game_host, "host-settings": host_settings, "game-player": game_player,
    "spectator": spectator, "leaderboard": leaderboard, "player": player_page, "replay": replay, "login": login,
    "staff": staff,
}


@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_passes_axe_and_fits_the_screen(open_page, server, saved_match, name, device):
    page, must_reach = PAGES[name](open_page, server, DEVICES[device], saved_match)
    assert_accessible(page, f"{name} ({device})")
    if device == "desktop":
        assert_focus_visible(page, name, must_reach)
    else:
        no_horizontal_scroll(page, PHONES["portrait" if device == "phone" else "landscape"][0])
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "pages", f"{name}-{device}", full_page=True)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_match_is_created_joined_started_played_and_chatted_in_by_keyboard_alone(open_page):
    host = open_page("/", nickname="Kim")
    host.wait_for_selector("#create-game option", state="attached")
    tab_to(host, "#create-name")
    host.keyboard.type("Keys only")
    host.keyboard.press("Enter")  # submits the create form
    reach_game_page(host)
    wait_phase(host, "waiting")
    code = host.evaluate("document.body.dataset.code")

    guest = open_page("/", nickname="Lee")
    tab_to(guest, "#join-code")
    guest.keyboard.type(code)
    guest.keyboard.press("Enter")  # the form's first button: join as a player
    wait_phase(guest, "waiting")
    tab_to(guest, "#ready")
    guest.keyboard.press("Space")  # Space presses the focused button; the game does not take it
    host.wait_for_function("() => window.__game.lobby.members.length === 2")
    host.wait_for_function(EVERYONE_READY)
    tab_to(host, "#start")
    host.keyboard.press("Enter")
    wait_phase(guest, "playing")

    guest.wait_for_function("() => 'Lee' in window.__game.players()")
    start = players(guest)["Lee"]
    key = "KeyD" if start["x"] < 800 else "KeyA"
    guest.keyboard.down(key)
    try:
        guest.wait_for_function("x => Math.abs(window.__game.players().Lee.x - x) > 60", arg=start["x"])
    finally:
        guest.keyboard.up(key)

    tab_to(guest, "#chat-form input")
    guest.keyboard.type("typed with keys")
    guest.keyboard.press("Enter")
    host.locator("#chat-log li.chat", has_text="typed with keys").wait_for()
