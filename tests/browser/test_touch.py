"""Phones: Arena and Pong played by touch on a 390 x 844 screen, upright and on its side.

The host plays on an emulated phone (``has_touch``, ``is_mobile``) with real touches; the
other player is on a desktop. What the tests check is what the server received and sent back:
the phone player's entity in the newest state frame (``window.__game.received()``, no
prediction), and bullets owned by that player. Screenshots go to test-artifacts/touch/.
"""

from __future__ import annotations

import math

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from ..liveserver import create_lobby
from .a11y import assert_accessible
from .helpers import EVERYONE_READY, wait_phase
from .phone import PHONES, Finger, centre, inside_viewport, no_horizontal_scroll, phone, screenshot

pytestmark = pytest.mark.browser

ORIENTATIONS = list(PHONES)
OWN = "window.__game.received()['p' + window.__game.you]"
# True once the phone player's received entity is `d` world units from (x, y) (MOVED_Y: down by d, or up by -d).
MOVED = f"([x, y, d]) => {{ const p = {OWN}; return p && Math.hypot(p.x - x, (p.y - y)) >= d; }}"
MOVED_Y = f"([y, d]) => {{ const p = {OWN}; return p && (p.y - y) * Math.sign(d) >= Math.abs(d); }}"
# The phone player's bullets in the newest state frame, remembered across polls: {id: entity}.
OWN_BULLETS = """() => {
  const seen = (window.__ownBullets ??= {});
  for (const [id, e] of Object.entries(window.__game.received())) {
    if (id[0] === 'b' && e.o === window.__game.you) seen[id] ??= e;
  }
  return seen;
}"""


def seat_on_phone(open_page, server, game: str, orientation: str, time_limit_s: int = 120):
    """A phone host and a desktop guest in a running match of ``game``; returns both pages."""
    settings = {"time_limit_s": time_limit_s}
    if game == "pong":  # idle paddles let the ball by: five points (the default limit) end a match in well
        settings["score_limit"] = 1000  # under a minute, which a loaded machine can spend before the first touch
    lobby = create_lobby(server, game=game, name=f"Touch {game} {orientation}", settings=settings)
    code = lobby["code"]
    phone_page = open_page(f"/play/{code}/", nickname="Pia", host_token=(code, lobby["host_token"]),
                           **phone(orientation))
    wait_phase(phone_page, "waiting")
    desk = open_page(f"/play/{code}/", nickname="Dex")
    wait_phase(desk, "waiting")
    phone_page.wait_for_function("() => window.__game.lobby.members.some(m => m.name === 'Dex')")
    desk.click("#ready")
    phone_page.wait_for_function(EVERYONE_READY)
    phone_page.locator("#start").tap()  # the host starts the match by touch too
    for page in (phone_page, desk):
        wait_phase(page, "playing")
    phone_page.wait_for_function(f"() => Boolean({OWN})")
    return phone_page, desk


def check_phone_layout(page, orientation: str) -> None:
    """The game view and the touch pad are on the screen as it first shows; nothing scrolls sideways."""
    width, _ = PHONES[orientation]
    no_horizontal_scroll(page, width)
    inside_viewport(page, "#canvas")
    inside_viewport(page, "#touch-pad")
    for control in page.locator("#touch-pad .touch-control").all():
        assert control.is_visible()


def own(page) -> dict:
    return page.evaluate(OWN)


def to_client(page, x: float, y: float) -> tuple[float, float]:
    at = page.evaluate("([x, y]) => window.__game.toClient(x, y)", [x, y])
    return at["x"], at["y"]


def hold(page, finger: Finger, start: tuple[float, float], end: tuple[float, float], until: str, arg,
         timeout: float = 60_000) -> None:
    """Put ``finger`` down at ``start``, slide it to ``end`` and hold it there until ``until``."""
    finger.down(*start)
    try:
        finger.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        finger.move(*end)
        page.wait_for_function(until, arg=arg, timeout=timeout)
    finally:
        finger.up()


def drag_until(page, finger: Finger, path, until: str, arg, tries: int = 6) -> None:
    """`hold` along ``path()`` (``(start, end)``, worked out anew each time) until ``until``,
    again from where things are now if a drag did not get there in 10 s: on a loaded machine
    the page can still be laying out the court when the finger lands, and the drag misses."""
    for _attempt in range(tries):
        try:
            hold(page, finger, *path(), until, arg, timeout=10_000)
            return
        except PlaywrightTimeoutError:
            continue
    pytest.fail(f"{tries} drags did not get there")


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_arena_is_played_by_touch_with_the_stick_a_tap_and_the_fire_button(open_page, server, orientation):
    page, desk = seat_on_phone(open_page, server, "arena", orientation)
    check_phone_layout(page, orientation)
    assert "stick" in page.inner_text("#help"), "the help line speaks of the touch controls"
    screenshot(page, "touch", f"arena-{orientation}-start")

    # The stick, pushed toward the middle of the arena, walks the fighter there.
    spawn = own(page)
    dx, dy = 800 - spawn["x"], 450 - spawn["y"]
    length = math.hypot(dx, dy)
    sx, sy = centre(page.locator(".touch-stick"))
    finger = Finger(page)
    hold(page, finger, (sx, sy), (sx + 60 * dx / length, sy + 60 * dy / length), MOVED, [spawn["x"], spawn["y"], 80])
    desk.wait_for_function("([x, y]) => { const p = window.__game.players().Pia; "
                           "return p && Math.hypot(p.x - x, p.y - y) >= 80; }", arg=[spawn["x"], spawn["y"]])
    screenshot(page, "touch", f"arena-{orientation}-moved")

    # A tap on the arena aims there and fires: back along the walked path, open floor.
    page.wait_for_function(f"([x, y]) => Math.hypot({OWN}.x - x, {OWN}.y - y) >= 80", arg=[spawn["x"], spawn["y"]])
    here = own(page)
    target = (2 * spawn["x"] - here["x"], 2 * spawn["y"] - here["y"])
    target = (min(max(target[0], 5), 1595), min(max(target[1], 5), 895))
    # On a busy machine a tap's shot may fly and vanish between two looks: tap again (6 at most).
    for _attempt in range(6):
        page.touchscreen.tap(*to_client(page, *target))
        try:
            shots = page.wait_for_function(
                f"() => {{ const s = ({OWN_BULLETS})(); return Object.keys(s).length ? s : null; }}",
                polling=20, timeout=10_000).json_value()
            break
        except PlaywrightTimeoutError:
            continue
    else:
        pytest.fail("no shot was seen after six taps on the arena")
    bullet = next(iter(shots.values()))
    expected = math.atan2(target[1] - here["y"], target[0] - here["x"])
    off = abs(math.remainder(math.atan2(bullet["vy"], bullet["vx"]) - expected, math.tau))
    assert off < 0.35, f"the shot flew at {bullet} instead of toward the tap ({expected:.2f} rad)"

    # Holding Fire shoots again (where the last shot went).
    first = set(shots)
    fx, fy = centre(page.locator(".touch-fire"))
    finger.down(fx, fy)
    try:
        page.wait_for_function(f"ids => Object.keys(({OWN_BULLETS})()).some(id => !ids.includes(id))",
                               arg=sorted(first), polling=20)
    finally:
        finger.up()
    screenshot(page, "touch", f"arena-{orientation}-fired")


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_pong_paddle_follows_a_drag_on_the_court_and_on_a_pad(open_page, server, orientation):
    page, _desk = seat_on_phone(open_page, server, "pong", orientation)
    check_phone_layout(page, orientation)
    assert page.locator("#touch-pad .touch-drag").count() == 2
    screenshot(page, "touch", f"pong-{orientation}-start")

    # On the court: the finger goes down on the own paddle and drags it 120 world units down.
    start = own(page)
    x = 36 if start["side"] == 0 else 764

    def on_court():  # (from where the paddle is now: a drag that missed may have moved it part way)
        now = own(page)["y"]
        return to_client(page, x, now), to_client(page, x, min(now + 120, start["y"] + 120))

    finger = Finger(page)
    drag_until(page, finger, on_court, MOVED_Y, [start["y"], 100])
    screenshot(page, "touch", f"pong-{orientation}-dragged")

    # On a pad beside or under the court: a drag up moves the paddle up as far.
    low = own(page)

    def on_pad():
        px, py = centre(page.locator(".touch-drag[data-side=right]"))
        up = to_client(page, 0, 0)[1] - to_client(page, 0, 100)[1]  # 100 world units, in screen pixels (negative)
        return (px, py + 20), (px, py + 20 + up)

    drag_until(page, finger, on_pad, MOVED_Y, [low["y"], -80])


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_a_finished_match_on_a_phone_shows_its_result_over_the_screen_and_a_tap_rematches(
        open_page, server, orientation):
    page, desk = seat_on_phone(open_page, server, "pong", orientation, time_limit_s=2)
    page.locator("#results-saved[data-state=saved]").wait_for()
    width, _ = PHONES[orientation]
    no_horizontal_scroll(page, width)
    card = page.locator("#results .card").bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= width, f"the result card is wider than the screen: {card}"
    assert card["y"] >= 0, f"the result card starts above the screen: {card}"
    assert_accessible(page, f"results on a phone ({orientation})")
    screenshot(page, "touch", f"results-{orientation}")
    page.locator("#rematch").tap()  # scrolled to where the finger can reach it
    for p in (page, desk):
        wait_phase(p, "playing")
    expect(page.locator("#results")).to_be_hidden()
