"""What share of a cluster's lobby members are relayed: connected to another process than
their lobby's owner (docs/scale.md, "Routing"; target under 5% in steady state).

Each process's ``/metrics`` counts, for the lobbies it owns, every member (``game_players``,
``game_spectators``) and those connected through another process
(``game_cluster_remote_members``). Summed over every process, their ratio is the relayed share.
"""

from __future__ import annotations

import re
import urllib.request

_METRIC = re.compile(r"^(game_players|game_spectators|game_cluster_remote_members)(?:\{[^}]*\})? ([0-9.eE+-]+)$",
                     re.MULTILINE)


def counts(metrics_text: str) -> dict[str, float]:
    """``members`` and ``relayed`` of one process's Prometheus text."""
    found = {"game_players": 0.0, "game_spectators": 0.0, "game_cluster_remote_members": 0.0}
    for name, value in _METRIC.findall(metrics_text):
        found[name] += float(value)
    return {"members": found["game_players"] + found["game_spectators"],
            "relayed": found["game_cluster_remote_members"]}


def relayed_share(metrics_texts: list[str]) -> dict[str, float]:
    """``{"members", "relayed", "share"}`` over every process (share 0.0 with no member)."""
    members = relayed = 0.0
    for text in metrics_texts:
        got = counts(text)
        members += got["members"]
        relayed += got["relayed"]
    return {"members": members, "relayed": relayed, "share": relayed / members if members else 0.0}


def scrape(base_urls: list[str], token: str, *, timeout_s: float = 5.0) -> dict[str, float]:
    """The relayed share of the processes at ``base_urls`` (each process's own address, not a
    proxy's: a scrape through the proxy reaches one random process)."""
    texts = []
    for base in base_urls:
        request = urllib.request.Request(base.rstrip("/") + "/metrics", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=timeout_s) as reply:
            texts.append(reply.read().decode())
    return relayed_share(texts)


def line(share: dict[str, float]) -> str:
    """The figure as the load tester prints it."""
    return (f"relayed members: {share['relayed']:.0f} of {share['members']:.0f} "
            f"({100 * share['share']:.1f}%; target under 5%)")


class Sampler:
    """Scrapes the relayed share once, ``delay_s`` from now (mid-run: steady state), in a thread;
    `result` is None until then, or when a process could not be read (``error`` says why)."""

    def __init__(self, base_urls: list[str], token: str, delay_s: float) -> None:
        import threading

        self.result: dict[str, float] | None = None
        self.error: str | None = None
        self.timer = threading.Timer(delay_s, self._sample, args=(base_urls, token))
        self.timer.daemon = True
        self.timer.start()

    def _sample(self, base_urls: list[str], token: str) -> None:
        try:
            self.result = scrape(base_urls, token)
        except OSError as exc:
            self.error = f"could not read /metrics: {exc}"

    def report(self) -> str:
        self.timer.join(timeout=10)
        return line(self.result) if self.result is not None else f"relayed members: unknown ({self.error})"
