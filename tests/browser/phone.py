"""Phones in the browser tests: Playwright's mobile emulation, real touches, layout checks and
screenshots checked for their size.

Touches go through the DevTools protocol (``Input.dispatchTouchEvent``), as a touch screen's
would: Chromium turns them into touch and pointer events, with a finger held down as long as
the test says (Playwright's own ``touchscreen`` only taps).
"""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import ARTIFACTS

# A 390 x 844 phone, upright and on its side.
PHONES = {"portrait": (390, 844), "landscape": (844, 390)}
SCALE = 2


def phone(orientation: str) -> dict:
    """``browser.new_context`` options for the phone held ``orientation``."""
    width, height = PHONES[orientation]
    return {"viewport": {"width": width, "height": height}, "device_scale_factor": SCALE,
            "has_touch": True, "is_mobile": True}


class Finger:
    """One finger on a page's touch screen: down, move, up (client CSS pixels)."""

    def __init__(self, page, finger_id: int = 1):
        self.cdp = page.context.new_cdp_session(page)
        self.id = finger_id

    def _send(self, kind: str, x: float | None = None, y: float | None = None) -> None:
        points = [] if x is None else [{"x": x, "y": y, "id": self.id, "radiusX": 4, "radiusY": 4, "force": 1}]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    def down(self, x: float, y: float) -> None:
        self._send("touchStart", x, y)

    def move(self, x: float, y: float) -> None:
        self._send("touchMove", x, y)

    def up(self) -> None:
        self._send("touchEnd")


def centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box, f"{locator} is not laid out"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def no_horizontal_scroll(page, width: int) -> None:
    """The page is no wider than the screen: nothing to scroll sideways."""
    widths = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    assert max(widths) <= width, \
        f"the page is wider than the {width} px screen: scrollWidth, body, innerWidth = {widths}"


FITS = """s => { window.scrollTo(0, 0); const r = document.querySelector(s)?.getBoundingClientRect();
  return Boolean(r) && r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5; }"""


def inside_viewport(page, selector: str) -> dict:
    """The element's box, asserted visible and wholly on the screen as the page first shows it
    (once its layout settled: a page sizes its canvas on the frame after it changes, which a busy
    machine draws late)."""
    with contextlib.suppress(PlaywrightTimeoutError):  # the assertions below then say what is wrong
        page.wait_for_function(FITS, arg=selector, timeout=20_000)
    box = page.evaluate("""s => { window.scrollTo(0, 0); const r = document.querySelector(s).getBoundingClientRect();
      return {x: r.left, y: r.top, right: r.right, bottom: r.bottom, w: innerWidth, h: innerHeight}; }""", selector)
    assert page.locator(selector).is_visible(), f"{selector} is not visible"
    assert box["right"] - box["x"] > 100 and box["bottom"] - box["y"] > 50, f"{selector} is too small: {box}"
    assert box["x"] >= 0 and box["y"] >= 0 and box["right"] <= box["w"] + 0.5 and box["bottom"] <= box["h"] + 0.5, \
        f"{selector} does not fit the screen: {box}"
    return box


def png_size(path: Path) -> tuple[int, int]:
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def screenshot(page, folder: str, name: str, *, full_page: bool = False) -> Path:
    """Save ``test-artifacts/<folder>/<name>.png`` and check it is the page at its size."""
    path = ARTIFACTS / folder / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    viewport = page.viewport_size
    scale = page.evaluate("window.devicePixelRatio")
    width, height = png_size(path)
    assert width == round(viewport["width"] * scale), f"{path}: {width} px wide"
    assert height == round(viewport["height"] * scale) or full_page, f"{path}: {height} px high"
    return path
