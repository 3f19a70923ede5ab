"""The lobby list page: filtered by game and by open seats, paged forward and back."""

from __future__ import annotations

import json
import urllib.request

import pytest

from ..liveserver import create_lobby
from ..waits import until_sync

pytestmark = pytest.mark.browser


def codes_shown(page) -> list[str]:
    return page.eval_on_selector_all("#lobby-rows tr", "rows => rows.map(r => r.dataset.code)")


def listed(server: str, game: str) -> int:
    with urllib.request.urlopen(f"{server}/api/lobbies?game={game}&limit=1", timeout=30) as reply:
        return json.loads(reply.read())["total"]


def test_the_lobby_list_filters_by_game_and_pages_forward_and_back(open_page, server, shot):
    pongs = {create_lobby(server, game="pong", name=f"Paged pong {i}")["code"] for i in range(27)}
    arena = create_lobby(server, game="arena", name="Filtered arena")["code"]
    # The list answers from a snapshot rebuilt every 2 s: the pages below see all 27 once it has
    # them (a first page from an older snapshot and a second from a newer one would miss some).
    until_sync(lambda: listed(server, "pong") == 27 and listed(server, "arena") == 1, "all 28 lobbies listed",
               timeout=60)
    page = open_page("/", nickname="Fay")
    page.wait_for_selector("#filter-game option[value=pong]", state="attached")
    page.select_option("#filter-game", "pong")
    page.wait_for_function("() => document.querySelectorAll('#lobby-rows tr').length === 25"
                           " && [...document.querySelectorAll('#lobby-rows td:nth-child(2)')]"
                           ".every(td => td.textContent === 'Pong')")
    first = codes_shown(page)
    assert arena not in first and page.is_disabled("#lobbies-previous")
    shot(page, "lobby-list-pages")
    page.click("#lobbies-next")
    page.wait_for_function("() => !document.querySelector('#lobbies-previous').disabled")
    page.wait_for_function("n => document.querySelectorAll('#lobby-rows tr').length < n", arg=25)
    second = codes_shown(page)
    assert not set(first) & set(second) and pongs <= set(first) | set(second)
    assert "26–" in page.inner_text("#lobbies-range")
    page.click("#lobbies-previous")
    page.wait_for_function("() => document.querySelectorAll('#lobby-rows tr').length === 25")
    assert page.is_disabled("#lobbies-previous")
    page.select_option("#filter-game", "arena")
    page.wait_for_selector(f"tr[data-code='{arena}']")
    assert all(code not in pongs for code in codes_shown(page))


def test_a_focused_link_keeps_the_focus_when_the_list_is_drawn_again(open_page, server):
    """The list redraws its rows every 2 s; a keyboard user on a row's link stays there."""
    code = create_lobby(server, game="arena", name="Keyboard row")["code"]
    page = open_page("/", nickname="Kay")
    page.wait_for_selector("#filter-game option[value=arena]", state="attached")
    page.select_option("#filter-game", "arena")  # on the first page whatever the module made before
    page.locator(f"tr[data-code='{code}'] a", has_text="Join").focus()
    page.keyboard.press("Tab")  # to the row's Spectate link, by the keyboard (so its focus ring shows)
    page.evaluate("c => { document.querySelector(`tr[data-code='${c}']`).dataset.old = '1'; }", code)
    page.wait_for_function("c => { const row = document.querySelector(`tr[data-code='${c}']`);"
                           " return row && !row.dataset.old; }", arg=code)  # the row was drawn anew
    focused = page.evaluate("() => { const el = document.activeElement;"
                            " return [el.closest('tr')?.dataset.code, el.textContent, el.matches(':focus-visible')]; }")
    assert focused == [code, "Spectate", True], "the focus left the row's link when the list was drawn again"
