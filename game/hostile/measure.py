"""The observer's state frames, counted per window: frames per second as they arrived, and
frames lost — ticks the server ran whose frame never came, and ticks it skipped.

Each record is ``(socket, arrival, tick, server time)``. A frame belongs to the window in
which its tick *ran* (the server's ``time``, moved onto this machine's monotonic clock by the
offset the baseline shows), so a frame that arrives late is late, not lost, and the client's
own pauses cannot make losses up. Within a window, each socket's ticks run from the last one
before the window (the anchor) to the last one in it: a number missing between them is a lost
frame; a socket that got nothing in a window (or whose stream ended in it) lost that time's
frames. Ticks the server skipped (its lobby stats' ``skipped_ticks``, read around the window by
the runner) are lost frames too: the observer never got them.

Skipped ticks are the attack's, unless the machine starved the server. The loop skips ticks
after a stall: a tick that ran more than ``CATCHUP_TICKS`` periods late on the loop's grid (read
from the frames' server times). For each such `Stall`, from the last frame on time to that
tick, the server's CPU samples (`game.hostile.cpu`) tell what the server did meanwhile: what it
ran (its own CPU, on the attack or anything else: harm) and how long its threads waited for a
CPU (or a hypervisor stole one: the machine). The share of the stall that the wait covers
and the server's own running does not is put down to the machine, and that share of the ticks
it skipped; a server that spun, or that slept through its deadline (blocked), keeps every one.
A window without samples (a server not on this machine) counts every skipped tick.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field

from game.hostile.cpu import Sample

CATCHUP_TICKS = 5  # the engine's max_catchup_ticks: a loop later than this many periods skips


class Recorder:
    """Appends state-frame records (from the observer's thread); read once the run is over."""

    def __init__(self) -> None:
        self.records: list[tuple[int, float, int, int]] = []

    def add(self, sock: int, arrival: float, tick: int, server_ms: int) -> None:
        self.records.append((sock, arrival, tick, server_ms))


@dataclass
class WindowStats:
    seconds: float
    frames: int  # state frames received in the window, all observer sockets
    fps: float  # per observer socket, as they arrived
    lost: int  # frames missing, and ticks the server skipped (``skipped`` of them), times sockets
    loss_pct: float
    max_gap_ms: float  # longest wait between two frames of one socket
    skipped: int = 0  # ticks the server skipped in the window (its lobby stats)
    machine_ticks: int = 0  # of ``skipped``, those put down to machine load (not counted)
    counted_lost: int = -1  # ``lost`` less the machine's ticks (times sockets): what is judged
    counted_pct: float = -1.0
    load: dict = field(default_factory=dict)  # `Load.as_dict()` of the stalls; empty: none seen
    cpu_read: bool = False  # the server's CPU was sampled

    def __post_init__(self) -> None:
        if self.counted_lost < 0:
            self.counted_lost, self.counted_pct = self.lost, self.loss_pct

    def as_dict(self) -> dict:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Stall:
    """The loop fell behind at ``end - behind_s`` (monotonic, our clock) and, at ``end``, ran a
    tick so late that it skipped ``ticks``."""

    end: float
    behind_s: float
    ticks: int
    rate: float = 20.0  # the lobby's tick rate

    @property
    def start(self) -> float:
        return self.end - self.behind_s


@dataclass(frozen=True)
class Judged:
    """A stall and what the server did in it: ``run_s`` its CPU, ``wait_s`` its threads' waits
    for a CPU (those of its most-waiting process, or a CPU's steal if more); ``machine_ticks``
    of its ticks are the machine's."""

    stall: Stall
    run_s: float
    wait_s: float
    machine_ticks: int


@dataclass
class Load:
    stalls: int = 0  # stalls that skipped ticks
    stall_s: float = 0.0  # their length (from falling behind to the skip), all together
    server_cpu_s: float = 0.0  # the server's CPU in them
    server_wait_s: float = 0.0  # its waits for a CPU in them
    machine_ticks: int = 0  # ticks put down to the machine
    each: list[dict] = field(default_factory=list)  # per stall: behind_s, ticks, run_s, wait_s, machine_ticks

    def as_dict(self) -> dict:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def stalls(records: list[tuple[int, float, int, int]], start: float, end: float, *, rate: float,
           offset: float) -> list[Stall]:
    """The stalls after which the loop skipped ticks, ending in [start, end) (our clock), read
    from the state frames' server times as the engine's loop decides: tick ``k`` is due at
    ``base + k * period``; a tick that runs more than ``CATCHUP_TICKS`` periods late makes the
    loop skip that many, and the ticks after it are due on the shifted grid. A stall runs from
    the last frame on time (less than a period late) to that tick: a loop starved at once, or
    falling behind a little more at each tick. Each stall once, however many sockets saw it."""
    period = 1.0 / rate
    by_socket: dict[int, list[tuple[int, int]]] = {}
    for sock, _arrival, tick, server_ms in records:
        by_socket.setdefault(sock, []).append((tick, server_ms))
    seen = []
    for rows in by_socket.values():
        rows.sort()
        base = on_time = None
        for tick, server_ms in rows:
            at = server_ms / 1000.0
            offset_of_tick = at - tick * period
            if base is None or offset_of_tick < base:
                base = offset_of_tick  # no tick runs early: the grid is at most this
            late = offset_of_tick - base
            ticks = int(late / period + 0.1)
            if ticks > CATCHUP_TICKS:
                began = on_time + period if on_time is not None else at - late
                if start <= at + offset < end:
                    seen.append(Stall(at + offset, at - began, ticks, rate))
                base = offset_of_tick  # the new grid (a hair late at most: the next frames lower it)
            if late < period or ticks > CATCHUP_TICKS:
                on_time = at
    out: list[Stall] = []  # one a stall; a socket that lost frames around it sees it longer
    for stall in sorted(seen, key=lambda s: (s.start, s.end)):
        if out and stall.start < out[-1].end:
            kept = out[-1]  # the same stall (the shorter is the better seen) or a socket's two in one
            if stall.ticks > kept.ticks + 1 or (abs(stall.ticks - kept.ticks) <= 1 and stall.behind_s < kept.behind_s):
                out[-1] = stall
            continue
        out.append(stall)
    return out


def _around(samples: list[Sample], start: float, end: float) -> tuple[Sample, Sample] | None:
    """The last sample at or before ``start`` and the first at or after ``end``."""
    before = next((s for s in reversed(samples) if s.at <= start), None)
    after = next((s for s in samples if s.at >= end), None)
    return (before, after) if before is not None and after is not None else None


def judge_stall(stall: Stall, samples: list[Sample]) -> Judged:
    """How many of a stall's skipped ticks were the machine's: the share of the stall that the
    server spent waiting for a CPU, less what it spent running (its own doing), never more than
    the wait. The server keeps the whole ticks its own share explains, and none when its own
    time in the stall (running, or blocked) was too short to make its loop skip on a machine of
    its own (``CATCHUP_TICKS`` + 1 periods): the machine stretched work the loop would have
    caught up with. No samples around it: none."""
    pair = _around(samples, stall.start, stall.end)
    if pair is None or stall.behind_s <= 0:
        return Judged(stall, 0.0, 0.0, 0)
    before, after = pair
    run = max(0.0, after.run_s - before.run_s)
    by_process: dict[str, float] = {}  # a process's threads take turns at its GIL: their waits add up
    for tid, w in after.waits.items():
        pid = tid.partition("/")[0]
        by_process[pid] = by_process.get(pid, 0.0) + max(0.0, w - before.waits.get(tid, 0.0))
    wait = max([0.0, *by_process.values()])
    if len(before.steal) == len(after.steal):
        wait = max([wait, *(b - a for a, b in zip(before.steal, after.steal, strict=True))])
    machine = min(wait, max(0.0, stall.behind_s - run), stall.behind_s)
    own_s = stall.behind_s - machine  # ran, or slept (blocked)
    if own_s < (CATCHUP_TICKS + 1) / stall.rate:
        return Judged(stall, run, wait, stall.ticks)  # alone, it would have been caught up: no tick skipped
    own = math.floor(stall.ticks * own_s / stall.behind_s + 1e-9)  # the whole ticks its own share explains
    return Judged(stall, run, wait, stall.ticks - own)


SEEN_SHARE = 0.8  # stalls seen that explain this much of the server's count stand for all of it


def machine_load(stalls_: list[Stall], samples: list[Sample] | None, skipped: int) -> Load:
    """The stalls judged: their totals, and the skipped ticks put down to the machine (at most
    ``skipped``, the server's own count). The ticks a stall skipped are estimated from its
    frames, a tick or so off the server's own reckoning; when the stalls seen account for most
    of the server's count (``SEEN_SHARE``), their split between the server and the machine is
    applied to the server's count, else ticks no stall explains are the server's."""
    judged = [judge_stall(stall, samples or []) for stall in stalls_]
    skipped = max(0, skipped)
    seen = sum(j.stall.ticks for j in judged)
    machine = sum(j.machine_ticks for j in judged)
    if seen and seen >= SEEN_SHARE * skipped:
        machine = skipped - min(skipped, math.ceil((seen - machine) * skipped / seen - 1e-9))
    return Load(stalls=len(judged), stall_s=sum(j.stall.behind_s for j in judged),
                server_cpu_s=sum(j.run_s for j in judged), server_wait_s=sum(j.wait_s for j in judged),
                machine_ticks=min(skipped, machine),
                each=[{"behind_s": round(j.stall.behind_s, 3), "ticks": j.stall.ticks, "run_s": round(j.run_s, 3),
                       "wait_s": round(j.wait_s, 3), "machine_ticks": j.machine_ticks} for j in judged])


def clock_offset(records: list[tuple[int, float, int, int]]) -> float:
    """Seconds to add to a server time (ms / 1000) to get this machine's monotonic time of arrival."""
    if not records:
        return 0.0
    return statistics.median(arrival - server_ms / 1000.0 for _s, arrival, _t, server_ms in records)


def _socket_loss(rows: list[tuple[float, int]], start: float, end: float, rate: float) -> int:
    """Lost frames of one socket in [start, end). ``rows``: its (tick time, tick) of the whole
    run, in order. A tick missing between two frames ran at the time interpolated between them
    and counts in the window that time falls in; after the last frame of a stream that ended,
    every tick the window still had is lost."""
    period, lost, previous = 1.0 / rate, 0, None
    for time_, tick in rows:
        if previous is not None and tick > previous[1] + 1:
            before_time, before_tick = previous
            lost += sum(1 for k in range(before_tick + 1, tick)
                        if start <= before_time + (k - before_tick) * period < end)
        if time_ >= end:
            return lost
        previous = (time_, tick)
    resumed_at = max(start, previous[0] + period) if previous is not None else start
    return lost + max(0, round((end - resumed_at) * rate))


def window_stats(records: list[tuple[int, float, int, int]], start: float, end: float, *, rate: float,
                 offset: float, skipped: int = 0, samples: list[Sample] | None = None,
                 span: tuple[float, float] | None = None) -> WindowStats:
    """`WindowStats` of [start, end) (monotonic seconds) over every observer socket; ``skipped``:
    the ticks the server says it skipped meanwhile (each a frame lost by every socket), counted
    over ``span`` (the times it was read; the window by default); ``samples``: the server's
    CPU (None: not read), by which skipped ticks may be put down to the machine."""
    seconds = max(1e-6, end - start)
    by_socket: dict[int, list[tuple[float, int, float]]] = {}
    for sock, arrival, tick, server_ms in records:
        by_socket.setdefault(sock, []).append((server_ms / 1000.0 + offset, tick, arrival))
    frames = lost = arrived = sockets = 0
    max_gap = 0.0
    for rows in by_socket.values():
        rows.sort()
        if rows[-1][0] < start - 1.0 or rows[0][0] >= end:
            continue  # a socket of a lobby that was replaced before, or made after, this window
        sockets += 1
        lost += _socket_loss([(t, tick) for t, tick, _a in rows], start, end, rate)
        frames += sum(1 for t, _tick, _a in rows if start <= t < end)
        arrivals = sorted(a for _t, _tick, a in rows if start <= a < end)
        arrived += len(arrivals)
        max_gap = max([max_gap, *(b - a for a, b in zip([start, *arrivals], [*arrivals, end], strict=True))])
    sockets = max(1, sockets)
    skipped = max(0, skipped)
    lost += skipped * sockets
    total = frames + lost
    load = Load()
    if skipped:
        load = machine_load(stalls(records, *(span or (start, end)), rate=rate, offset=offset), samples, skipped)
    counted = lost - load.machine_ticks * sockets
    return WindowStats(seconds=seconds, frames=frames, fps=arrived / seconds / sockets, lost=lost,
                       loss_pct=_pct(lost, total), max_gap_ms=max_gap * 1000.0, skipped=skipped,
                       machine_ticks=load.machine_ticks, counted_lost=counted, counted_pct=_pct(counted, total),
                       load=load.as_dict() if load.stalls else {}, cpu_read=samples is not None)


def _pct(lost: int, total: int) -> float:
    return 100.0 * lost / total if total else 100.0
