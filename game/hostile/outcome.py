"""The shapes a hostile run shares: its `Plan` (bounds and limits), an `Attack` of the
catalogue, the `Context` an attack runs in, and the `Verdict` on what it got.

An attack's ``run`` returns plain *facts* (a dict: close codes, statuses, counts, times);
its ``judge`` turns facts into a verdict without any server, so every verdict is unit-tested.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from game.hostile.target import Target

if TYPE_CHECKING:
    from game.hostile.stage import Match


@dataclass(frozen=True)
class Plan:
    """How long and how hard: every attack is bounded by these."""

    quick: bool = False
    baseline_s: float = 3.0  # the quiet window measured first
    min_window_s: float = 2.0  # an attack's observer window lasts at least this long
    max_connections: int = 64  # the server's GAME_MAX_CONNECTIONS_PER_ADDRESS
    lobby_limit: int = 5  # the server's GAME_MAX_LOBBIES_PER_ADDRESS (and _PER_CLIENT)
    slow_reader_s: float = 30.0  # how long a socket holds without reading
    handshake_deadline_s: float = 10.0  # by when half-sent handshakes must be dropped
    half_open: int = 32  # half-sent handshakes held at once
    time_limit_s: float = 115.0  # the whole run; attacks not begun by then are reported as not run
    only: tuple[str, ...] = ()  # run only these attacks (names); empty: all

    @classmethod
    def make(cls, *, quick: bool = False, **overrides) -> Plan:
        base = {"baseline_s": 1.5, "min_window_s": 0.4, "slow_reader_s": 20.0, "half_open": 16,
                "time_limit_s": 90.0} if quick else {}
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(quick=quick, **base)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    got: str  # what the attacker got, in a few words


@dataclass
class Context:
    """What an attack may use: the target, the plan, and our two playing lobbies."""

    target: Target
    plan: Plan
    observer: Match
    victim: Match
    held: int = 4  # websockets of ours open during attacks (observer's and victim's players)
    notes: list[str] = field(default_factory=list)

    def lobby(self, which: str) -> Match:
        return self.observer if which == "observer" else self.victim


@dataclass(frozen=True)
class Attack:
    name: str
    lobby: str  # what it aims at: "observer" or "victim" (by code), or "http" (the API)
    expected: str  # what a sound server answers
    run: Callable[[Context], Awaitable[dict]]
    judge: Callable[[dict], Verdict]
    budget_s: Callable[[Plan], float]  # the most its run may take
    group: str = ""  # attacks of one group run at once and share one window


def close_text(fact: dict) -> str:
    """A websocket outcome in a few words: ``close 4001``, ``HTTP 403``, ``open (welcomed)``..."""
    if fact.get("http"):
        return f"HTTP {fact['http']}"
    if fact.get("failed"):
        return str(fact["failed"])
    code = fact.get("close")
    if code is None:
        return "still open" + (" (welcomed)" if fact.get("welcome") else "")
    return f"close {code}" + (" after a welcome" if fact.get("welcome") else "")


@dataclass
class Result:
    """One attack's line of the report."""

    name: str
    lobby: str
    expected: str
    verdict: Verdict
    facts: dict
    start: float  # the observer window, monotonic seconds
    end: float
    seconds: float  # the attack's own run time
    harm: list[str] = field(default_factory=list)  # what is wrong with our lobbies afterwards
    window: dict | None = None  # measure.WindowStats.as_dict() of [start, end)
    ran: bool = True

    MAX_LOSS_PCT = 1.0

    @property
    def observer_ok(self) -> bool:
        return observer_ok(self.window)

    @property
    def passed(self) -> bool:
        return self.ran and self.verdict.passed and not self.harm and self.observer_ok

    def reasons(self) -> list[str]:
        """Why it failed, in words (nothing when it passed)."""
        out = []
        if not self.ran:
            out.append(self.verdict.got)
        elif not self.verdict.passed:
            out.append(f"expected {self.expected}, got {self.verdict.got}")
        out += self.harm
        if not self.observer_ok:
            out.append(observer_loss_text(self.window))
        return out


MAX_LOSS_PCT = Result.MAX_LOSS_PCT


def counted_pct(window: dict) -> float:
    """The loss a window is judged by: frames lost, less skipped ticks put down to machine load."""
    return window.get("counted_pct", window["loss_pct"])


def observer_ok(window: dict | None) -> bool:
    return window is None or counted_pct(window) <= MAX_LOSS_PCT


def observer_loss_text(window: dict) -> str:
    """``the observer lost 14 frames (1.8%)``, with what was not counted of them."""
    text = f"the observer lost {window['lost']} frames ({window['loss_pct']:.1f}%)"
    machine = window.get("machine_ticks", 0)
    if machine:
        text += (f"; {window['lost'] - window['counted_lost']} ({machine} skipped ticks) put down to machine load, "
                 f"{window['counted_lost']} counted ({counted_pct(window):.1f}%)")
    return text


def load_text(window: dict) -> str:
    """What the server did in the stalls after which it skipped ticks, and what was put down to
    the machine; empty when it skipped none."""
    load, skipped = window.get("load") or {}, window.get("skipped", 0)
    if not skipped:
        return ""
    if not window.get("cpu_read"):
        return f"{skipped} skipped ticks counted in full (the server's CPU was not read)"
    if not load:
        return f"{skipped} skipped ticks counted in full (no stall seen in the observer's frames)"
    machine = window.get("machine_ticks", 0)
    frames = window["lost"] - window.get("counted_lost", window["lost"])
    said = (f"{load['stalls']} stall(s), {load['stall_s']:.2f} s behind in all: the server ran "
            f"{load['server_cpu_s']:.2f} s and waited {load['server_wait_s']:.2f} s for a CPU")
    if machine:
        return f"{said}; {machine} of {skipped} skipped ticks ({frames} frames) put down to machine load, not counted"
    return f"{said}; all {skipped} skipped ticks counted (the server was busy or blocked, not starved)"
