"""The site in Hindi, in a real Chromium: the browser's Accept-Language chooses it, the switcher
changes it and it is remembered across reloads and pages (the cookie and localStorage), the
templates and the scripts agree, and the lobby list, the game page and the replay read in Hindi
at desktop and phone size. Screenshots: test-artifacts/i18n/ (docs/i18n.md on fonts).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..liveserver import create_lobby
from .conftest import ARTIFACTS
from .helpers import wait_phase
from .phone import phone
from .test_replay import play_a_short_match

pytestmark = pytest.mark.browser

DEVANAGARI = re.compile("[\u0900-\u097f]")


def language(page) -> str:
    return page.evaluate("document.documentElement.lang")


def snap(page, name: str) -> None:
    (ARTIFACTS / "i18n").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "i18n" / f"{name}.png"), full_page=True)


def switch_to(page, code: str) -> None:
    with page.expect_navigation():
        page.select_option("#language", code)
    page.wait_for_load_state()


def check_lobbies(page, code: str) -> None:
    assert language(page) == "hi"
    assert page.inner_text("h1") == "सार्वजनिक लॉबियाँ"
    page.wait_for_function("() => /अपडेट/.test(document.getElementById('lobbies-status').textContent)")  # the scripts'
    row = page.locator(f"#lobby-rows tr[data-code='{code}']")
    assert row.locator("a.button.primary").inner_text() == "शामिल हों" and "अखाड़ा" in row.inner_text()
    # The quick-match games and the settings form come from /api/games, apart from the list.
    expect(page.locator("#quick-games")).to_contain_text("अखाड़ा")
    expect(page.locator("#create-settings")).to_contain_text("स्कोर सीमा")


def check_game_page(page) -> None:
    wait_phase(page, "waiting")
    page.wait_for_function("() => document.getElementById('connection').textContent === 'जुड़ा है'")
    assert "शामिल हुए" in page.inner_text("#chat-log") and page.inner_text("#help").startswith("चलना")
    assert "खिलाड़ियों का इंतज़ार" in page.inner_text("#lobby-info") and "चैट" in page.inner_text(".chat h2")


def check_replay(page) -> None:
    page.wait_for_function("() => window.__replay && window.__replay.ready")
    assert page.inner_text("#play") == "चलाएँ" and page.inner_text("#tick").startswith("टिक ")
    assert "नतीजा" in page.inner_text(".side") and "पोंग" in page.inner_text("title")


def test_switching_to_hindi_is_remembered_on_every_page(open_page, server, browser):
    match, _host = play_a_short_match(open_page, server)
    lobby = create_lobby(server, game="arena", name="Shaam ka khel")
    code = lobby["code"]
    page = open_page("/", nickname="Asha")
    assert language(page) == "en" and page.inner_text("h1") == "Public lobbies"
    switch_to(page, "hi")
    check_lobbies(page, code)
    assert page.evaluate("localStorage.getItem('language')") == "hi"
    assert {c["name"]: c["value"] for c in page.context.cookies()}["django_language"] == "hi"
    page.reload()
    check_lobbies(page, code)
    snap(page, "lobbies-desktop-hi")

    page.goto(f"{server}/play/{code}/")
    check_game_page(page)
    snap(page, "game-desktop-hi")

    page.goto(f"{server}/replays/{match['id']}/")
    check_replay(page)
    page.locator("#play").click()
    page.wait_for_function("() => window.__replay.drawnTick > 10")  # playing, for the screenshot
    snap(page, "replay-desktop-hi")

    switch_to(page, "en")
    assert language(page) == "en" and page.inner_text("#play") == "Play"


def test_a_phone_remembering_hindi_and_a_hindi_browser_get_hindi(browser, server, open_page):
    match, _host = play_a_short_match(open_page, server)
    code = create_lobby(server, game="arena", name="Phone lobby")["code"]
    # localStorage remembers Hindi but the cookie is gone: the page restores it and reloads once.
    page = open_page("/healthz", nickname="Ravi", **phone("portrait"))
    page.evaluate("localStorage.setItem('language', 'hi')")
    page.goto(f"{server}/")
    page.wait_for_function("() => document.documentElement.lang === 'hi'")  # the page reloaded in Hindi
    page.wait_for_load_state()  # ... and its scripts ran
    check_lobbies(page, code)
    snap(page, "lobbies-phone-hi")
    page.goto(f"{server}/play/{code}/")
    check_game_page(page)
    snap(page, "game-phone-hi")
    page.goto(f"{server}/replays/{match['id']}/")
    check_replay(page)
    snap(page, "replay-phone-hi")

    fresh = open_page("/", nickname="Meera", locale="hi-IN", extra_http_headers={"Accept-Language": "hi-IN,hi;q=0.9"})
    assert language(fresh) == "hi" and DEVANAGARI.search(fresh.inner_text("main"))
    assert fresh.evaluate("localStorage.getItem('language')") is None, "the browser's language is no choice"
