"""Reading a game page's state through its test hook, `window.__game` (frontend/src/pages/game.js)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any


def wait_phase(page, phase: str, timeout_ms: int = 20_000) -> None:
    page.wait_for_function("p => window.__game && window.__game.phase === p", arg=phase, timeout=timeout_ms)


#: True once every player of the lobby is ready (the host needs no ready flag, spectators none).
EVERYONE_READY = ("() => window.__game.lobby.members.every("
                  "m => m.role !== 'player' || m.ready || m.id === window.__game.lobby.host)")


def players(page) -> dict[str, dict[str, Any]]:
    """The players as the page draws them: {name: {x, y, ...}} (interpolated; own predicted)."""
    return page.evaluate("window.__game.players()")


def member_id(page, name: str) -> int:
    return page.evaluate("n => window.__game.lobby.members.find(m => m.name === n).id", name)


def settle(pages, read: Callable[[Any], Any], *, agree: Callable[[list[Any]], bool] | None = None,
           timeout_s: float = 15.0) -> list[Any]:
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


def dump(page) -> str:
    return json.dumps(page.evaluate(
        "({phase: window.__game.phase, you: window.__game.you, players: window.__game.players()})"))
