"""CPU and memory of the server under test, read from /proc (Linux) by its pid (or the sum over
several pids: the processes of one cluster)."""

from __future__ import annotations

import os
import time


class ServerProbe:
    """Samples a process's CPU time and resident memory over the measuring window."""

    def __init__(self, pid: int | list[int]) -> None:
        self.pids = pid if isinstance(pid, list) else [pid]
        self.ticks_per_s = os.sysconf("SC_CLK_TCK")
        self.cpu_start: float | None = None
        self.wall_start = 0.0
        self.cpu_end = 0.0
        self.wall_end = 0.0
        self.rss_samples: list[tuple[float, int]] = []

    def _cpu_s(self) -> float:
        total = 0
        for pid in self.pids:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / self.ticks_per_s

    def _rss_bytes(self) -> int:
        total = 0
        for pid in self.pids:
            with open(f"/proc/{pid}/status") as f:
                total += next((int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:")), 0)
        return total

    def sample(self, *, inside: bool) -> None:
        try:
            cpu, now = self._cpu_s(), time.monotonic()
            rss = self._rss_bytes()
        except OSError:
            return
        if inside:
            if self.cpu_start is None:
                self.cpu_start, self.wall_start = cpu, now
            self.cpu_end, self.wall_end = cpu, now
            self.rss_samples.append((now, rss))

    def summary(self, clients: int) -> dict:
        if self.cpu_start is None or self.wall_end <= self.wall_start:
            return {}
        rss = [r for _t, r in self.rss_samples]
        return {
            "server_cpu_percent": round(100.0 * (self.cpu_end - self.cpu_start) / (self.wall_end - self.wall_start), 1),
            "server_cpu_seconds": round(self.cpu_end - self.cpu_start, 3),
            "server_sampled_s": round(self.wall_end - self.wall_start, 3),
            "server_rss_mb_start": round(rss[0] / 2**20, 1),
            "server_rss_mb_end": round(rss[-1] / 2**20, 1),
            "server_rss_mb_max": round(max(rss) / 2**20, 1),
            "server_rss_bytes_per_client": int(rss[-1] / clients) if clients else 0,
            "rss_over_time": [(round(t - self.rss_samples[0][0], 1), r) for t, r in self.rss_samples],
        }
