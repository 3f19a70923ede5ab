"""The replay viewer end to end: a pong match played in two real pages on a real daphne,
saved, then watched again at /replays/<id>/: frames are drawn, playing moves time on, and
seeking (slider and keyboard) shows the frame sought.

Positions are read from the page's test hook, `window.__replay` (frontend/src/pages/replay.js).
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from ..liveserver import create_lobby
from .helpers import EVERYONE_READY, wait_phase

pytestmark = pytest.mark.browser


def matches(server: str, code: str) -> list[dict]:
    with urllib.request.urlopen(f"{server}/api/lobbies/{code}/matches", timeout=30) as reply:
        return json.loads(reply.read())["matches"]


def play_a_short_match(open_page, server) -> tuple[dict, object]:
    """Two people play a two-second pong match, one holding a key; returns the saved match
    and the host's page (showing the result)."""
    lobby = create_lobby(server, game="pong", name="Replay me", settings={"time_limit_s": 2})
    code = lobby["code"]
    host = open_page(f"/play/{code}/", nickname="Ann", host_token=(code, lobby["host_token"]))
    wait_phase(host, "waiting")
    guest = open_page(f"/play/{code}/", nickname="Ben")
    wait_phase(guest, "waiting")
    guest.click("#ready")
    host.wait_for_function(EVERYONE_READY)
    # Ann's paddle goes down, something to see in the replay: the key is held from before the
    # start (the page sends it from the first tick), not pressed once the page saw the match
    # begin, which a busy machine may show near the end of its two seconds.
    host.locator("#canvas").focus()
    host.keyboard.down("KeyS")
    host.click("#start")
    wait_phase(host, "finished")
    host.keyboard.up("KeyS")
    host.wait_for_selector("#results-saved[data-state='saved']")
    [match] = matches(server, code)
    assert match["replay"] is True
    return match, host


def drawn_paddles(page) -> dict[str, float]:
    return page.evaluate("Object.fromEntries(Object.entries(window.__replay.entities())"
                         ".filter(([id]) => id.startsWith('p')).map(([, e]) => [e.n, e.y]))")


def test_a_saved_match_plays_back_and_seeks(open_page, server, shot):
    match, host = play_a_short_match(open_page, server)
    link = host.locator("#results-saved a.replay-link")
    assert link.get_attribute("href") == f"/replays/{match['id']}/"

    page = open_page(f"/replays/{match['id']}/", nickname="Viewer")
    page.wait_for_function("() => window.__replay && window.__replay.ready")
    frames = page.evaluate("window.__replay.frameCount")
    assert frames == match["ticks"] + 1
    page.wait_for_function("() => window.__replay.drawnTick === 0")  # the first frame drawn, paused
    assert not page.evaluate("window.__replay.playing")
    first = page.evaluate("window.__replay.frame(0)")
    last = page.evaluate(f"window.__replay.frame({frames - 1})")
    ann = next(id_ for id_, e in first["e"].items() if e.get("n") == "Ann")
    assert last["e"][ann]["y"] > first["e"][ann]["y"] + 50, "Ann held the key down the whole match"
    assert drawn_paddles(page)["Ann"] == first["e"][ann]["y"]
    shot(page, "replay-start")

    # Plays: time moves on, the paddle with it. At a quarter of the speed, the two seconds last
    # eight: a busy machine that plays to the end before the pause turns the button into "again"
    # (a click then plays from the start, and the next one pauses).
    page.select_option("#speed", "0.25")
    page.click("#play")
    page.wait_for_function("() => window.__replay.drawnTick > 5")
    for _ in range(3):
        page.click("#play")
        if not page.evaluate("window.__replay.playing"):
            break
    assert not page.evaluate("window.__replay.playing")
    page.select_option("#speed", "1")

    page.locator("#seek").fill(str(frames - 1))  # the slider, to the end
    page.wait_for_function("n => window.__replay.drawnTick === n", arg=frames - 1)
    assert drawn_paddles(page)["Ann"] == last["e"][ann]["y"]
    assert "Ann" in page.locator("#scores").inner_text()
    assert page.locator("#tick").inner_text() == f"tick {frames - 1} / {frames - 1}"
    shot(page, "replay-end")

    page.keyboard.press("Home")  # the keyboard: to the start, one tick on, faster
    page.wait_for_function("() => window.__replay.drawnTick === 0")
    page.keyboard.press("Shift+ArrowRight")
    page.wait_for_function("() => window.__replay.drawnTick === 1")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("window.__replay.speed") == 2
    page.wait_for_function("() => document.getElementById('speed').value === '2'")  # shown on the next frame
    page.keyboard.press(" ")
    page.wait_for_function("() => window.__replay.playing && window.__replay.drawnTick > 1")
