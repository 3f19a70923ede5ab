"""`manage.py hostile`: ticks the server skipped, put down to the machine or to the attack.

Skipped ticks with the server starved of a CPU (it waited, it did not run) are machine load and
not counted; a server that spun, or slept through its deadline, keeps every one, on a quiet
machine or a busy one. All from made-up frames and /proc samples, plus /proc read for real on
a child process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from game.hostile.cpu import (
    Sample,
    Sampler,
    cpu_steal_s,
    listen_inodes,
    process_cpu_s,
    read_sample,
    schedstat_wait_s,
    server_pids,
)
from game.hostile.measure import CATCHUP_TICKS, Stall, clock_offset, judge_stall, machine_load, stalls, window_stats
from game.hostile.outcome import Plan, Result, Verdict, load_text, observer_ok
from game.hostile.report import Report, as_json, format_report
from game.hostile.runner import Run
from game.hostile.target import Target
from tests.liveserver import ROOT
from tests.waits import until_sync

RATE, PERIOD = 20, 0.05
OFFSET = 100.0  # our clock = server time + 100 s


def ticking(ticks: int, *, stall_at: int | None = None, behind_s: float = 0.0, socks=(1, 2), missing=()):
    """Records of a 20 Hz lobby's observer sockets: tick n ran at n * period (server time),
    except that the loop stalled before tick ``stall_at`` and ran it ``behind_s`` late, then
    skipped ahead as the engine does (the next ticks on the period's grid again)."""
    times, t, skip = [], 0.0, 0
    for n in range(ticks):
        if n == stall_at:
            skip = round(behind_s / PERIOD)
            t = n * PERIOD + behind_s
        elif stall_at is not None and n > stall_at:
            t = (n + skip) * PERIOD if skip > CATCHUP_TICKS else t + PERIOD
        else:
            t = n * PERIOD
        times.append(t)
    return [(sock, OFFSET + at + 0.002, n, round(at * 1000)) for sock in socks for n, at in enumerate(times)
            if (sock, n) not in missing]


def samples(start: float, end: float, *, run=lambda t: 0.002 * t, wait=lambda t: 0.0, steal=None, every=0.025):
    """The server's /proc every ``every`` s: cumulative CPU ``run(t)``, its loop thread's wait
    ``wait(t)`` and another thread's (idle) wait; ``steal(t)`` for each of two CPUs."""
    out, t = [], start
    while t <= end + every:
        stolen = (steal(t), 0.0) if steal else (0.0, 0.0)
        out.append(Sample(t, run(t), {"9/9": wait(t), "9/10": 0.001}, stolen))
        t += every
    return out


def ramp(start: float, end: float, total: float):
    """A counter that grows by ``total`` between ``start`` and ``end`` (our clock)."""
    return lambda t: total * min(1.0, max(0.0, (t - start) / (end - start)))


# A stall of 0.45 s before tick 40: tick 39 ran at 1.95 s, tick 40 at 2.45 s (our clock 102.0-102.45),
# and the loop skipped 9 ticks.
STALL_FROM, STALL_TO = OFFSET + 2.0, OFFSET + 2.45


def stalled_window(**sample_args):
    records = ticking(120, stall_at=40, behind_s=0.45)
    got = samples(OFFSET, OFFSET + 7, **sample_args)
    return window_stats(records, OFFSET + 1.0, OFFSET + 4.0, rate=RATE, offset=OFFSET, skipped=9, samples=got)


def judged(window) -> Result:
    return Result("slow-reader", "victim", "close 4008", Verdict(True, "close 4008"), {}, 1.0, 4.0, 3.0,
                  window=window.as_dict())


# -- stalls, from the frames' server times ----------------------------------------------------------------


def test_a_stall_that_skipped_ticks_is_found_once_however_many_sockets_saw_it():
    found = stalls(ticking(120, stall_at=40, behind_s=0.45), OFFSET, OFFSET + 7, rate=RATE, offset=OFFSET)
    assert len(found) == 1
    assert found[0].ticks == 9 and abs(found[0].behind_s - 0.45) < 0.003 and abs(found[0].end - STALL_TO) < 0.003
    # frames lost around the stall do not hide it or change how late it was
    holes = ticking(120, stall_at=40, behind_s=0.45, missing={(1, 39), (1, 40), (2, 41)})
    again = stalls(holes, OFFSET, OFFSET + 7, rate=RATE, offset=OFFSET)
    assert [round(s.behind_s, 2) for s in again] == [0.45]


def engine(ticks: int, gap, socks=(1, 2)):
    """Records of a 20 Hz loop run as the engine runs it: tick ``n`` due on its grid, run no
    sooner than ``gap(t)`` after the tick before (the time the loop waits to get a CPU again at
    ``t``); more than 5 periods late, it skips ahead. Also the ticks it skipped."""
    times, skipped, n, last = [], 0, 0, -1.0
    for _tick in range(ticks):
        n += 1
        due = n * PERIOD
        ran = max(due, last + gap(last))
        times.append(ran)
        last = ran
        behind = int((ran - due) / PERIOD + 1e-9)
        if ran > due + PERIOD and behind > CATCHUP_TICKS:
            skipped += behind
            n += behind
    return [(sock, OFFSET + at + 0.002, k, round(at * 1000)) for sock in socks for k, at in enumerate(times)], skipped


def test_a_loop_that_falls_behind_a_little_at_each_tick_is_seen_to_stall():
    # From 2 s to 4 s the loop gets a CPU only every 80 ms: 30 ms later at each tick, until it skips.
    records, skipped = engine(150, lambda t: 0.08 if 2.0 <= t < 4.0 else 0.0)
    found = stalls(records, OFFSET, OFFSET + 9, rate=RATE, offset=OFFSET)
    assert skipped >= 12 and len(found) >= 2 and sum(s.ticks for s in found) == skipped, (found, skipped)
    assert all(s.behind_s > 0.3 for s in found) and found[0].start <= OFFSET + 2.2, found
    starved = samples(OFFSET, OFFSET + 9, wait=ramp(OFFSET + 2.0, OFFSET + 4.0, 1.9))
    window = window_stats(records, OFFSET + 1, OFFSET + 6, rate=RATE, offset=OFFSET, skipped=skipped,
                          samples=starved)
    assert window.machine_ticks >= skipped - 1 and window.counted_pct <= 1.0, window
    busy = samples(OFFSET, OFFSET + 9, run=ramp(OFFSET + 2.0, OFFSET + 4.0, 1.9))
    window = window_stats(records, OFFSET + 1, OFFSET + 6, rate=RATE, offset=OFFSET, skipped=skipped, samples=busy)
    assert window.machine_ticks == 0 and window.counted_pct > 1.0


def test_a_loop_that_caught_up_skipped_nothing_and_stalls_outside_the_span_are_not_its():
    caught_up = ticking(120, stall_at=40, behind_s=0.2)  # 4 periods late: run in a burst, nothing skipped
    assert stalls(caught_up, OFFSET, OFFSET + 7, rate=RATE, offset=OFFSET) == []
    late = ticking(120, stall_at=40, behind_s=0.45)
    assert stalls(late, OFFSET + 3.0, OFFSET + 7, rate=RATE, offset=OFFSET) == []


# -- what the server did in a stall --------------------------------------------------------------------------


def test_a_starved_server_s_skipped_ticks_are_put_down_to_machine_load():
    window = stalled_window(wait=ramp(STALL_FROM, STALL_TO, 0.44))  # waiting for a CPU all the stall
    assert window.skipped == 9 and window.machine_ticks == 9
    assert window.lost == 18 and window.counted_lost == 0 and window.counted_pct == 0.0
    assert window.load["stalls"] == 1 and window.load["server_wait_s"] >= 0.43
    result = judged(window)
    assert result.passed, result.reasons()
    assert "9 of 9 skipped ticks (18 frames) put down to machine load" in load_text(result.window)


def test_a_server_that_spins_keeps_its_skipped_ticks_on_a_quiet_machine():
    window = stalled_window(run=ramp(STALL_FROM, STALL_TO, 0.45))  # it ran the whole stall, never waited
    assert window.machine_ticks == 0 and window.counted_lost == window.lost == 18
    result = judged(window)
    assert not result.passed
    assert result.reasons() == ["the observer lost 18 frames (15.0%)"]
    assert "all 9 skipped ticks counted (the server was busy or blocked, not starved)" in load_text(result.window)


def test_a_server_that_spins_on_a_busy_machine_keeps_its_own_share():
    # Stalled 0.8 s: it ran 0.4 s (enough to skip ticks on a machine of its own) and waited for a
    # CPU the rest: half its 16 skipped ticks are its own.
    records = ticking(120, stall_at=40, behind_s=0.8)
    end = OFFSET + 2.8
    got = samples(OFFSET, OFFSET + 7, run=ramp(STALL_FROM, end, 0.4), wait=ramp(STALL_FROM, end, 0.45))
    window = window_stats(records, OFFSET + 1.0, OFFSET + 4.0, rate=RATE, offset=OFFSET, skipped=16, samples=got)
    assert window.machine_ticks == 8 and window.counted_lost == 16
    result = judged(window)
    assert not result.passed and "(8 skipped ticks) put down to machine load" in result.reasons()[0]
    # A spin of 0.2 s the loop would have caught up with alone, stretched by the machine: not its own.
    short = samples(OFFSET, OFFSET + 7, run=ramp(STALL_FROM, end, 0.2), wait=ramp(STALL_FROM, end, 0.6))
    window = window_stats(records, OFFSET + 1.0, OFFSET + 4.0, rate=RATE, offset=OFFSET, skipped=16, samples=short)
    assert window.machine_ticks == 16 and judged(window).passed


def test_a_little_work_of_its_own_in_a_stall_it_waited_through_explains_no_tick():
    # 30 ms of the server's CPU (a 4 MiB body parsed, say) in a 0.35 s stall it waited through:
    # all 7 skipped ticks are the machine's. In a 0.6 s stall, 0.35 s of its own explain 7 of 12.
    stall = Stall(STALL_TO, 0.35, 7)
    start = STALL_TO - 0.35
    little = samples(OFFSET, OFFSET + 3, run=ramp(start, STALL_TO, 0.03), wait=ramp(start, STALL_TO, 0.37))
    assert judge_stall(stall, little).machine_ticks == 7
    stall, start = Stall(STALL_TO, 0.6, 12), STALL_TO - 0.6
    more = samples(OFFSET, OFFSET + 3, run=ramp(start, STALL_TO, 0.35), wait=ramp(start, STALL_TO, 0.3))
    assert judge_stall(stall, more).machine_ticks == 5


def test_the_waits_of_a_process_s_threads_add_up_and_processes_do_not():
    # One process's two threads, each waiting half the stall (they take turns at its GIL): it
    # waited the whole stall. Two processes (a cluster's) each waiting half: half.
    stall = Stall(STALL_TO, 0.45, 9)
    half = ramp(STALL_FROM, STALL_TO, 0.225)
    one = [Sample(s.at, s.run_s, {"9/9": half(s.at), "9/10": half(s.at)}) for s in samples(OFFSET, OFFSET + 3)]
    two = [Sample(s.at, s.run_s, {"9/9": half(s.at), "8/8": half(s.at)}) for s in samples(OFFSET, OFFSET + 3)]
    assert judge_stall(stall, one).machine_ticks == 9
    assert judge_stall(stall, two).wait_s == pytest.approx(0.225, abs=0.01)


def test_a_server_blocked_through_its_deadline_keeps_them():
    window = stalled_window()  # neither ran nor waited: it slept (a blocking call) past its ticks
    assert window.machine_ticks == 0 and not judged(window).passed


def test_a_stolen_cpu_is_the_machine_s():
    window = stalled_window(steal=ramp(STALL_FROM, STALL_TO, 0.45))  # the hypervisor had the CPU
    assert window.machine_ticks == 9 and judged(window).passed


def test_without_the_server_s_cpu_every_skipped_tick_counts():
    records = ticking(120, stall_at=40, behind_s=0.45)
    window = window_stats(records, OFFSET + 1, OFFSET + 4, rate=RATE, offset=OFFSET, skipped=9, samples=None)
    assert window.machine_ticks == 0 and not window.cpu_read and not judged(window).passed
    assert load_text(window.as_dict()) == "9 skipped ticks counted in full (the server's CPU was not read)"
    few = samples(OFFSET + 2.2, OFFSET + 7, wait=lambda t: t)  # sampling began inside the stall: no evidence
    assert judge_stall(Stall(STALL_TO, 0.45, 9), few).machine_ticks == 0


def test_the_machine_never_gets_more_ticks_than_the_server_skipped_nor_ticks_no_stall_explains():
    stall = Stall(STALL_TO, 0.45, 9)
    starved = samples(OFFSET, OFFSET + 3, wait=ramp(STALL_FROM, STALL_TO, 0.45))
    assert machine_load([stall], starved, skipped=3).machine_ticks == 3
    # a starved stall and one it blocked through, 18 of 20 ticks seen: the two unseen split alike
    assert machine_load([stall, Stall(STALL_TO + 1, 0.45, 9)], starved, skipped=20).machine_ticks == 10
    assert machine_load([stall], starved, skipped=20).machine_ticks == 9  # 11 skipped where no stall was seen
    assert machine_load([], starved, skipped=20).machine_ticks == 0


def test_the_stalls_split_stands_for_the_server_s_count_when_they_explain_most_of_it():
    # The frames put 121 ticks in the stalls the server skipped 125 in (a tick or so off, each):
    # all the machine's, the stalls starved; half, where the server ran half of each stall.
    stalls_ = [Stall(OFFSET + 1 + k, 0.8, 16) for k in range(11)]  # 176 ticks seen
    starved = samples(OFFSET, OFFSET + 13, wait=lambda t: t)
    assert machine_load(stalls_, starved, skipped=180).machine_ticks == 180
    half = samples(OFFSET, OFFSET + 13, run=lambda t: 0.5 * t, wait=lambda t: 0.5 * t)
    assert machine_load(stalls_, half, skipped=180).machine_ticks == 90  # 8 of 16 a stall its own: 88 of 176


def test_the_report_says_which_window_was_discounted_and_by_how_much():
    starved = judged(stalled_window(wait=ramp(STALL_FROM, STALL_TO, 0.44)))
    spun = judged(stalled_window(run=ramp(STALL_FROM, STALL_TO, 0.45)))
    spun.name, spun.start = "flood-pings-pipelined", 5.0
    baseline = {"seconds": 1.5, "frames": 60, "fps": 20.0, "lost": 0, "loss_pct": 0.0, "max_gap_ms": 55.0,
                "skipped": 0}
    report = Report("http://127.0.0.1:8000", Plan.make(quick=True), baseline, [starved, spun], 10.0)
    text = format_report(report)
    assert not report.passed and report.failures() == ["flood-pings-pipelined: the observer lost 18 frames (15.0%)"]
    assert "lost 18 (9 ticks skipped, 9 to load)" in text
    assert "load  slow-reader: 1 stall(s), 0.45 s behind in all: the server ran 0.00 s and waited 0.4" in text
    assert "9 of 9 skipped ticks (18 frames) put down to machine load, not counted" in text
    assert "load  flood-pings-pipelined: 1 stall(s)" in text and "all 9 skipped ticks counted" in text
    assert json.loads(as_json(report))["attacks"][0]["observer"]["machine_ticks"] == 9
    starved_baseline = {**stalled_window(wait=ramp(STALL_FROM, STALL_TO, 0.44)).as_dict()}
    assert Report("u", Plan(), starved_baseline, [starved], 1.0).passed


# -- /proc, parsed and read -------------------------------------------------------------------------------------

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0 20 4 30 10 -1
   2: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4444 1 0 100 0 0 10 0
"""


def test_proc_text_is_parsed():
    assert listen_inodes(TCP, 8080) == {"4242"}  # the listener, not the connection on the same port
    assert listen_inodes(TCP, 9999) == set()
    stat = "321 (python (x) y) S 1 321 321 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1 2 3"
    assert process_cpu_s(stat, 100.0) == 3.0
    assert schedstat_wait_s("1500000000 250000000 42\n") == 0.25
    proc_stat = "cpu  1 2 3 4 5 6 7 80 0 0\ncpu0 1 2 3 4 5 6 7 50 0 0\ncpu1 1 2 3 4 5 6 7 30 0 0\nintr 1\n"
    assert cpu_steal_s(proc_stat, 100.0) == (0.5, 0.3)


@pytest.fixture
def listener():
    """A child process listening on a loopback port, spinning for a while once told (a line on stdin)."""
    code = ("import socket, sys, time\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
            "print(s.getsockname()[1], flush=True)\n"
            "sys.stdin.readline(); end = time.process_time() + 0.3\n"
            "while time.process_time() < end: pass\n"
            "sys.stdin.readline()\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield child, int(child.stdout.readline())
    finally:
        child.kill()
        child.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_server_is_found_by_its_port_and_its_cpu_read(listener):
    child, port = listener
    assert server_pids(port) == [child.pid]
    first = read_sample([child.pid])
    assert first is not None and first.waits and all(w >= 0 for w in first.waits.values())
    sampler = Sampler([child.pid], every_s=0.01).start()
    try:
        child.stdin.write("spin\n")
        child.stdin.flush()
        until_sync(lambda: sampler.samples[-1].run_s - first.run_s >= 0.25, "the child's CPU seen to grow",
                   timeout=60)
    finally:
        sampler.stop()
    assert len(sampler.samples) >= 2 and sampler.samples[-1].at > first.at
    assert read_sample([2**22 + 12345]) is None  # no such process
    assert server_pids(1) == []  # nothing listens there


# -- a real process: the stand-in server of tests/hostile/ticker.py -----------------------------------------


class Ticker:
    """tests/hostile/ticker.py in a child process, its ticks recorded as the observer records
    state frames (one socket), its CPU sampled as a hostile run samples the server's."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.hostile.ticker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.port = int(self.proc.stdout.readline())
        self.records: list[tuple[int, float, int, int]] = []
        self.skipped: int | None = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.sampler = Sampler(server_pids(self.port), every_s=0.025).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            first, second = line.split()
            if first == "skipped":
                self.skipped = int(second)
            else:
                self.records.append((1, time.monotonic(), int(first), int(second)))

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def skipped_now(self) -> int:
        self.skipped = None
        self.send("skipped")
        until_sync(lambda: self.skipped is not None, "the skipped count", timeout=60)
        return self.skipped

    def ticks_after(self, command: str, ticks: int = 20, start=None):
        """Send ``command`` (or call ``start``), wait for ``ticks`` more ticks: the stats of the
        window around it."""
        until_sync(lambda: len(self.records) >= 10, "the ticker's first ticks", timeout=60)
        before = self.skipped_now()
        began, seen = time.monotonic(), len(self.records)
        if start is not None:
            start()
        else:
            self.send(command)
        until_sync(lambda: len(self.records) >= seen + ticks, f"{ticks} ticks after {command}", timeout=60)
        skipped = self.skipped_now() - before
        records = list(self.records)
        return window_stats(records, began - 0.2, records[-1][1], rate=20, offset=clock_offset(records),
                            skipped=skipped, samples=list(self.sampler.samples))

    def close(self) -> None:
        self.sampler.stop()
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def ticker():
    made = Ticker()
    try:
        yield made
    finally:
        made.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("command", ["spin 0.6", "block 0.6"])
def test_a_real_server_that_spins_or_blocks_keeps_its_skipped_ticks(ticker, command):
    """0.6 s of the loop's own CPU (or sleep) cost it 12 ticks at least, on a quiet machine or a
    busy one: whatever the machine adds to the stall may be put down to it, never those."""
    window = ticker.ticks_after(command)
    assert window.skipped >= 6 and window.load["stalls"] >= 1, window
    assert window.skipped - window.machine_ticks >= 6, window
    assert not observer_ok(window.as_dict())


HOG = ("import os, sys, time\n"
       "os.sched_setaffinity(0, {int(sys.argv[1])})\n"
       "os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))\n"
       "print('ready', flush=True); sys.stdin.readline()\n"
       "end = time.monotonic() + float(sys.argv[2])\n"
       "while time.monotonic() < end: pass\n")


@pytest.mark.skipif(not hasattr(os, "sched_setscheduler"), reason="needs Linux scheduling calls")
def test_a_real_server_starved_of_its_cpu_puts_its_skipped_ticks_down_to_the_machine(ticker):
    """A real-time process spinning for 0.5 s on the one CPU the stand-in server may use: the
    server waits for it, skips ticks, and they are the machine's, not counted."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(ticker.proc.pid, {cpu})
    hog = subprocess.Popen([sys.executable, "-c", HOG, str(cpu), "0.5"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if hog.stdout.readline().strip() != "ready":
            pytest.skip(f"no real-time scheduling here: {hog.stderr.read().strip()[-200:]}")
        window = ticker.ticks_after("", ticks=20, start=lambda: (hog.stdin.write("go\n"), hog.stdin.flush()))
    finally:
        hog.kill()
        hog.wait()
    assert window.skipped >= 6 and window.load["stalls"] >= 1, window
    assert window.load["server_wait_s"] >= 0.4 and window.load["server_cpu_s"] < 0.1, window
    assert window.skipped - window.machine_ticks <= 1, window
    assert observer_ok(window.as_dict()), window


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_a_run_reads_the_server_s_cpu_only_where_it_can(listener):
    child, port = listener
    notes = {}
    for name, target in (("here", Target("http", "127.0.0.1", port)), ("remote", Target("http", "192.0.2.1", 80)),
                         ("nobody", Target("http", "127.0.0.1", 1))):
        run = Run(target, Plan.make(quick=True))
        try:
            await run.watch_cpu()
            notes[name] = (run.sampler is not None, run.notes)
        finally:
            if run.sampler is not None:
                run.sampler.stop()
            run.stage.stop()
    assert notes["here"] == (True, [f"the server's CPU is read from /proc (process {child.pid}): ticks it "
                                    "skipped while starved of a CPU are put down to machine load"])
    assert notes["remote"][0] is False and "192.0.2.1 is not a loopback address" in notes["remote"][1][0]
    assert notes["nobody"][0] is False and "no process of ours listens on 127.0.0.1:1" in notes["nobody"][1][0]
