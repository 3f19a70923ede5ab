"""The soak's verdict from facts (game.loadtest.verdict): what the bots saw against what the
database holds, and in chaos mode the kills and restarts."""

from __future__ import annotations

from game.loadtest.verdict import SavedMatch, SoakFacts, judge, passed, table


def row(match_id: str, status: str = "finished", reason: str = "time_up", *, results: int = 2,
        replay: str = "ok") -> SavedMatch:
    return SavedMatch(id=match_id, status=status, reason=reason, ticks=60, results=results, players=results,
                      replay=replay)


def verdicts(facts: SoakFacts) -> dict[str, bool]:
    return {c.name: c.ok for c in judge(facts)}


def test_a_clean_run_passes():
    facts = SoakFacts(started={"a", "b"}, over={"a": "finished/time_up", "b": "finished/forfeit"},
                      saved=[row("a"), row("b", reason="forfeit")])
    checks = judge(facts)
    assert passed(checks) and len(checks) == 6
    assert "| every match that started is saved | PASS | 2 started, 2 saved |" in table(checks)
    assert table(checks).endswith("verdict: PASS")


def test_a_match_started_and_never_saved_fails_and_is_named():
    facts = SoakFacts(started={"a", "lost"}, saved=[row("a")])
    checks = judge(facts)
    assert not passed(checks) and table(checks).endswith("verdict: FAIL")
    first = checks[0]
    assert not first.ok and "missing lost" in first.figures and "2 started, 1 saved" in first.figures


def test_a_row_saved_twice_fails():
    assert not verdicts(SoakFacts(started={"a"}, saved=[row("a"), row("a")]))["each saved once"]


def test_a_match_over_seen_but_not_saved_fails():
    assert not verdicts(SoakFacts(over={"x": "finished/time_up"}))["every match_over seen is saved"]


def test_results_must_cover_every_player():
    assert not verdicts(SoakFacts(started={"a"}, saved=[row("a", results=0)]))["results whole (one per player)"]
    short = SavedMatch(id="b", status="finished", reason="time_up", ticks=60, results=3, players=2, replay="ok")
    assert not verdicts(SoakFacts(saved=[short]))["results whole (one per player)"]
    # An aborted match whose owner vanished has no scores to check.
    assert verdicts(SoakFacts(saved=[row("c", "aborted", "lobby_host", results=0)]))["results whole (one per player)"]


def test_a_finished_match_needs_a_whole_replay():
    name = "replays complete (re-simulate to the saved result)"
    assert not verdicts(SoakFacts(saved=[row("a", replay="none")]))[name]
    bad = judge(SoakFacts(saved=[row("a"), row("b", replay="covers 30 of 60 ticks")]))
    check = next(c for c in bad if c.name == name)
    assert not check.ok and check.figures == "1 of 2 finished; b: covers 30 of 60 ticks"


def test_aborted_by_a_server_fault_fails_unless_allowed():
    saved = [row("a", "aborted", "owner_lost", results=0), row("b", "aborted", "lobby_host"),
             row("c", "aborted", "owner_lost", results=0)]
    facts = SoakFacts(started={"a", "b", "c"}, saved=saved)
    check = next(c for c in judge(facts) if c.name == "no match aborted by a server fault")
    assert not check.ok and check.figures == "2 owner_lost"  # the host closing its lobby is no fault
    facts.max_aborted = 2
    assert passed(judge(facts))


def test_chaos_needs_every_kill_restarted_and_play_after_the_last():
    facts = SoakFacts(started={"a"}, saved=[row("a")], chaos=True, kills=3, restarts=3, restart_s=[0.6, 0.7, 1.2],
                      started_after_last_kill=2, resumed=9)
    checks = judge(facts)
    assert passed(checks) and len(checks) == 8
    assert "| every killed worker restarted | PASS | 3 killed, 3 restarted, slowest 1.2 s |" in table(checks)
    facts.restarts = 2
    assert not verdicts(facts)["every killed worker restarted"]
    facts.restarts, facts.started_after_last_kill = 3, 0
    assert not verdicts(facts)["play goes on after the last kill"]
    assert not verdicts(SoakFacts(chaos=True))["every killed worker restarted"]  # no kill: no chaos
