"""Liar's Dice in the browser: created in the lobby page, played with the mouse on a desktop and
with taps on a phone, each player seeing their own die only and the spectator none until the
cups are lifted, a move out of turn refused with the rules' reason, the match saved and rated
(last one standing), and replayed with every die shown at the end."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from .helpers import EVERYONE_READY, member_id, reach_game_page, wait_phase
from .phone import phone

pytestmark = pytest.mark.browser

NAME = "liars_dice"
# The module's buttons (frontend/src/games/liars_dice.js BUTTONS), centres in world units.
BUTTONS = {"bid": (505, 475), "liar": (695, 475), **{f"face{f}": (80 + (f - 1) * 128, 582) for f in range(1, 7)}}


def press(page, button: str, *, touch: bool) -> None:
    """Press one of the game's canvas buttons: a tap on the phone, a click on the desktop."""
    point = page.evaluate("([x, y]) => window.__game.toClient(x, y)", list(BUTTONS[button]))
    if touch:
        page.touchscreen.tap(point["x"], point["y"])
    else:
        page.mouse.click(point["x"], point["y"])


def dice_shown(page) -> dict[str, list[int] | None]:
    return {e["n"]: e.get("d") for e in page.evaluate("window.__game.players()").values()}


def test_a_match_of_liars_dice_by_mouse_and_touch_watched_rated_and_replayed(open_page, server, shot):
    ann = open_page("/", nickname="Ann")
    ann.select_option("#create-game", NAME)
    ann.wait_for_function("() => document.getElementById('create-help').textContent.includes('Bid')")
    ann.fill("#create-settings input[name=dice]", "1")  # one die each: one call ends the match
    # The longest turn clock: on a loaded machine a turn of this test must not run out on its own.
    ann.fill("#create-settings input[name=turn_time]", "120")
    ann.click("#create-submit")
    reach_game_page(ann)
    wait_phase(ann, "waiting")
    code = ann.evaluate("document.body.dataset.code")
    ben = open_page(f"/play/{code}/", nickname="Ben", **phone("portrait"))
    cy = open_page(f"/play/{code}/?role=spectator", nickname="Cy")
    wait_phase(ben, "waiting")
    ben.locator("#ready").tap()
    ann.wait_for_function(EVERYONE_READY)
    ann.click("#start")
    for page in (ann, ben, cy):
        wait_phase(page, "playing")
        page.wait_for_function("() => Object.keys(window.__game.players()).length === 2")

    # Each player sees their own die, not the other's; the spectator sees none.
    for page in (ann, ben):
        page.wait_for_function("() => Object.values(window.__game.players()).some(p => p.d)")
    assert [name for name, d in dice_shown(ann).items() if d] == ["Ann"]
    assert [name for name, d in dice_shown(ben).items() if d] == ["Ben"]
    assert not any(dice_shown(cy).values())
    # The phone's tap targets are big: a button is at least 44 CSS pixels high and wide.
    corners = ben.evaluate("() => [window.__game.toClient(420, 425), window.__game.toClient(590, 525)]")
    assert corners[1]["x"] - corners[0]["x"] >= 44 and corners[1]["y"] - corners[0]["y"] >= 44
    shot(ben, "liars-dice-phone")

    ids = {"Ann": member_id(ann, "Ann"), "Ben": member_id(ann, "Ben")}
    # Whose turn it is, once the page has been told (a frame may still be on its way).
    turn = ann.evaluate("window.__game.globals()?.tu")
    if turn not in ids.values():
        ann.wait_for_function("ids => ids.includes(window.__game.globals()?.tu)", arg=list(ids.values()))
        turn = ann.evaluate("window.__game.globals().tu")
    first, second = ("Ann", "Ben") if turn == ids["Ann"] else ("Ben", "Ann")
    pages = {"Ann": (ann, False), "Ben": (ben, True)}

    page, touch = pages[second]  # out of turn: refused, and the rules say why
    press(page, "bid", touch=touch)
    page.wait_for_function("() => window.__game.notifications().some(n => n.message.includes('Not your turn'))")

    page, touch = pages[first]  # opens: one die showing a three
    press(page, "face3", touch=touch)
    press(page, "bid", touch=touch)
    cy.wait_for_function("() => window.__game.globals()?.bq === 1 && window.__game.globals()?.bf === 3")
    expect(cy.locator("#chat-log")).to_contain_text(f"{first} bids 1 × 3.")

    page, touch = pages[second]  # calls it: the cups lift for everyone
    press(page, "liar", touch=touch)
    cy.wait_for_function("() => Boolean(window.__game.globals()?.rv)")
    assert all(dice_shown(cy).values())
    shot(cy, "liars-dice-reveal")

    for page in (ann, ben, cy):
        wait_phase(page, "finished")
    ann.wait_for_selector("#results-saved[data-state='saved']")
    with urllib.request.urlopen(f"{server}/api/lobbies/{code}/matches", timeout=30) as reply:
        [match] = json.loads(reply.read())["matches"]
    assert match["game"] == NAME and match["reason"] == "last_standing" and match["replay"] is True

    board = open_page(f"/leaderboard/{NAME}/", nickname="Cy")
    assert "Ann" in board.inner_text("main") and "Ben" in board.inner_text("main")

    replay = open_page(f"/replays/{match['id']}/", nickname="Cy")
    replay.wait_for_function("() => window.__replay && window.__replay.ready")
    frames = replay.evaluate("window.__replay.frameCount")
    replay.locator("#seek").fill("1")
    replay.wait_for_function("() => window.__replay.drawnTick === 1")
    early = replay.evaluate("window.__replay.entities()")
    assert not any("d" in e for e in early.values())  # the spectators' view while it played
    replay.locator("#seek").fill(str(frames - 1))
    replay.wait_for_function("n => window.__replay.drawnTick === n", arg=frames - 1)
    last = replay.evaluate("window.__replay.entities()")
    assert all("d" in e or e["k"] == 0 for e in last.values())  # revealed at the end
    shot(replay, "liars-dice-replay")
