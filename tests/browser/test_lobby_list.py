"""The lobby list page: filtered by game and by open seats, paged forward and back."""

from __future__ import annotations

import pytest

from ..liveserver import create_lobby

pytestmark = pytest.mark.browser


def codes_shown(page) -> list[str]:
    return page.eval_on_selector_all("#lobby-rows tr", "rows => rows.map(r => r.dataset.code)")


def test_the_lobby_list_filters_by_game_and_pages_forward_and_back(open_page, server, shot):
    pongs = {create_lobby(server, game="pong", name=f"Paged pong {i}")["code"] for i in range(27)}
    arena = create_lobby(server, game="arena", name="Filtered arena")["code"]
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
