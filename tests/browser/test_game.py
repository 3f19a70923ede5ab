"""The browser client end to end: real Chromium pages against a real daphne.

Positions are read from the page's test hook (`window.__game`), which exposes what the page
draws: other players interpolated ~100 ms behind the server, the own player predicted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from ..liveserver import create_lobby
from .helpers import EVERYONE_READY, dump, member_id, players, reach_game_page, settle, wait_phase

pytestmark = pytest.mark.browser

TOLERANCE_PX = 1.0


def seat_two(open_page, lobby: dict, *, host: str = "Alice", guest: str = "Bob"):
    """The creator (with the host token) and a guest join; the guest gets ready."""
    code = lobby["code"]
    host_page = open_page(f"/play/{code}/", nickname=host, host_token=(code, lobby["host_token"]))
    wait_phase(host_page, "waiting")
    guest_page = open_page(f"/play/{code}/", nickname=guest)
    wait_phase(guest_page, "waiting")
    host_page.wait_for_function("n => window.__game.lobby.members.some(m => m.name === n)", arg=guest)
    return host_page, guest_page


def start_match(host_page, guest_page) -> None:
    guest_page.click("#ready")
    host_page.wait_for_function(EVERYONE_READY)
    host_page.click("#start")
    wait_phase(host_page, "playing")
    wait_phase(guest_page, "playing")


def toward_centre(me: dict) -> str:
    """A key that moves a fighter away from its spawn (spawns sit at edges and corners)."""
    if me["x"] < 790:
        return "KeyD"
    if me["x"] > 810:
        return "KeyA"
    return "KeyS" if me["y"] < 450 else "KeyW"


def hold_until_moved(page, name: str, key: str, distance: float = 60.0, *, seen_by=None) -> None:
    """Hold ``key`` on ``page`` until ``seen_by`` (another page) shows ``name`` moved ``distance``
    px: the server moved it, not only the page's prediction (on a busy machine the server may
    take fewer inputs than the page predicted, and the prediction is corrected back)."""
    watch = seen_by or page
    start = players(watch)[name]
    page.keyboard.down(key)
    try:
        watch.wait_for_function(
            "([n, x, y, d]) => { const p = window.__game.players()[n]; "
            "return p && Math.hypot((p.x ?? 0) - x, p.y - y) >= d; }",
            arg=[name, start.get("x", 0), start["y"], distance])
    finally:
        page.keyboard.up(key)


def close_to(a: dict, b: dict, keys=("x", "y")) -> bool:
    return all(math.isclose(a[k], b[k], abs_tol=TOLERANCE_PX) for k in keys)


def same_players(names: tuple[str, ...], keys=("x", "y")) -> Callable[[list[dict]], bool]:
    """For `settle`: every page shows each of ``names`` where the first page does."""
    return lambda views: all(n in v and close_to(views[0][n], v[n], keys) for v in views for n in names)


def test_lobby_list_shows_public_lobbies_and_creates_a_lobby_with_its_host_token(open_page, server, shot):
    listed = create_lobby(server, game="arena", name="Listed arena")
    page = open_page("/", nickname="Carol")
    row = page.locator(f"tr[data-code='{listed['code']}']")
    row.wait_for()
    assert "Listed arena" in row.inner_text() and "0/8" in row.inner_text()
    assert page.input_value("#nickname") == "Carol"
    shot(page, "lobby-list")

    page.select_option("#create-game", "pong")
    page.fill("#create-name", "Carol's pong")
    page.fill("#create-settings input[name=score_limit]", "3")
    page.click("#create-submit")
    reach_game_page(page)
    wait_phase(page, "waiting")
    code = page.evaluate("document.body.dataset.code")
    assert page.evaluate("c => sessionStorage.getItem('host_token:' + c)", code)
    assert page.locator("#host-panel").is_visible(), "the creator is the host"
    assert page.evaluate("window.__game.lobby.settings.score_limit") == 3
    assert page.locator("#members .member.you").inner_text().startswith("Carol (you)")

    page.click("#host-panel summary")
    page.fill("#setting-score_limit", "4")
    page.click("#settings-form button[type=submit]")
    page.wait_for_function("() => window.__game.lobby.settings.score_limit === 4")
    expect(page.locator("#chat-log")).to_contain_text("Settings changed: score limit 4")  # its own frame


def test_the_lobby_list_refreshes_by_itself(open_page, server):
    page = open_page("/", nickname="Dan")
    page.wait_for_selector("#lobbies-status:has-text('Updated')")
    later = create_lobby(server, game="pong", name="Appears later")
    row = page.locator(f"tr[data-code='{later['code']}']")
    row.wait_for()  # no reload: the page asks again by itself
    assert "0/2" in row.inner_text()
    joined = open_page(f"/play/{later['code']}/", nickname="Eve")
    wait_phase(joined, "waiting")
    page.wait_for_function("c => document.querySelector(`tr[data-code='${c}']`).innerText.includes('1/2')",
                           arg=later["code"])


def test_two_players_see_each_other_move_and_a_spectator_sees_the_same(open_page, server, shot):
    lobby = create_lobby(server, game="arena", name="Arena duel", settings={"time_limit_s": 120})
    alice, bob = seat_two(open_page, lobby)
    shot(alice.locator("#host-panel"), "host-controls")
    watcher = open_page(f"/play/{lobby['code']}/?role=spectator", nickname="Sam")
    wait_phase(watcher, "waiting")
    assert watcher.locator("#follow-wrap").is_visible() and not watcher.locator("#ready").is_visible()
    start_match(alice, bob)
    watcher.wait_for_function("() => Object.keys(window.__game.players()).length === 2")

    both = same_players(("Alice", "Bob"))
    before = settle([alice, bob, watcher], players, agree=both)
    hold_until_moved(alice, "Alice", toward_centre(before[0]["Alice"]), seen_by=watcher)
    hold_until_moved(bob, "Bob", toward_centre(before[1]["Bob"]), seen_by=watcher)
    after = settle([alice, bob, watcher], players, agree=both)

    for name in ("Alice", "Bob"):
        old, views = before[0][name], [view[name] for view in after]
        moved = math.dist((old["x"], old["y"]), (views[0]["x"], views[0]["y"]))
        assert moved >= 50, f"{name} did not move: {dump(alice)}"
        assert all(close_to(views[0], v) for v in views), f"the pages disagree on {name}: {views}"

    # A click fires: a bullet shows up in every view. Alice aims back where she came from
    # (open floor), so the bullet is not stopped by a wall in its first tick.
    now, old = after[0]["Alice"], before[0]["Alice"]
    back = (2 * old["x"] - now["x"], 2 * old["y"] - now["y"])
    target = alice.evaluate("([x, y]) => window.__game.toClient(x, y)",
                            [min(max(back[0], 5), 1595), min(max(back[1], 5), 895)])
    # ... and flies: its entry stays the same all its flight (docs/protocol.md), and the page
    # places it by the step it draws, so where it is drawn moves from frame to frame. Each page
    # watches from before the click, so a bullet that lands while another page is checked
    # still counts; on a busy machine a shot may land unseen, so Alice fires again.
    for page in (alice, bob, watcher):
        page.evaluate(WATCH_BULLETS, BULLET_MOVES)
    for _attempt in range(6):
        alice.mouse.click(target["x"], target["y"])
        try:
            for page in (alice, bob, watcher):
                page.wait_for_function("() => window.__bulletSeen === true", timeout=8_000)
            alice.wait_for_function("() => window.__bulletMoved === true", timeout=8_000)
            break
        except PlaywrightTimeoutError:
            continue
    else:
        pytest.fail(f"no fired bullet was seen in every view and drawn moving: {dump(alice)}")

    watcher.select_option("#follow", label="Bob")
    expect(watcher.locator("#scores li.focus")).to_have_text(re.compile("^Bob"))  # drawn with the next frame
    expect(watcher.locator("#role-badge")).to_contain_text("1 watching")
    shot(alice, "game")
    shot(watcher, "spectator")


# Records, every 15 ms from now on, whether the page has shown a bullet and whether
# BULLET_MOVES (passed as its source) has held.
WATCH_BULLETS = """(movesSource) => {
  if (window.__watchingBullets) return;
  window.__watchingBullets = true;
  const moves = eval(`(${movesSource})`);
  const look = () => {
    try {
      if (Object.keys(window.__game.entities()).some(id => id.startsWith('b'))) window.__bulletSeen = true;
      if (!window.__bulletMoved && moves()) window.__bulletMoved = true;
    } catch (e) { /* the game not drawn yet */ }
    setTimeout(look, 15);
  };
  look();
}"""


# True once some bullet has been drawn 20 px from where it was first seen (the page's
# `bulletAt`: entry x + vx * (n - t) * dt, n the drawn step).
BULLET_MOVES = """() => {
  const g = window.__game.globals();
  const seen = (window.__bulletsSeen ??= {});
  for (const [id, b] of Object.entries(window.__game.entities())) {
    if (id[0] !== 'b' || typeof b.t !== 'number' || typeof g?.n !== 'number') continue;
    const age = Math.max(0, g.n - b.t) * g.dt;
    const at = [b.x + b.vx * age, b.y + b.vy * age];
    seen[id] ??= at;
    if (Math.hypot(at[0] - seen[id][0], at[1] - seen[id][1]) > 20) return true;
  }
  return false;
}"""


def test_refusals_read_as_messages_and_chat_is_plain_text(open_page, server):
    lobby = create_lobby(server, game="arena", name="Refusals")
    alice, bob = seat_two(open_page, lobby)
    alice.click("#start")  # Bob is not ready: the server refuses
    # One wait for the toast and its words (a toast goes after 6 s: no second read of it).
    expect(alice.locator(".toast", has_text="not ready: Bob")).to_have_text(
        re.compile(r"^That is not possible right now\."))

    html = "<img src=x onerror=\"window.__pwned = 1\"><b>bold</b>"
    bob.fill("#chat-form input", html)
    bob.press("#chat-form input", "Enter")
    line = alice.locator("#chat-log li.chat", has_text="bold")
    line.wait_for()
    assert line.locator(".text").inner_text() == html
    assert alice.locator("#chat-log img, #chat-log b").count() == 0
    assert alice.evaluate("window.__pwned === undefined")


def test_the_host_kicks_a_player_who_is_told_so(open_page, server):
    lobby = create_lobby(server, game="arena", name="Kick test")
    alice, bob = seat_two(open_page, lobby)
    bob_id = member_id(alice, "Bob")
    alice.click(f"#members [data-action=kick][data-target='{bob_id}']")
    bob.locator("#final").wait_for(state="visible")
    assert "kicked" in bob.inner_text("#final-message").lower()
    assert bob.evaluate("window.__game.final.name") == "kicked"
    assert bob.evaluate("window.__game.status().state") == "closed", "no reconnect after a kick"
    alice.wait_for_function("() => window.__game.lobby.members.length === 1")
    expect(alice.locator("#chat-log")).to_contain_text("Bob was kicked by Alice")  # an event of its own


def test_a_finished_match_shows_the_saved_result_and_offers_a_rematch(open_page, server, shot):
    lobby = create_lobby(server, game="arena", name="Short match", settings={"time_limit_s": 2})
    alice, bob = seat_two(open_page, lobby)
    start_match(alice, bob)
    for page in (alice, bob):
        page.locator("#results").wait_for(state="visible")
        page.locator("#results-saved[data-state=saved]").wait_for()
    saved = alice.inner_text("#results-saved")
    assert "Saved result" in saved and "Alice" in saved and "Bob" in saved
    assert alice.locator("#rematch").is_visible() and not bob.locator("#rematch").is_visible()
    shot(alice, "results")

    alice.click("#rematch")
    wait_phase(bob, "playing")
    expect(bob.locator("#results")).to_be_hidden()


def test_pong_is_playable_and_both_paddles_move(open_page, server, shot):
    lobby = create_lobby(server, game="pong", name="Pong duel")
    ann, ben = seat_two(open_page, lobby, host="Ann", guest="Ben")
    start_match(ann, ben)
    ann.wait_for_function("() => Object.keys(window.__game.players()).length === 2")
    both = same_players(("Ann", "Ben"), keys=("y",))
    before = settle([ann, ben], players, agree=both)
    assert before[0]["Ann"]["side"] == 0 and before[0]["Ben"]["side"] == 1
    hold_until_moved(ann, "Ann", "KeyS", distance=80, seen_by=ben)
    hold_until_moved(ben, "Ben", "ArrowUp", distance=80, seen_by=ann)
    after = settle([ann, ben], players, agree=both)
    assert after[0]["Ann"]["y"] > before[0]["Ann"]["y"] + 50
    assert after[0]["Ben"]["y"] < before[0]["Ben"]["y"] - 50
    for name in ("Ann", "Ben"):
        assert close_to(after[0][name], after[1][name], keys=("y",)), f"the pages disagree on {name}"
    ann.wait_for_function("() => 'ball' in window.__game.entities()")
    shot(ann, "pong")


def test_an_unknown_lobby_code_is_explained_and_not_retried(open_page):
    page = open_page("/play/NOSUCH/", nickname="Zed")
    page.locator("#final").wait_for(state="visible")
    assert "no open lobby" in page.inner_text("#final-message").lower()
    assert page.evaluate("window.__game.status().state") == "closed"


def test_a_reload_during_a_match_takes_the_same_seat_back(open_page, server):
    lobby = create_lobby(server, game="arena", name="Reload", settings={"time_limit_s": 120})
    alice, bob = seat_two(open_page, lobby)
    start_match(alice, bob)
    seat = bob.evaluate("window.__game.you")
    bob.reload()
    wait_phase(bob, "playing")
    assert bob.evaluate("window.__game.resumed") is True
    assert bob.evaluate("window.__game.you") == seat
    expect(bob.locator("#chat-log")).to_contain_text("you have your seat back")
    bob.wait_for_function("() => 'Bob' in window.__game.players()")
    alice.wait_for_function("id => window.__game.lobby.members.find(m => m.id === id).connected !== false", arg=seat)
