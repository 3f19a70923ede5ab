"""The report of a hostile run: a plain aligned table for people, JSON for machines, and the
exit status (any failed line fails the run)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from game.hostile.outcome import Plan, Result, load_text, observer_loss_text, observer_ok

COLUMNS = ("attack", "at", "expected", "attacker got", "observer frames/s", "intact", "verdict")
MAX_CELL = 48


@dataclass
class Report:
    url: str
    plan: Plan
    baseline: dict  # measure.WindowStats.as_dict() of the quiet window
    results: list[Result]
    seconds: float
    notes: list[str] = field(default_factory=list)
    tick_rate: int = 20

    @property
    def baseline_ok(self) -> bool:
        return observer_ok(self.baseline)

    @property
    def passed(self) -> bool:
        stopped = any(note.startswith("stopped") for note in self.notes)
        return self.baseline_ok and not stopped and all(r.passed for r in self.results)

    def failures(self) -> list[str]:
        out = [f"{r.name}: {'; '.join(r.reasons())}" for r in self.results if not r.passed]
        if not self.baseline_ok:
            out.insert(0, f"baseline: {observer_loss_text(self.baseline)} before any attack")
        return out

    def load_lines(self) -> list[str]:
        """For each window in which the server skipped ticks: its stalls, what the server did in
        them, and how many skipped ticks were put down to machine load (one line a window)."""
        out, seen = [], set()
        windows = [("baseline", self.baseline, None)] + [(r.name, r.window, (r.start, r.end)) for r in self.results]
        for name, window, key in windows:
            text = load_text(window) if window else ""
            if not text:
                continue
            if key is not None and key in seen:  # a batch's window: one line, every name
                continue
            seen.add(key)
            names = [r.name for r in self.results if key is not None and (r.start, r.end) == key] or [name]
            out.append(f"{' + '.join(names)}: {text}")
        return out


def _cut(text: str, width: int = MAX_CELL) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def observer_cell(result: Result, baseline_fps: float) -> str:
    window = result.window
    if window is None:
        return "-"
    share = f" ({100.0 * window['fps'] / baseline_fps:.0f}%)" if baseline_fps > 0 else ""
    lost = f", lost {window['lost']}" if window["lost"] else ""
    if window.get("machine_ticks"):
        lost += f" ({window['skipped']} ticks skipped, {window['machine_ticks']} to load)"
    elif window.get("skipped"):
        lost += f" ({window['skipped']} ticks skipped)"
    return f"{window['fps']:.1f}{share}{lost}"


def row(result: Result, baseline_fps: float) -> tuple[str, ...]:
    if not result.ran:
        intact, verdict = "-", "NOT RUN"
    else:
        intact = "yes" if not result.harm else "NO"
        verdict = "PASS" if result.passed else "FAIL"
    return (result.name, result.lobby, _cut(result.expected), _cut(result.verdict.got),
            observer_cell(result, baseline_fps), intact, verdict)


def table(rows: list[tuple[str, ...]], header: tuple[str, ...] = COLUMNS) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_report(report: Report) -> str:
    base = report.baseline
    lines = [f"hostile run against {report.url}: {len(report.results)} attacks in {report.seconds:.0f} s",
             f"baseline: {base['fps']:.1f} state frames/s per observer socket (lobby at {report.tick_rate} Hz), "
             f"{base['lost']} lost, over {base['seconds']:.1f} s", "",
             table([row(r, base["fps"]) for r in report.results]), ""]
    failures = report.failures()
    lines += [f"FAIL  {line}" for line in failures]
    lines += [f"load  {line}" for line in report.load_lines()]
    lines += [f"note  {note}" for note in report.notes]
    passed = sum(r.passed for r in report.results)
    lines.append(f"{passed} of {len(report.results)} passed: " + ("PASS" if report.passed else "FAIL"))
    return "\n".join(lines)


def as_json(report: Report) -> str:
    return json.dumps({
        "url": report.url, "passed": report.passed, "seconds": report.seconds, "tick_rate": report.tick_rate,
        "plan": asdict(report.plan), "baseline": report.baseline, "notes": report.notes,
        "failures": report.failures(), "load": report.load_lines(),
        "attacks": [{"name": r.name, "at": r.lobby, "expected": r.expected, "got": r.verdict.got,
                     "expectation_met": r.verdict.passed, "ran": r.ran, "harm": r.harm, "observer": r.window,
                     "observer_pct_of_baseline": round(100.0 * r.window["fps"] / report.baseline["fps"], 1)
                     if r.window and report.baseline["fps"] else None,
                     "passed": r.passed, "seconds": r.seconds, "facts": r.facts} for r in report.results],
    }, indent=1, default=str)
