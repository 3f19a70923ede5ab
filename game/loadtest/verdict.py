"""The soak's verdict: what the bots saw and the database holds, checked against each other.

`SoakFacts` is everything a soak run learned: the match ids the bots saw start and end (from
``match_start`` and ``match_over`` events, whichever process sent them), the rows the
database holds for the soak's lobbies (`SavedMatch`, from `database_facts`), and in chaos
mode the workers killed and restarted. `judge` turns them into a table of checks, each PASS
or FAIL with its figures; the run passes when every check does. Nothing here reads a
process's own statistics: a worker killed takes them with it, and a lobby moves between
processes, so only the clients' view and the database are trusted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Aborted for a fault of the servers (not of the players, the host or staff): with match
# continuity a kill or a drain hands the match on, so none of these is expected.
SERVER_FAULTS = frozenset({"lease_expired", "lease_lost", "handover", "owner_lost", "lobby_server_error",
                           "lobby_shutdown"})


@dataclass
class SavedMatch:
    """One row of ``game_match`` as the verdict needs it."""

    id: str
    status: str
    reason: str
    ticks: int
    results: int  # rows of game_result
    players: int  # distinct players among them
    replay: str  # "ok", "none" (no replay saved), or what is wrong with it


@dataclass
class SoakFacts:
    started: set[str] = field(default_factory=set)  # match ids of every match_start a bot saw
    over: dict[str, str] = field(default_factory=dict)  # match id -> status/reason of its match_over
    saved: list[SavedMatch] = field(default_factory=list)
    kills: int = 0  # workers killed (chaos mode)
    restarts: int = 0  # of those, replaced by the supervisor in time
    restart_s: list[float] = field(default_factory=list)  # kill -> a new worker serving
    resumed: int = 0  # seats the bots resumed
    started_after_last_kill: int = 0  # matches that started after the last kill
    chaos: bool = False
    max_aborted: int = 0  # aborted by a server fault that the run may have (0: none)


@dataclass
class Check:
    name: str
    ok: bool
    figures: str


def judge(facts: SoakFacts) -> list[Check]:
    """Every check of a soak run, in the order the table shows them."""
    rows = Counter(m.id for m in facts.saved)
    saved = {m.id: m for m in facts.saved}
    missing = sorted(facts.started - set(saved))
    twice = sorted(i for i, n in rows.items() if n > 1)
    unsaved_over = sorted(set(facts.over) - set(saved))
    checks = [
        Check("every match that started is saved", not missing,
              f"{len(facts.started)} started, {len(facts.started) - len(missing)} saved"
              + (f", missing {', '.join(missing[:3])}" if missing else "")),
        Check("each saved once", not twice, f"{len(facts.saved)} rows for {len(rows)} matches"),
        Check("every match_over seen is saved", not unsaved_over,
              f"{len(facts.over)} seen" + (f", {len(unsaved_over)} not saved" if unsaved_over else "")),
    ]
    short = [m.id for m in facts.saved if m.status == "finished" and (m.results == 0 or m.results != m.players)]
    shortfall = f", {len(short)} matches short" if short else ""
    checks.append(Check("results whole (one per player)", not short,
                        f"{sum(m.results for m in facts.saved)} results{shortfall}"))
    finished = [m for m in facts.saved if m.status == "finished"]
    bad = [m for m in finished if m.replay != "ok"]
    checks.append(Check("replays complete (re-simulate to the saved result)", not bad,
                        f"{len(finished) - len(bad)} of {len(finished)} finished"
                        + (f"; {bad[0].id}: {bad[0].replay}" if bad else "")))
    faults = Counter(m.reason for m in facts.saved if m.status == "aborted" and m.reason in SERVER_FAULTS)
    checks.append(Check("no match aborted by a server fault", sum(faults.values()) <= facts.max_aborted,
                        ", ".join(f"{n} {reason}" for reason, n in sorted(faults.items())) or "0"))
    if facts.chaos:
        latency = f", slowest {max(facts.restart_s):.1f} s" if facts.restart_s else ""
        checks.append(Check("every killed worker restarted", facts.kills > 0 and facts.restarts == facts.kills,
                            f"{facts.kills} killed, {facts.restarts} restarted{latency}"))
        checks.append(Check("play goes on after the last kill", facts.started_after_last_kill > 0,
                            f"{facts.started_after_last_kill} matches started after it; {facts.resumed} seats resumed"))
    return checks


def passed(checks: list[Check]) -> bool:
    return all(c.ok for c in checks)


def table(checks: list[Check]) -> str:
    """The checks as a Markdown table, and the verdict under it."""
    lines = ["| check | verdict | figures |", "|---|---|---|"]
    lines += [f"| {c.name} | {'PASS' if c.ok else 'FAIL'} | {c.figures} |" for c in checks]
    lines.append(f"\nverdict: {'PASS' if passed(checks) else 'FAIL'}")
    return "\n".join(lines)


def replay_state(row: Any) -> str:
    """Whether a saved match's replay is whole: "ok", "none", or what is wrong."""
    from game.engine.replay import ReplayError, decode, replay_result
    blob = row.replay
    if blob is None:
        return "none"
    try:
        replay = decode(bytes(blob))
        if replay.ticks != row.ticks:
            return f"covers {replay.ticks} of {row.ticks} ticks"
        replay_result(replay)
    except ReplayError as exc:
        return f"{type(exc).__name__}: {exc}"[:120]
    return "ok"


def database_facts(codes: list[str]) -> list[SavedMatch]:
    """The saved matches of the soak's lobbies, from the database (Django's ORM)."""
    from django.db.models import Count

    from game.models import Match
    out = []
    rows = Match.objects.filter(lobby_code__in=codes).annotate(
        n_results=Count("results"), n_players=Count("results__player", distinct=True))
    for row in rows.iterator():
        out.append(SavedMatch(id=row.id.hex, status=row.status, reason=row.reason, ticks=row.ticks,
                              results=row.n_results, players=row.n_players, replay=replay_state(row)))
    return out
