"""The settings forms read each setting's type and bounds from GET /api/games: the browser
checks them before sending, and the server's refusal (naming the bound) is shown otherwise."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from .conftest import TIMEOUT_MS
from .helpers import reach_game_page, wait_phase

pytestmark = pytest.mark.browser


def test_the_create_form_carries_the_published_bounds_and_shows_a_refusal(open_page, server):
    page = open_page("/", nickname="Erin")
    page.select_option("#create-game", "arena")
    field = page.locator("#create-settings input[name=score_limit]")
    assert [field.get_attribute(a) for a in ("type", "min", "max", "step")] == ["number", "1", "3600", "1"]
    field.fill("0")
    assert page.evaluate("document.querySelector('#create-settings input[name=score_limit]').validity.valid") is False
    page.evaluate("document.getElementById('create-form').noValidate = true")  # as a client without checks
    page.click("#create-submit")
    page.wait_for_selector("text=score_limit must be an integer in [1, 3600]")


def test_a_game_chosen_before_the_game_list_arrives_stays_chosen(browser, server):
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    held = []
    context.route("**/api/games", lambda route: held.append(route))  # the list arrives late
    page = context.new_page()
    page.goto(server + "/")
    page.wait_for_function("() => document.querySelectorAll('#create-game option').length > 1")
    page.select_option("#create-game", "pong")  # from the page's own options
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not held and time.monotonic() < deadline:  # Playwright's event pump runs in the waits
        page.wait_for_timeout(50)
    assert held, "the page never asked for /api/games"
    held[0].continue_()
    page.wait_for_function("() => document.querySelector('#create-game option').textContent.includes('2')")
    assert page.input_value("#create-game") == "pong"
    context.close()


def test_the_host_settings_form_carries_the_published_bounds(open_page, server):
    page = open_page("/", nickname="Finn")
    page.select_option("#create-game", "pong")
    page.click("#create-submit")
    reach_game_page(page)
    wait_phase(page, "waiting")
    assert page.evaluate("window.__game.lobby.settings") == {
        "score_limit": 5, "time_limit_s": 120, "bots": 0, "bot_difficulty": "normal", "spectator_delay": 0,
        "broadcast_rate": 0}
    page.click("#host-panel summary")
    field = page.locator("#setting-time_limit_s")
    # The form is drawn from the lobby at once, and again with the bounds once /api/games came.
    expect(field).to_have_attribute("max", "3600")
    assert [field.get_attribute(a) for a in ("min", "max", "step")] == ["1", "3600", "1"]


def test_create_clicked_before_the_game_list_arrives_makes_the_lobby(browser, server):
    """The page offers its own game options at once, but a game's bounds (max players, its
    settings) come with /api/games: a click on Create before that waits for them, instead of
    sending 8 players for a two-player game (refused by the server: no lobby, no game page)."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    held = []
    # The lobby page's request for the list is held; later ones (the game page's) go through.
    context.route("**/api/games", lambda route: route.continue_() if held else held.append(route))
    page = context.new_page()
    page.goto(server + "/")
    page.select_option("#create-game", "pong")
    page.click("#create-submit")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the page never asked for /api/games"
    held[0].continue_()
    reach_game_page(page)
    wait_phase(page, "waiting")
    assert page.evaluate("[window.__game.lobby.game, window.__game.lobby.max_players]") == ["pong", 2]
    assert page.locator(".toast").count() == 0, page.locator(".toast").all_inner_texts()
    context.close()
