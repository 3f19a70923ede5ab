"""`manage.py hostile`: its verdicts, measurements and guard without a server; its detectors
against toy servers that do (and do not) drop a socket; and the whole run, --quick, against
the real daphne (as `make run` starts it) and uvicorn, which must pass every attack."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import msgpack
import pytest
from websockets.asyncio.server import serve

from game.hostile import attacks_edge as edge
from game.hostile import attacks_frames as frames
from game.hostile import attacks_http as http
from game.hostile.catalogue import CATALOGUE, NAMES, select
from game.hostile.http import dechunk, parse_reply
from game.hostile.measure import clock_offset, window_stats
from game.hostile.outcome import Attack, Context, Plan, Result, Verdict
from game.hostile.report import Report, as_json, format_report
from game.hostile.runner import _only_observer_loss, attempt, batches
from game.hostile.stage import Match
from game.hostile.target import Target, TargetRefused, parse_target
from tests.liveserver import ROOT, live_server

# -- the target guard --------------------------------------------------------------------------


def fake_resolver(*addresses: str):
    return lambda host, port: [(2, 1, 6, "", (address, 0)) for address in addresses]


def test_only_loopback_targets_unless_the_operator_owns_the_server():
    assert parse_target("http://127.0.0.1:8000") == Target("http", "127.0.0.1", 8000)
    assert parse_target("http://[::1]:9/").origin == "http://[::1]:9"
    assert parse_target("http://localhost:8000", resolve=fake_resolver("127.0.0.1", "::1")).port == 8000
    for url in ("http://10.0.0.5:8000", "http://example.com"):
        with pytest.raises(TargetRefused, match="--i-own-this-server"):
            parse_target(url, resolve=fake_resolver("93.184.215.14"))
    with pytest.raises(TargetRefused):  # a name that resolves to loopback and elsewhere is not loopback
        parse_target("http://mixed.test", resolve=fake_resolver("127.0.0.1", "10.0.0.1"))
    owned = parse_target("https://staging.example", i_own_this_server=True, resolve=fake_resolver("10.0.0.1"))
    assert owned.ws_url("/ws/x/") == "wss://staging.example/ws/x/"
    for url in ("ftp://127.0.0.1", "http://127.0.0.1/api", "http://127.0.0.1/?x=1", "http://u:p@127.0.0.1"):
        with pytest.raises(TargetRefused):
            parse_target(url)


# -- the verdicts, from facts ------------------------------------------------------------------


def test_query_verdicts():
    good = {"expected_close": 4001, "cases": [{"close": 4001, "welcome": False}] * 2}
    assert edge.judge_query(good) == Verdict(True, "close 4001")
    joined = {"expected_close": 4001, "cases": [{"close": None, "welcome": True}]}
    assert edge.judge_query(joined) == Verdict(False, "still open (welcomed)")
    assert not edge.judge_query({"expected_close": 4000, "cases": [{"http": 500, "failed": "x"}]}).passed
    assert not edge.judge_query({"expected_close": 4001, "cases": [{"close": 4500, "welcome": False}]}).passed


def test_upgrade_verdicts():
    assert edge.judge_refused_upgrade({"status": 403}) == Verdict(True, "HTTP 403")
    assert edge.judge_refused_upgrade({"status": 400}).passed
    assert edge.judge_refused_upgrade({"status": 101}) == Verdict(False, "upgraded (HTTP 101)")
    assert edge.judge_refused_upgrade({"status": 0}) == Verdict(False, "no answer")


def test_unfinished_handshake_verdicts():
    dropped = {"sockets": 16, "open": 0, "deadline_s": 10, "dropped_after_s": 5.2, "how": ["closed"]}
    assert edge.judge_unfinished(dropped) == Verdict(True, "all 16 dropped (closed) by 5.2 s")
    held = {"sockets": 16, "open": 3, "deadline_s": 10, "dropped_after_s": 9.0, "how": ["answered"]}
    assert edge.judge_unfinished(held) == Verdict(False, "3 of 16 still open after 10 s")


def test_many_sockets_verdicts():
    facts = {"limit": 64, "held": 4, "welcomed": 60, "refused_4030": 4, "outcomes": {"welcomed": 60, "close 4030": 4}}
    assert edge.judge_many_sockets(facts) == Verdict(True, "60 welcomed, 4030 x4")
    none_refused = {**facts, "refused_4030": 0, "welcomed": 68, "outcomes": {"welcomed": 68}}
    assert not edge.judge_many_sockets(none_refused).passed
    over = {**facts, "welcomed": 61, "outcomes": {"welcomed": 61, "close 4030": 3, "close 4500": 1}}
    assert edge.judge_many_sockets(over) == Verdict(False, "61 welcomed, 4030 x4, close 4500 x1")


def test_malformed_frame_verdicts():
    facts = {"expected_errors": ["bad_field", "bad_version"], "errors": ["bad_field", "bad_version"], "close": None}
    assert frames.judge_malformed(facts) == Verdict(True, "errors bad_field, bad_version")
    assert not frames.judge_malformed({**facts, "errors": ["bad_field"]}).passed
    assert not frames.judge_malformed({**facts, "close": 1011}).passed
    assert frames.judge_malformed({**facts, "close": 4029}).passed  # a strict server may close the abuser


def test_oversized_frame_verdicts():
    assert frames.judge_close_1009({"close": 1009, "errors": []}) == Verdict(True, "close 1009")
    kept = frames.judge_close_1009({"close": None, "errors": ["frame_too_large"]})
    assert kept == Verdict(False, "still open; errors frame_too_large")
    waited = frames.judge_close_1009({"close": None, "errors": [], "waited_s": 3})
    assert waited == Verdict(False, "still open after 3 s")


def test_flood_verdicts():
    assert frames.judge_flood({"close": 4029, "after_s": 0.03, "errors": ["rate_limited"]}).passed
    assert frames.judge_flood({"close": None, "after_s": 5, "errors": []}) == Verdict(False, "still open after 5 s")
    assert not frames.judge_flood({"close": 1006, "after_s": 0.1, "errors": []}).passed


def test_slow_reader_verdicts():
    base = {"held_s": 20.0, "cut_after_s": None, "caught_up": False, "close": None}
    assert frames.judge_slow_reader({**base, "close": 4008}) == Verdict(True, "close 4008")
    assert frames.judge_slow_reader({**base, "cut_after_s": 12.5, "close": 1006}).passed
    assert frames.judge_slow_reader({**base, "caught_up": True}) == \
        Verdict(False, "never dropped in 20 s (then read on)")
    assert frames.judge_slow_reader({**base, "close": 4011}) == Verdict(False, "close 4011 after 20 s")


def test_role_verdicts():
    facts = {"wanted": ["close", "kick", "start"], "forbidden": ["close", "kick", "start"], "errors": ["forbidden"],
             "close": None}
    assert frames.judge_forbidden(facts) == Verdict(True, "forbidden 3/3")
    partial = frames.judge_forbidden({**facts, "forbidden": ["kick"], "errors": ["forbidden", "invalid_state"]})
    assert partial == Verdict(False, "forbidden 1/3 (not: close, start); errors invalid_state")


def test_http_body_verdicts():
    reply = {"status": 400, "json": True, "error": "", "body": "{}"}
    assert http.judge_bodies({"replies": [reply, reply]}) == Verdict(True, "400 x2")
    html = {**reply, "json": False}
    crash = {**reply, "status": 500, "json": False}
    assert http.judge_bodies({"replies": [reply, html, crash]}) == Verdict(False, "400, 400 (not JSON), 500 (not JSON)")
    assert not http.judge_bodies({"replies": [{**reply, "status": 201}]}).passed
    assert not http.judge_bodies({"replies": [{**reply, "status": 0, "error": "no complete reply in 15 s"}]}).passed


def test_lobby_flood_verdicts():
    refused = {"limit": 5, "statuses": [201, 201, 201, 429, 429], "created": 3, "json_429": True}
    assert http.judge_lobby_flood(refused) == Verdict(True, "3 created, then 429")
    assert http.judge_lobby_flood({**refused, "statuses": [201] * 6, "created": 6}) == Verdict(False, "6 created")
    assert not http.judge_lobby_flood({**refused, "json_429": False}).passed
    assert not http.judge_lobby_flood({**refused, "statuses": [201, 429, 201]}).passed  # the limit did not hold


# -- harm, and attacks that cannot finish ------------------------------------------------------------


def test_harm_to_a_lobby_is_seen_on_its_sockets():
    match = Match(Target("http", "127.0.0.1", 1), "victim")
    lobby = {"host": 1, "locked": False, "members": [{"id": 1}, {"id": 2}]}
    match.host = SimpleNamespace(gone=False, close_code=None, lobby=lobby)
    match.guest = SimpleNamespace(gone=False, close_code=None, lobby=lobby)
    match.host_id, match.guest_id = 1, 2
    assert match.socket_problems() == []
    match.guest.close_code = 4005
    match.host.lobby = {"host": 7, "locked": True, "members": [{"id": 1}, {"id": 7}]}
    assert match.socket_problems() == ["victim guest's socket closed (4005)", "victim's host is now member 7",
                                       "victim got locked", "victim's guest is no longer a member"]


async def test_an_attack_that_hangs_or_cannot_be_made_fails_within_its_budget():
    async def hangs(ctx):
        await asyncio.sleep(60)

    async def breaks(ctx):
        raise RuntimeError("refused with close 4009")

    ctx = toy_context(1)
    started = time.monotonic()
    verdict, facts, _seconds = await attempt(ctx, Attack("x", "victim", "-", hangs, lambda f: Verdict(True, ""),
                                                          lambda plan: 0.2))
    assert verdict == Verdict(False, "did not finish in 0 s") and time.monotonic() - started < 2
    verdict, facts, _seconds = await attempt(ctx, Attack("y", "victim", "-", breaks, lambda f: Verdict(True, ""),
                                                          lambda plan: 5))
    assert verdict == Verdict(False, "could not attack: refused with close 4009") and "4009" in facts["exception"]


# -- the observer's windows ------------------------------------------------------------------------


def stream(sock: int, ticks, *, start_tick=0, period=0.05, latency=0.002):
    """Records of a socket that got ``ticks`` (tick n ran at n * period on the server's clock)."""
    return [(sock, 100.0 + (start_tick + n) * period + latency, start_tick + n, int((start_tick + n) * period * 1000))
            for n in ticks]


def test_a_whole_stream_loses_nothing_and_late_frames_are_not_lost():
    records = stream(1, range(200)) + stream(2, range(200))
    offset = clock_offset(records)
    assert abs(offset - 100.002) < 1e-6
    stats = window_stats(records, 102.0, 104.0, rate=20, offset=offset)
    assert (stats.frames, stats.lost, stats.loss_pct) == (80, 0, 0.0)
    assert abs(stats.fps - 20.0) < 0.6
    late = [(s, a + (0.8 if 3.5 <= t / 1000 < 4.0 else 0.0), tick, t) for s, a, tick, t in records]
    stats = window_stats(late, 102.0, 104.0, rate=20, offset=offset)
    assert stats.lost == 0 and stats.fps < 20 and stats.max_gap_ms > 500  # late, counted, not lost


def test_missing_ticks_skipped_ticks_and_a_dead_stream_are_lost():
    holes = [n for n in range(200) if n not in (50, 51, 60)]
    records = stream(1, holes) + stream(2, range(200))
    offset = clock_offset(records)
    stats = window_stats(records, 102.0, 104.0, rate=20, offset=offset)
    assert stats.lost == 3 and stats.frames == 77
    assert window_stats(records, 102.0, 104.0, rate=20, offset=offset, skipped=2).lost == 3 + 2 * 2
    dead = stream(1, range(70)) + stream(2, range(200))  # socket 1 stopped at 3.5 s
    assert window_stats(dead, 102.0, 104.0, rate=20, offset=offset).lost == 10
    across = [n for n in range(200) if not 38 <= n <= 41]  # a hole across the window's start
    stats = window_stats(stream(1, across), 102.0, 104.0, rate=20, offset=offset)
    assert stats.lost == 2  # ticks 40 and 41 ran in the window; 38 and 39 before it
    assert window_stats(stream(1, range(10)), 102.0, 104.0, rate=20, offset=offset).loss_pct == 100.0


# -- the report ---------------------------------------------------------------------------------


def result(name: str, *, passed=True, harm=(), lost=0) -> Result:
    window = {"seconds": 2.0, "frames": 80 - lost, "fps": 19.5, "lost": lost, "loss_pct": 100 * lost / 80,
              "max_gap_ms": 60.0, "skipped": 0}
    return Result(name, "victim", "close 4001", Verdict(passed, "close 4001" if passed else "close 4500"), {},
                  0.0, 2.0, 0.1, harm=list(harm), window=window)


def test_the_report_names_every_attack_and_fails_on_any_failure():
    baseline = {"seconds": 3.0, "frames": 120, "fps": 20.0, "lost": 0, "loss_pct": 0.0, "max_gap_ms": 55.0,
                "skipped": 0}
    good = Report("http://127.0.0.1:8000", Plan.make(quick=True), baseline, [result(n) for n in NAMES], 30.0)
    text = format_report(good)
    assert good.passed and all(name in text for name in NAMES) and "19.5 (98%)" in text
    assert text.rstrip().endswith("24 of 24 passed: PASS")
    for bad in (result("slow-reader", passed=False), result("x", harm=["victim's phase is closed"]),
                result("y", lost=1)):
        report = Report("http://127.0.0.1:8000", Plan(), baseline, [result("a"), bad], 30.0)
        assert not report.passed and bad.name in report.failures()[0]
        assert "FAIL" in format_report(report)
        assert json.loads(as_json(report))["passed"] is False
    lossy = Report("u", Plan(), {**baseline, "lost": 3, "loss_pct": 2.5}, [result("a")], 1.0)
    assert not lossy.passed and lossy.failures()[0].startswith("baseline")


def test_only_a_short_attack_failing_on_the_observer_alone_is_tried_again():
    assert _only_observer_loss([result("a"), result("b", lost=2)])
    assert not _only_observer_loss([result("a"), result("b")])
    assert not _only_observer_loss([result("a", passed=False, lost=2)])
    assert not _only_observer_loss([result("a", harm=["victim's phase is closed"], lost=2)])
    long = result("slow-reader", lost=2)
    long.seconds = 20.0
    assert not _only_observer_loss([long])


def test_the_catalogue_is_bounded_and_selectable():
    assert len(NAMES) == len(set(NAMES)) == 24
    for plan in (Plan.make(), Plan.make(quick=True)):
        assert all(0 < attack.budget_s(plan) <= 60 for attack in CATALOGUE)
    assert Plan.make(quick=True).time_limit_s <= 90 and Plan.make().time_limit_s < 120
    assert [a.name for a in select(Plan(only=("slow-reader", "query-bad-role")))] == ["query-bad-role", "slow-reader"]
    with pytest.raises(KeyError):
        select(Plan(only=("no-such-attack",)))
    assert [len(b) for b in batches(CATALOGUE)].count(2) == 1  # the two holds share a window


def test_http_replies_are_read_by_hand():
    reply = parse_reply(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"error\": \"x\"}")
    assert reply.status == 400 and reply.is_json and reply.json() == {"error": "x"}
    assert not parse_reply(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<h1>").is_json
    assert parse_reply(b"garbage").status == 0
    assert dechunk(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n") == b"Wikipedia"


# -- detectors against toy servers --------------------------------------------------------------


def toy_context(port: int, **plan) -> Context:
    victim = SimpleNamespace(code="TOYS", host=SimpleNamespace(last_tick=10**9))
    return Context(Target("http", "127.0.0.1", port), Plan(**plan), observer=victim, victim=victim)


async def toy_game_server(drop_after: float | None):
    """A websocket server speaking just enough of the game: a welcome, then state frames at
    20 Hz; closes with 4008 after ``drop_after`` seconds (never when None)."""
    async def handler(ws):
        await ws.send(msgpack.packb({"v": 1, "k": "welcome", "you": 1, "lobby": {}}))
        started, tick = time.monotonic(), 0
        while drop_after is None or time.monotonic() - started < drop_after:
            tick += 1
            await ws.send(msgpack.packb({"v": 1, "k": "delta", "tick": tick, "time": int(time.time() * 1000)}))
            await asyncio.sleep(0.05)
        await ws.close(4008)
    return await serve(handler, "127.0.0.1", 0, close_timeout=0.5)


async def test_the_slow_reader_sees_a_drop_while_it_does_not_read():
    async with await toy_game_server(drop_after=0.5) as server:
        facts = await frames.slow_reader(toy_context(server.sockets[0].getsockname()[1], slow_reader_s=5))
    assert frames.judge_slow_reader(facts).passed, facts
    assert facts["held_s"] < 4.5  # it noticed the cut before its hold was over


async def test_the_slow_reader_reports_a_server_that_never_drops_it():
    async with await toy_game_server(drop_after=None) as server:
        context = toy_context(server.sockets[0].getsockname()[1], slow_reader_s=1)
        context.victim.host.last_tick = 5  # what the live players had seen: reading on catches up
        facts = await frames.slow_reader(context)
    assert facts["caught_up"] and facts["held_s"] >= 1
    assert frames.judge_slow_reader(facts) == Verdict(False, "never dropped in 1 s (then read on)")


@pytest.mark.parametrize("drop_after", [0.3, None])
async def test_unfinished_handshakes_are_judged_by_what_the_server_does(drop_after):
    async def hold(reader, writer):
        if drop_after is not None:
            await asyncio.sleep(drop_after)
            writer.close()
        else:
            await reader.read()  # until the client goes
    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    async with server:
        context = toy_context(server.sockets[0].getsockname()[1], half_open=4, handshake_deadline_s=1.5)
        facts = await edge.unfinished_handshakes(context)
    assert facts["sockets"] == 4
    assert edge.judge_unfinished(facts).passed == (drop_after is not None), facts


# -- the whole run against the real servers ------------------------------------------------------


@pytest.mark.server
@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
def test_a_quick_hostile_run_passes_against_the_real_server(tmp_path, kind):
    # The documented defaults the run checks (64 sockets an address; liveserver raises it for other tests).
    with live_server(tmp_path, kind, GAME_COUNTDOWN_S="0.2", GAME_MAX_CONNECTIONS_PER_ADDRESS="64") as base:
        env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings"}
        out = subprocess.run([sys.executable, "manage.py", "hostile", "--url", base, "--quick"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=150, check=False)
    for name in NAMES:
        assert name in out.stdout, f"{name} missing from the table:\n{out.stdout}\n{out.stderr[-2000:]}"
    assert out.returncode == 0, f"{kind}:\n{out.stdout}\n{out.stderr[-2000:]}"


@pytest.mark.server
def test_the_json_output_and_the_loopback_guard(tmp_path):
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings"}
    refused = subprocess.run([sys.executable, "manage.py", "hostile", "--url", "http://192.0.2.1:8000"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode != 0 and "--i-own-this-server" in refused.stderr
    with live_server(tmp_path, "uvicorn", GAME_COUNTDOWN_S="0.2") as base:
        out = subprocess.run([sys.executable, "manage.py", "hostile", "--url", base, "--quick", "--json",
                              "--only", "query-bad-role,roles-spectator-input"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60, check=False)
    report = json.loads(out.stdout)
    assert [a["name"] for a in report["attacks"]] == ["query-bad-role", "roles-spectator-input"]
    assert out.returncode == (0 if report["passed"] else 1)
    for attack in report["attacks"]:
        assert attack["observer"]["frames"] > 0 and attack["harm"] == [] and attack["got"]
    if sys.platform.startswith("linux"):  # the server's CPU is read, to tell machine load from harm
        assert any(note.startswith("the server's CPU is read from /proc") for note in report["notes"]), report["notes"]
        assert all(attack["observer"]["cpu_read"] for attack in report["attacks"])
