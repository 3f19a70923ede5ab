"""Browser tests: Debian's Chromium driven by Playwright against a real daphne.

No browser is ever downloaded: the tests use /usr/bin/chromium and skip without it.
Screenshots of each view go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ..liveserver import ROOT, live_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts"
# How long a page's wait may take before the test fails: a cap, not a measurement. Generous, for
# a loaded 2-core machine (a page load there took over 20 s beside a benchmark); a test that
# passes is not slowed by it, since waits are on conditions and return as soon as they hold.
TIMEOUT_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A daphne on a fresh SQLite with a short countdown; yields its base URL. A module's tests
    make their lobbies from one address, more than the per-address cap allows anyone."""
    with live_server(tmp_path_factory.mktemp("browser"), GAME_COUNTDOWN_S="0.5", GAME_MAX_LOBBIES_PER_CLIENT="1000",
                     GAME_MAX_LOBBIES_PER_ADDRESS="1000") as base:
        yield base


def launch_chromium() -> Iterator[object]:
    """Debian's Chromium under Playwright (skips the test without either); closed after use."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium); browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch_chromium()


@pytest.fixture
def open_page(browser, server) -> Iterator[Callable[..., object]]:
    """Open a page in a fresh browser context (its own cookies: its own guest).

    ``open_page(path, nickname=..., host_token=(code, token), **context)``: ``context`` goes to
    ``browser.new_context`` (a phone: viewport, ``has_touch``, ``is_mobile``; desktop by
    default); errors thrown in the page fail the test at teardown.
    """
    contexts, errors = [], []

    def open_(path: str, *, nickname: str, host_token: tuple[str, str] | None = None, **context_options):
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **context_options})
        context.set_default_timeout(TIMEOUT_MS)  # tabs the page opens too
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda exc: errors.append(f"{nickname}: {exc}"))
        page.goto(server + "/healthz")  # same origin, so the storage below belongs to the site
        page.evaluate("n => localStorage.setItem('nickname', n)", nickname)
        if host_token:
            page.evaluate("([c, t]) => sessionStorage.setItem('host_token:' + c, t)", list(host_token))
        page.goto(server + path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, "errors in the page:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def shot() -> Callable[[object, str], None]:
    """Save a screenshot of a page (or an element) as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(target, name: str) -> None:
        target.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    return save
