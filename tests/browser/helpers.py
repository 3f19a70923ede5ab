"""Reading a game page's state through its test hook, `window.__game` (frontend/src/pages/game.js)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import TIMEOUT_MS


def wait_phase(page, phase: str, timeout_ms: int = TIMEOUT_MS) -> None:
    page.wait_for_function("p => window.__game && window.__game.phase === p", arg=phase, timeout=timeout_ms)


def reach_game_page(page) -> None:
    """Wait for the lobby page to have gone to the game page of the lobby it created (and that
    page to have loaded); failing, say what the page showed (a refusal is a toast)."""
    try:
        page.wait_for_url("**/play/*/")
    except PlaywrightTimeoutError:
        raise AssertionError(f"no game page after Create (at {page.url}); toasts: "
                             f"{page.locator('.toast').all_inner_texts()}") from None


#: True once every player of the lobby is ready (the host needs no ready flag, spectators none).
EVERYONE_READY = ("() => window.__game.lobby.members.every("
                  "m => m.role !== 'player' || m.ready || m.id === window.__game.lobby.host)")


def players(page) -> dict[str, dict[str, Any]]:
    """The players as the page draws them: {name: {x, y, ...}} (interpolated; own predicted)."""
    return page.evaluate("window.__game.players()")


def member_id(page, name: str) -> int:
    return page.evaluate("n => window.__game.lobby.members.find(m => m.name === n).id", name)


def settle(pages, read: Callable[[Any], Any], *, agree: Callable[[list[Any]], bool] | None = None,
           timeout_s: float = TIMEOUT_MS / 1000) -> list[Any]:
    """Poll ``read`` on every page until two reads 150 ms apart are the same (nothing moves any
    more) and, given ``agree``, until ``agree(views)`` holds (the pages show the same thing).

    Polls instead of sleeping a guessed time: returns as soon as the views are still. Still is
    not enough on a busy machine, where a page may not have drawn a frame between two reads:
    ``agree`` waits for the other pages to catch up. AssertionError at ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    before = [read(p) for p in pages]
    while True:
        pages[0].wait_for_timeout(150)
        now = [read(p) for p in pages]
        if now == before and (agree is None or agree(now)):
            return now
        assert time.monotonic() < deadline, f"the pages did not settle in {timeout_s} s: {now}"
        before = now


def arm_staff_button(page, button, *, attempts: int = 10) -> None:
    """Give a staff dashboard button that asks first (its first click arms it for 3 s) its first
    click, and return once a dashboard frame has drawn the table anew with the button still
    armed, at least 1.5 s left for the confirming click. On a busy machine the next frame may
    come after the 3 s: the button is armed again, once the old arming ran out (a click on a
    button still armed would act)."""
    for _ in range(attempts):
        page.wait_for_function("() => !window.__staff.armed || window.__staff.armed.until <= Date.now()")
        button.click()
        shown = page.evaluate("window.__staff.last.time")
        page.wait_for_function("t => window.__staff.last.time > t", arg=shown)  # the table was drawn anew
        if page.evaluate("() => Boolean(window.__staff.armed) && window.__staff.armed.until - Date.now() > 1500"):
            return
    raise AssertionError(f"no dashboard frame came within the 3 s a staff button stays armed, {attempts} times")


def dump(page) -> str:
    return json.dumps(page.evaluate(
        "({phase: window.__game.phase, you: window.__game.you, players: window.__game.players()})"))
