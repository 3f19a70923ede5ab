"""The settings forms read each setting's type and bounds from GET /api/games: the browser
checks them before sending, and the server's refusal (naming the bound) is shown otherwise."""

from __future__ import annotations

import pytest

from .helpers import wait_phase

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
    held = []
    context.route("**/api/games", lambda route: held.append(route))  # the list arrives late
    page = context.new_page()
    page.goto(server + "/")
    page.wait_for_function("() => document.querySelectorAll('#create-game option').length > 1")
    page.select_option("#create-game", "pong")  # from the page's own options
    for _ in range(200):  # until the held request is seen (Playwright's event pump runs meanwhile)
        if held:
            break
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
    page.wait_for_url("**/play/*/")
    wait_phase(page, "waiting")
    assert page.evaluate("window.__game.lobby.settings") == {
        "score_limit": 5, "time_limit_s": 120, "bots": 0, "bot_difficulty": "normal", "spectator_delay": 0,
        "broadcast_rate": 0}
    page.click("#host-panel summary")
    field = page.locator("#setting-time_limit_s")
    field.wait_for(state="attached")
    assert [field.get_attribute(a) for a in ("min", "max", "step")] == ["1", "3600", "1"]
