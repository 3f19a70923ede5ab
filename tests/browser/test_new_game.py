"""A game `manage.py startgame` has just written, in the browser with no other edit: created in
the lobby page, played by keys and by clicks, watched by a spectator, saved and rated, and
replayed. The server runs from a copy of the project where startgame ran (tests/scaffold/newgame.py).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.scaffold.newgame import project_with_new_game

from ..liveserver import live_server
from .helpers import EVERYONE_READY, players, reach_game_page, wait_phase

pytestmark = pytest.mark.browser

NAME, TITLE = "star_dash", "Star dash"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's pages come from the copy with the new game (it overrides conftest's)."""
    project = project_with_new_game(tmp_path_factory.mktemp("new-game") / "project", NAME, "--title", TITLE)
    with live_server(tmp_path_factory.mktemp("new-game-server"), root=project, GAME_COUNTDOWN_S="0.5",
                     GAME_MAX_LOBBIES_PER_CLIENT="1000", GAME_MAX_LOBBIES_PER_ADDRESS="1000") as base:
        yield base


def create_in_the_lobby_page(open_page) -> tuple[object, str]:
    """The host picks the new game in the create form (its help line shows), sets a score
    limit of 2 and creates the lobby; returns their game page and the lobby's code."""
    page = open_page("/", nickname="Ann")
    page.select_option("#create-game", NAME)
    page.wait_for_function("() => document.getElementById('create-help').textContent.includes('click where to go')")
    page.fill("#create-settings input[name=score_limit]", "2")
    page.fill("#create-name", "First dash")
    page.click("#create-submit")
    reach_game_page(page)
    wait_phase(page, "waiting")
    return page, page.evaluate("document.body.dataset.code")


def star(page) -> dict:
    page.wait_for_function("() => 'star' in window.__game.entities()")
    return page.evaluate("window.__game.entities().star")


def take_the_star_by_clicking(page, name: str, attempts: int = 8) -> None:
    """Click the star on the canvas (a one-off input) until the player's score goes up. On a
    busy machine the star may have moved between reading it and the click (or the click went
    to a frame drawn late): read it again and click again, a few times."""
    score = players(page)[name]["s"]
    for attempt in range(attempts):
        at = star(page)
        point = page.evaluate("([x, y]) => window.__game.toClient(x, y)", [at["x"], at["y"]])
        page.mouse.click(point["x"], point["y"])
        try:
            page.wait_for_function(
                "([n, s]) => (window.__game.players()[n]?.s ?? 0) > s || window.__game.phase === 'finished'",
                arg=[name, score], timeout=10_000)
            return
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise


def test_a_new_game_is_created_played_watched_rated_and_replayed(open_page, server, shot):
    ann, code = create_in_the_lobby_page(open_page)
    assert ann.evaluate("window.__game.lobby.game") == NAME
    ben = open_page(f"/play/{code}/", nickname="Ben")
    watcher = open_page(f"/play/{code}/?role=spectator", nickname="Cy")
    wait_phase(ben, "waiting")
    ben.click("#ready")
    ann.wait_for_function(EVERYONE_READY)
    ann.click("#start")
    for page in (ann, ben, watcher):
        wait_phase(page, "playing")
    assert "click where to go" in ann.inner_text("#help")

    ben.wait_for_function("() => 'Ben' in window.__game.players()")  # drawn from a state frame after the phase
    ben_x = players(ben)["Ben"]["x"]  # Ben walks by the keys
    ben.locator("#canvas").focus()
    ben.keyboard.down("KeyD" if ben_x < 400 else "KeyA")
    ben.wait_for_function("([x]) => Math.abs(window.__game.players().Ben.x - x) > 40", arg=[ben_x])
    ben.keyboard.up("KeyD" if ben_x < 400 else "KeyA")
    watcher.wait_for_function(
        "() => Object.keys(window.__game.players()).length === 2 && 'star' in window.__game.entities()")
    shot(watcher, "new-game-spectator")

    while ann.evaluate("window.__game.phase") == "playing":  # Ann clicks the stars: two points win
        take_the_star_by_clicking(ann, "Ann")
    for page in (ann, ben, watcher):
        wait_phase(page, "finished")
    ann.wait_for_selector("#results-saved[data-state='saved']")
    assert "Ann" in ann.inner_text("#results-saved")
    expect(watcher.locator("#chat-log")).to_contain_text("Ann took a star")
    shot(ann, "new-game-results")

    with urllib.request.urlopen(f"{server}/api/lobbies/{code}/matches", timeout=30) as reply:
        [match] = json.loads(reply.read())["matches"]
    assert match["game"] == NAME and match["reason"] == "score_limit" and match["replay"] is True

    board = open_page(f"/leaderboard/{NAME}/", nickname="Cy")
    assert f"{TITLE} leaderboard" in board.inner_text("h1")
    assert "Ann" in board.inner_text("main") and "Ben" in board.inner_text("main")

    replay = open_page(f"/replays/{match['id']}/", nickname="Cy")
    replay.wait_for_function("() => window.__replay && window.__replay.ready")
    assert replay.evaluate("window.__replay.game") == NAME
    frames = replay.evaluate("window.__replay.frameCount")
    replay.locator("#seek").fill(str(frames - 1))
    replay.wait_for_function("n => window.__replay.drawnTick === n", arg=frames - 1)
    drawn = replay.evaluate("window.__replay.entities()")
    scores = {e["n"]: e["s"] for id_, e in drawn.items() if id_.startswith("p")}
    assert scores["Ann"] == 2 and set(scores) == {"Ann", "Ben"}
    shot(replay, "new-game-replay")
