"""Browsers on different processes of one cluster: one pong match between a host on process A
and a guest on B, a spectator on B; then A is killed and the pages move on their own (4013) and
resume their seats with the new owner. Real Chromium, real daphne, Redis and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, launch_chromium
from tests.browser.helpers import EVERYONE_READY, dump, wait_phase

pytestmark = pytest.mark.browser


@pytest.fixture
def chromium():
    yield from launch_chromium()


def open_on(chromium, cluster, proc: str, path: str, *, nickname: str, errors: list,
            host_token: tuple[str, str] | None = None):
    page = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda exc: errors.append(f"{nickname}: {exc}"))
    page.goto(cluster.http(proc) + "/healthz")
    page.evaluate("n => localStorage.setItem('nickname', n)", nickname)
    if host_token:
        page.evaluate("([c, t]) => sessionStorage.setItem('host_token:' + c, t)", list(host_token))
    page.goto(cluster.http(proc) + path)
    return page


def test_pages_on_two_processes_play_one_match_and_survive_the_owner(cluster, chromium):
    for name in "ABC":
        cluster.start(name)
    created = cluster.create_lobby("A", game="pong", name="across")
    code, errors = created["code"], []
    host = open_on(chromium, cluster, "A", f"/play/{code}/", nickname="Alice", errors=errors,
                   host_token=(code, created["host_token"]))
    wait_phase(host, "waiting")
    guest = open_on(chromium, cluster, "B", f"/play/{code}/", nickname="Bob", errors=errors)
    watcher = open_on(chromium, cluster, "C", f"/play/{code}/?role=spectator", nickname="Cy", errors=errors)
    for page in (guest, watcher):
        wait_phase(page, "waiting")
    host.wait_for_function("() => window.__game.lobby.members.length === 3")
    guest.click("#ready")
    host.wait_for_function(EVERYONE_READY)
    host.click("#start")
    for page in (host, guest, watcher):
        wait_phase(page, "playing")
    guest.keyboard.down("KeyS")  # the guest's paddle, driven from process B, moves for everyone
    watcher.wait_for_function("() => { const p = Object.values(window.__game.players()).find(p => p.n === 'Bob');"
                              " return p && p.y > 400; }")
    guest.keyboard.up("KeyS")
    ARTIFACTS.mkdir(exist_ok=True)
    watcher.screenshot(path=str(ARTIFACTS / "cluster-spectator.png"))

    cluster.kill("A")  # the owner: the host's page loses its server, the others are moved (4013)
    for page in (guest, watcher):
        page.wait_for_function("() => window.__game.phase === 'finished' && window.__game.resumed", timeout=20_000)
    assert "took over" in cluster.log("B") + cluster.log("C"), dump(guest)
    assert errors == []
