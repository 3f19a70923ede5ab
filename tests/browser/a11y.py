"""Accessibility checks in the browser tests: axe-core (vendored, static/vendor/axe-core/) run
in the page, and a walk with the Tab key that every control must show its focus on.

Only serious and critical violations fail a test; the rest are reported as warnings, listed in
pytest's summary.
"""

from __future__ import annotations

import warnings

from ..liveserver import ROOT

AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}

RUN_AXE = """async () => {
  const results = await axe.run(document, { resultTypes: ['violations'] });
  return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })) }));
}"""


def axe_violations(page) -> list[dict]:
    """Every axe-core violation on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        lines += [f"    {n['target']}: {(n['summary'] or '').splitlines()[-1].strip()}" for n in v["nodes"]]
    return "\n".join(lines)


def assert_accessible(page, name: str) -> None:
    """No serious or critical axe-core violation on ``page`` (called ``name`` in the message)."""
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    minor = [v for v in violations if v["impact"] not in BLOCKING]
    if minor:
        warnings.warn(f"{name}: minor accessibility findings\n{describe(minor)}", stacklevel=2)
    assert not blocking, f"{name}: serious accessibility violations\n{describe(blocking)}"


# The focused element and whether it shows it: an outline, or a ring drawn as a box shadow.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
  const ring = style.boxShadow !== 'none';
  const cls = el.className ? '.' + String(el.className).split(' ')[0] : '';
  const label = el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}${cls}`;
  return { label: `${label} "${(el.innerText || el.value || el.getAttribute('aria-label') || '').slice(0, 30)}"`,
    shown: outline || ring, visible: el.getClientRects().length > 0 };
}"""


def tab_through(page, limit: int = 80) -> list[dict]:
    """Press Tab from the top of the page until the focus comes back round (or ``limit``
    presses); returns each stop as {label, shown, visible}."""
    # Start from the top of the page, whatever has the focus now (an autofocused field).
    page.evaluate("""() => {
      const start = Object.assign(document.createElement('span'), { id: '__tab_start', tabIndex: -1 });
      document.body.prepend(start); start.focus(); window.scrollTo(0, 0); }""")
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop is None or (stops and stop["label"] == stops[0]["label"]):
            break
        stops.append(stop)
    page.evaluate("document.getElementById('__tab_start').remove()")
    return stops


def assert_focus_visible(page, name: str, must_reach: tuple[str, ...] = ()) -> list[dict]:
    """Tab through ``page``: every stop is visible and shows its focus; ``must_reach`` (ids)
    are among the stops."""
    stops = tab_through(page)
    assert stops, f"{name}: Tab reaches nothing"
    hidden = [s["label"] for s in stops if not s["shown"] or not s["visible"]]
    assert not hidden, f"{name}: focus not shown on {hidden}"
    labels = " ".join(s["label"] for s in stops)
    missing = [i for i in must_reach if f"#{i} " not in labels]
    assert not missing, f"{name}: Tab never reaches {missing}; stops: {labels}"
    return stops
