"""The server's CPU, read from /proc while a run plays: how much it ran and how long it waited
for a CPU, so that ticks it skipped can be put down to the machine or to the attack
(`measure.py` judges; this module only reads).

The server's processes are those holding the target port's listening socket (a loopback target
only: a remote server's CPU is not on this machine). A `Sampler` thread reads, every
``every_s``: the processes' CPU time (``/proc/<pid>/stat`` utime + stime, dead threads
included), each of their threads' run-queue wait (``/proc/<pid>/task/<tid>/schedstat``, second
field: time spent runnable but not running, which includes a CPU quota's throttling), and each
CPU's steal (``/proc/stat``: time a hypervisor gave the machine's CPU to someone else).
Counters are cumulative, so a sampler that is itself starved loses no time, only detail.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Sample:
    at: float  # monotonic seconds
    run_s: float  # CPU seconds the server's processes used so far (all threads)
    waits: dict[str, float]  # per thread ("pid/tid"): seconds spent runnable, waiting for a CPU, so far
    steal: tuple[float, ...] = ()  # per CPU: seconds stolen by a hypervisor so far


# -- /proc text, parsed (pure) ------------------------------------------------------------------


def listen_inodes(table: str, port: int) -> set[str]:
    """Inodes of the LISTEN sockets on ``port`` in a /proc/net/tcp or tcp6 table."""
    inodes = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != "0A":  # 0A: TCP_LISTEN
            continue
        try:
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
        except (IndexError, ValueError):
            continue
        if local_port == port and fields[9] != "0":
            inodes.add(fields[9])
    return inodes


def process_cpu_s(stat: str, ticks_per_s: float) -> float:
    """utime + stime of a /proc/<pid>/stat line, in seconds (its name may hold spaces and parentheses)."""
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / ticks_per_s  # fields 14 and 15 of the whole line


def schedstat_wait_s(schedstat: str) -> float:
    """The run-queue wait of a /proc/<pid>/task/<tid>/schedstat line (``run_ns wait_ns slices``)."""
    return int(schedstat.split()[1]) / 1e9


def cpu_steal_s(proc_stat: str, ticks_per_s: float) -> tuple[float, ...]:
    """Each CPU's steal (the 8th figure of its ``cpuN`` line of /proc/stat), in seconds."""
    out = []
    for line in proc_stat.splitlines():
        if line.startswith("cpu") and not line.startswith("cpu "):
            fields = line.split()
            out.append(int(fields[8]) / ticks_per_s if len(fields) > 8 else 0.0)
    return tuple(out)


# -- this machine's /proc ---------------------------------------------------------------------------


def _ticks_per_s() -> float:
    try:
        return float(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        return 100.0


def server_pids(port: int, proc: Path = PROC) -> list[int]:
    """The processes holding a listening socket on ``port`` (the server's, a cluster's
    workers included); empty where /proc or their descriptors cannot be read."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            inodes |= listen_inodes((proc / "net" / table).read_text(), port)
        except OSError:
            continue
    if not inodes:
        return []
    wanted = {f"socket:[{inode}]" for inode in inodes}
    pids = []
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            links = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:  # gone, or not ours to read
            continue
        if links & wanted:
            pids.append(int(entry.name))
    return sorted(pids)


def _read(path: str) -> str:
    """A small /proc file, in one read (a third of the time of Path.read_text)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 1 << 16).decode("ascii", "replace")
    finally:
        os.close(fd)


def read_sample(pids: list[int], proc: Path = PROC, ticks_per_s: float | None = None) -> Sample | None:
    """One `Sample` of ``pids`` now; None when none of them can be read any more."""
    ticks = ticks_per_s or _ticks_per_s()
    run_s, waits, seen = 0.0, {}, False
    for pid in pids:
        base = f"{proc}/{pid}"
        try:
            run_s += process_cpu_s(_read(f"{base}/stat"), ticks)
            tids = os.listdir(f"{base}/task")
        except (OSError, ValueError, IndexError):
            continue
        seen = True
        for tid in tids:
            try:
                waits[f"{pid}/{tid}"] = schedstat_wait_s(_read(f"{base}/task/{tid}/schedstat"))
            except (OSError, ValueError, IndexError):
                continue  # a thread that just ended
    if not seen:
        return None
    try:
        steal = cpu_steal_s(_read(f"{proc}/stat"), ticks)
    except (OSError, ValueError, IndexError):
        steal = ()
    return Sample(time.monotonic(), run_s, waits, steal)


class Sampler:
    """Samples ``pids`` every ``every_s`` in a daemon thread until `stop`; ``samples`` grows
    (read it from another thread as a whole list: appends are atomic)."""

    def __init__(self, pids: list[int], every_s: float = 0.025, proc: Path = PROC) -> None:
        self.pids, self.every_s, self.proc = list(pids), every_s, proc
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hostile-cpu", daemon=True)

    def start(self) -> Sampler:
        first = read_sample(self.pids, self.proc)
        if first is None or not first.waits:  # (no schedstat: a kernel without it says nothing of waits)
            raise OSError(f"cannot read /proc of {self.pids}")
        self.samples.append(first)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            sample = read_sample(self.pids, self.proc)
            if sample is None:
                return  # the server is gone
            self.samples.append(sample)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
