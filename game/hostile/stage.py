"""The run's own lobbies, kept playing in a thread of their own while the attacks run.

A `Match` is a lobby we created with two players in a running arena match — its host and a
guest, each answering every state frame with one input (one a tick). The observer's records
every state frame for `measure.py`; the victim's is only checked for harm. Both run on the
`Stage`'s event loop, so that nothing an attack does on the main loop delays their reading;
the main loop reads their plain attributes (the GIL makes each read whole).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from typing import Any

from game.hostile.client import Probe, open_joined
from game.hostile.http import lobby_body, lobby_detail, post_lobby
from game.hostile.measure import Recorder
from game.hostile.target import Target
from game.loadtest.bots import encode_input


class SetupError(RuntimeError):
    """The run could not set up its own lobbies: nothing was attacked."""


class Stage:
    """An event loop in a daemon thread; `call` runs a coroutine there from another loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="hostile-observer", daemon=True)
        self.thread.start()

    async def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


class Match:
    """One of our lobbies, playing: ``code``, ``host`` and ``guest`` (Probes) and their ids."""

    def __init__(self, target: Target, label: str, recorder: Recorder | None = None) -> None:
        self.target, self.label, self.recorder = target, label, recorder
        self.code = self.token = ""
        self.host: Probe | None = None
        self.guest: Probe | None = None
        self.host_id = self.guest_id = 0
        self.tick_rate = 20
        self.skipped: int | None = None  # the lobby's skipped_ticks when its detail was last read
        self.skipped_at = 0.0  # when that was (monotonic)
        self._input_seq: dict[int, int] = {}

    @property
    def probes(self) -> list[Probe]:
        return [p for p in (self.host, self.guest) if p is not None]

    def _on_state(self, probe: Probe, frame: dict, now: float) -> None:
        if self.recorder is not None:
            self.recorder.add(id(probe), now, frame.get("tick", -1), frame.get("time", 0))
        input_seq = self._input_seq.get(id(probe), 0) + 1
        self._input_seq[id(probe)] = input_seq
        probe.send(encode_input(input_seq, 0, 0, 0.0, False))

    async def start(self, timeout: float = 20.0) -> Match:
        """Create the lobby, seat the two players, start the match; raise SetupError."""
        reply = await post_lobby(self.target, lobby_body(f"hostile {self.label}"))
        if reply.status != 201 or not reply.is_json:
            raise SetupError(f"POST /api/lobbies for the {self.label} answered {reply.status or reply.error}: "
                             f"{reply.body[:200]!r}")
        created = reply.json()
        self.code, self.token = created["code"], created["host_token"]
        self.tick_rate = int(created.get("lobby", {}).get("tick_rate", 20))
        try:
            self.host = await open_joined(self.target, self.code, f"name={self.label}-host&token={self.token}",
                                          on_state=self._on_state)
            self.guest = await open_joined(self.target, self.code, f"name={self.label}-guest",
                                           on_state=self._on_state)
        except (OSError, RuntimeError, TimeoutError) as exc:
            raise SetupError(f"the {self.label}'s players could not join {self.code}: {exc}") from exc
        self.host_id, self.guest_id = self.host.welcome["you"], self.guest.welcome["you"]
        await self._start_match(timeout)
        return self

    async def _start_match(self, timeout: float) -> None:
        host, guest = self.host, self.guest
        guest.send_kind("ready", ready=True)
        if not await host.wait(lambda: _ready(host.lobby, self.guest_id), 5):
            raise SetupError(f"the {self.label}'s guest never showed ready")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            errors = len(host.errors)
            host.send_kind("start")
            answered = await host.wait(lambda errors=errors: host.state_frames > 0 or len(host.errors) > errors,
                                       deadline - time.monotonic())
            if answered and host.state_frames > 0:
                break
            await asyncio.sleep(0.2)  # refused (invalid_state): the ready flag was not in yet
        if not await guest.wait(lambda: guest.state_frames > 0, max(0.1, deadline - time.monotonic())):
            raise SetupError(f"the {self.label}'s match did not start in {timeout:.0f} s (errors: {host.errors})")
        phase = lambda: (host.lobby or {}).get("phase") == "playing"  # noqa: E731
        if not await host.wait(phase, max(0.1, deadline - time.monotonic())):
            raise SetupError(f"the {self.label}'s lobby never reached the playing phase")

    async def close(self) -> None:
        """Close the lobby as its host (it is ours), then the sockets."""
        if self.host is not None and not self.host.gone:
            self.host.send_kind("close")
            await self.host.wait(lambda: self.host.gone or self.host.close_code is not None, 3)
        for probe in self.probes:
            probe.abort()

    # Read from the main loop.

    def socket_problems(self) -> list[str]:
        problems = []
        for role, probe in (("host", self.host), ("guest", self.guest)):
            if probe is None or probe.gone or probe.close_code is not None:
                code = probe.close_code if probe is not None else None
                problems.append(f"{self.label} {role}'s socket closed" + (f" ({code})" if code else ""))
        lobby = (self.host.lobby if self.host is not None else None) or {}
        if lobby.get("host") != self.host_id:
            problems.append(f"{self.label}'s host is now member {lobby.get('host')}")
        if lobby.get("locked"):
            problems.append(f"{self.label} got locked")
        members = {m.get("id") for m in lobby.get("members", [])}
        if self.guest_id not in members:
            problems.append(f"{self.label}'s guest is no longer a member")
        return problems

    async def intact(self, since: float, timeout: float = 3.0) -> list[str]:
        """What is wrong with this lobby after an attack that ended at ``since`` (monotonic):
        its sockets must be open and get state frames after it, its host, guest and phase kept."""
        deadline = time.monotonic() + timeout
        # A poll: two clients' reader tasks change what it reads, and neither event covers both.
        while time.monotonic() < deadline and not self._fresh(since) and not self.socket_problems():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        problems = self.socket_problems()
        if not problems and not self._fresh(since):
            problems.append(f"{self.label}'s players got no state frame in {timeout:.0f} s")
        reply = await lobby_detail(self.target, self.code)
        if reply.status != 200 or not reply.is_json:
            problems.append(f"GET /api/lobbies/{self.code} answered {reply.status or reply.error}")
        else:
            self.skipped, self.skipped_at = _skipped(reply.json()), time.monotonic()
            lobby = reply.json().get("lobby", {})
            if lobby.get("phase") != "playing":
                problems.append(f"{self.label}'s phase is {lobby.get('phase')}")
            if (lobby.get("players") or 0) < 2:
                problems.append(f"{self.label} has {lobby.get('players')} players")
        return problems

    async def skipped_ticks(self) -> int | None:
        """The ticks the server says this lobby skipped so far (None where it does not say)."""
        reply = await lobby_detail(self.target, self.code)
        self.skipped = _skipped(reply.json()) if reply.status == 200 and reply.is_json else None
        self.skipped_at = time.monotonic()
        return self.skipped

    async def frames_after(self, since: float, timeout: float = 2.0) -> None:
        """Wait (a little) until both players got a frame after ``since``: the ticks run by then are in."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._fresh(since) and not self.socket_problems():  # noqa: ASYNC110
            await asyncio.sleep(0.02)

    def _fresh(self, since: float) -> bool:
        return all(p.last_state_at > since for p in self.probes)


def _skipped(detail: dict) -> int | None:
    stats = detail.get("stats")
    value = stats.get("skipped_ticks") if isinstance(stats, dict) else None
    return value if isinstance(value, int) else None


def _ready(lobby: dict | None, member_id: int) -> bool:
    return any(m.get("id") == member_id and m.get("ready") for m in (lobby or {}).get("members", []))
