"""What a new user met on a first visit (the issue filed after it), in real Chromium pages
against a real daphne: draws, the seat kept across tabs, who kicked you, one toast per outage,
the ready button, the chat, the sidebar, the replay controls and the pages' layout."""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from ..liveserver import create_lobby, live_server, live_server_process
from .conftest import TIMEOUT_MS
from .helpers import EVERYONE_READY, arm_staff_button, member_id, wait_phase
from .test_game import seat_two
from .test_quick_match import add_staff_user

pytestmark = pytest.mark.browser

STAFF, STAFF_PW = "moderator", "pw-for-tests-only"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A daphne of its own, with a staff user in its database."""
    path = tmp_path_factory.mktemp("firstvisit")
    # Every page here comes from 127.0.0.1: lift the lobbies-per-address limit for them.
    with live_server(path, GAME_COUNTDOWN_S="0.5", GAME_MAX_LOBBIES_PER_ADDRESS="1000") as base:
        add_staff_user(path, STAFF, STAFF_PW)
        yield base


@pytest.fixture(scope="module")
def server(live) -> str:  # open_page (conftest) opens pages on this server
    return live


# True once the replay's controls sit right under its canvas (as the assertion wants).
CONTROLS_UNDER_CANVAS = """() => {
  const canvas = document.getElementById('canvas').getBoundingClientRect();
  const controls = document.querySelector('.replay-controls').getBoundingClientRect();
  const gap = controls.top - canvas.bottom;
  return gap >= 0 && gap < 30;
}"""


def chat_lines(page) -> list[str]:
    return page.locator("#chat-log li").all_inner_texts()


def new_tab(page, path: str):
    """Another tab of the same browser (its cookies and localStorage; a sessionStorage of its own)."""
    tab = page.context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(path if path.startswith("http") else page.url.split("/play/")[0] + path)
    return tab


def test_the_host_chat_opens_with_one_line_and_settings_read_with_units(open_page, server, shot):
    lobby = create_lobby(server, game="arena", name="Chatty")
    alice, bob = seat_two(open_page, lobby)
    alice.wait_for_function("() => document.querySelectorAll('#chat-log li').length >= 2")
    assert chat_lines(alice) == ["You joined “Chatty” as the host.", "Bob joined."]
    assert chat_lines(bob) == ["You joined “Chatty” as a player."]

    alice.click("#host-panel summary")  # Settings: the sidebar now scrolls, under the scores
    alice.fill("#setting-time_limit_s", "40")
    alice.click("#settings-form button[type=submit]")
    bob.locator("#chat-log li", has_text="Settings changed").wait_for()
    assert chat_lines(bob)[-1] == "Settings changed: time limit 40 s."
    alice.evaluate("() => { const side = document.querySelector('.game-page .side'); "
                   "side.scrollTop = side.scrollHeight; }")
    alice.wait_for_function("() => document.querySelector('.game-page .side').scrollTop > 0")
    side, scores = (alice.locator(s).bounding_box() for s in (".game-page .side", ".side > .panel:first-child"))
    assert scores["y"] >= side["y"] - 1, "the Scores panel scrolled out of view"
    shot(alice, "first-visit-settings")


def test_a_timed_out_draw_shares_first_place_and_ready_shows_only_before_a_match(open_page, server, shot):
    lobby = create_lobby(server, game="arena", name="Even", settings={"time_limit_s": 2})
    alice, bob = seat_two(open_page, lobby)
    assert bob.locator("#ready").is_visible()
    bob.click("#ready")
    alice.wait_for_function(EVERYONE_READY)
    alice.click("#start")
    # A 2 s match: on a busy machine a page may go from the countdown straight to its end.
    for page in (alice, bob):
        page.wait_for_function("() => window.__game && ['playing', 'finished'].includes(window.__game.phase)")
    assert bob.locator("#ready").is_hidden(), "no disabled I'm ready during a match"
    for page in (alice, bob):
        page.locator("#results-saved[data-state=saved]").wait_for()
    assert alice.inner_text("#results-title") == "Draw"
    for table in ("#results-live", "#results-saved"):
        ranks = alice.locator(f"{table} tbody tr td:first-child").all_inner_texts()
        assert ranks == ["1", "1"], f"{table}: a draw shares first place"
    assert bob.locator("#ready").is_hidden() and "not ready" not in bob.inner_text("#members").lower()
    shot(alice, "first-visit-draw")

    with alice.context.expect_page() as opened:
        alice.click("#results-saved a.replay-link")  # opens a new tab
    replay = opened.value
    replay.wait_for_function("() => window.__replay && window.__replay.ready")
    with contextlib.suppress(PlaywrightTimeoutError):  # the canvas is sized on a frame drawn late when busy
        replay.wait_for_function(CONTROLS_UNDER_CANVAS, timeout=10_000)
    canvas, controls = (replay.locator(s).bounding_box() for s in ("#canvas", ".replay-controls"))
    assert 0 <= controls["y"] - (canvas["y"] + canvas["height"]) < 30, "the controls sit right under the picture"
    assert replay.locator(".side td:first-child").all_inner_texts() == ["1", "1"]
    shot(replay, "first-visit-replay")


def test_the_lobby_link_opened_again_in_a_new_tab_takes_the_seat_back(open_page, server):
    lobby = create_lobby(server, game="arena", name="Come back")
    alice, bob = seat_two(open_page, lobby)
    seat = bob.evaluate("window.__game.you")
    url = bob.url
    context = bob.context
    bob.close()  # the tab is closed: the seat waits for its owner
    alice.wait_for_function("id => window.__game.lobby.members.find(m => m.id === id).connected === false", arg=seat)
    again = context.new_page()
    again.goto(url)
    again.wait_for_function("() => window.__game && window.__game.phase === 'waiting'")
    assert again.evaluate("window.__game.resumed") is True and again.evaluate("window.__game.you") == seat
    alice.wait_for_function("id => window.__game.lobby.members.find(m => m.id === id).connected !== false", arg=seat)
    assert [m["name"] for m in alice.evaluate("window.__game.lobby.members")] == ["Alice", "Bob"], "no second Bob"


def test_two_tabs_of_one_browser_hand_the_seat_over_on_request(open_page, server, shot):
    lobby = create_lobby(server, game="arena", name="Two tabs")
    alice, first = seat_two(open_page, lobby)
    seat = first.evaluate("window.__game.you")
    second = new_tab(first, first.url)
    wait_phase(second, "waiting")
    assert second.evaluate("window.__game.you") == seat, "the second tab took the same seat"
    first.locator("#final").wait_for(state="visible")
    assert first.evaluate("window.__game.final.name") == "replaced"
    assert first.inner_text("#final-title") == "Playing in another tab"
    assert "another tab" in first.inner_text("#final-message")
    assert first.evaluate("window.__game.status().state") == "closed", "the tabs do not fight over the seat"
    shot(first, "first-visit-replaced")

    first.click("#final-retake")  # take it back here: the other tab is the one told now
    wait_phase(first, "waiting")
    assert first.evaluate("window.__game.you") == seat and first.evaluate("window.__game.resumed") is True
    second.locator("#final-retake").wait_for(state="visible")
    assert len(alice.evaluate("window.__game.lobby.members")) == 2


def test_a_kicked_player_is_told_who_kicked_them(open_page, server):
    lobby = create_lobby(server, game="arena", name="Moderated")
    alice, bob = seat_two(open_page, lobby)
    alice.click(f"#members [data-action=kick][data-target='{member_id(alice, 'Bob')}']")
    bob.locator("#final").wait_for(state="visible")
    assert bob.inner_text("#final-message") == "You were kicked from the lobby by the host (Alice)."

    carol = open_page(f"/play/{lobby['code']}/", nickname="Carol")
    wait_phase(carol, "waiting")
    staff = open_page("/staff/", nickname=STAFF)
    staff.fill("#id_username", STAFF)
    staff.fill("#id_password", STAFF_PW)
    staff.click("button[type=submit]")
    staff.wait_for_url(re.compile(r"/staff/$"))
    kick = staff.locator(f"#staff-lobbies tr[data-code='{lobby['code']}'] li", has_text="Carol").locator("button")
    # The second click confirms; on a busy machine it may come after the arming ran out and only
    # arm the button again: then it is armed and confirmed anew (5 times at most).
    for _attempt in range(5):
        arm_staff_button(staff, kick)
        kick.click()
        try:
            carol.locator("#final").wait_for(state="visible", timeout=15_000)
            break
        except PlaywrightTimeoutError:
            if kick.count() == 0:  # Carol's row is gone: she was kicked, her page is slow to say so
                carol.locator("#final").wait_for(state="visible")
                break
    else:
        pytest.fail("the staff kick was never confirmed")
    assert carol.inner_text("#final-message") == "You were kicked from the lobby by staff."
    expect(alice.locator("#chat-log")).to_contain_text("Carol was kicked by staff")  # Alice's own frame, maybe later


def test_a_lost_connection_is_told_once(browser, tmp_path):
    with live_server_process(tmp_path) as (base, proc):
        lobby = create_lobby(base, game="arena", name="Flaky")
        page = browser.new_context().new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{base}/play/{lobby['code']}/")
        wait_phase(page, "waiting")
        proc.kill()  # gone at once, as when the network drops (SIGTERM would close the lobby)
        proc.wait(timeout=10)
        page.wait_for_function("() => window.__game.status().attempt >= 3")
        told = [n["message"] for n in page.evaluate("window.__game.notifications()")]
        assert told == ["The connection to the server was lost. Reconnecting…"], told
        assert page.locator(".toast").count() <= 1
        page.context.close()


def test_pages_have_the_site_layout_and_draw_icons_not_emoji(open_page, server, shot):
    lobby = create_lobby(server, game="arena", name="Closed door")
    alice = open_page(f"/play/{lobby['code']}/", nickname="Alice", host_token=(lobby["code"], lobby["host_token"]))
    wait_phase(alice, "waiting")
    alice.click("#lock")
    alice.wait_for_function("() => window.__game.lobby.locked")
    assert alice.locator("#lobby-info svg.icon-lock").count() == 1 and "🔒" not in alice.inner_text("#lobby-info")
    listing = open_page("/", nickname="Zoe")
    row = listing.locator(f"tr[data-code='{lobby['code']}']")
    row.locator("svg.icon-lock").wait_for()
    assert "🔒" not in row.inner_text()

    board = open_page("/leaderboard/pong/", nickname="Zoe")
    main, panel = (board.locator(s).bounding_box() for s in ("main", "main .panel"))
    assert main["x"] > 0 and panel["x"] >= 16, "the page keeps a margin from the window's edge"
    assert board.inner_text("h1") == "Pong leaderboard"
    shot(board, "first-visit-leaderboard")
