"""Spectators at scale: thousands of them on one core of the load client.

A full bot (`game.loadtest.bots.Bot`) reads every frame's timestamp, keeps every latency and
gap and a count per second: some 10-20 µs of Python a frame, so one process reads perhaps
50,000 frames a second with nothing left over, and 2,000 spectators at 20 Hz are 40,000. The
load client, not the server, was then what the spectator probe measured.

A `Watcher` is a spectator that does the least that still measures it: after the opening
handshake its ``data_received`` walks the frame headers of what arrived, and for each whole
binary frame looks at two bytes of the payload (a state frame is a msgpack map whose first key
is ``k``, then ``full`` or ``delta``: ``protocol.encode_full``/``encode_delta``) and adds one to
its count. Every ``SAMPLE_EVERY``-th state frame of each watcher (the watchers offset from each
other, so that each tick some of them sample, whatever their place in the server's send order)
is stamped with the clock and its ``time`` read (`bots.state_time`): the latency sample.
Counts over the measuring window come from the counters read by a timer at the window's start,
every second, and at its end (`Tally`), not from a clock read per frame.

Other frames (welcome, lobby, events, errors; pings and closes through `WebSocketClient`) are
rare and take the ordinary path; a spectator sends nothing. Players stay full bots, in their
own processes (`game.loadtest.runner`).
"""

from __future__ import annotations

import asyncio
import time

import msgpack

from game.loadtest.bots import OPEN_TIMEOUT_S, Figures, Plan, Window, state_time
from game.loadtest.wire import FrameRefused, WebSocketClient, frame_header

SAMPLE_EVERY = 8  # one state frame in this many, per watcher, is stamped for its latency
CONNECTING = 128  # opening handshakes at once per process
_FULL, _DELTA, _K = ord("f"), ord("d"), ord("k")  # payload[4] and payload[2] of a state frame


class Watcher(WebSocketClient):
    """One spectator: counts state frames, samples their latency, ignores the rest."""

    def __init__(self, url: str, origin: str, *, offset: int, latencies: list[float], window: Window,
                 errors: list[str]) -> None:
        super().__init__(max_size=2**20)
        self.url, self.origin = url, origin
        self.frames = 0  # state frames received since the connection opened
        self.bytes = 0  # their payload bytes
        self.countdown = offset % SAMPLE_EVERY + 1  # state frames until the next sampled one
        self.latencies, self.errors = latencies, errors
        self.start_ms, self.end_ms, self.window_end = window.start * 1000.0, window.end * 1000.0, window.end
        self.opened_at: float | None = None  # when the opening handshake completed

    async def run(self, connecting: asyncio.Semaphore) -> None:
        try:
            async with connecting:
                try:
                    await asyncio.wait_for(self.connect(self.url, self.origin), OPEN_TIMEOUT_S)
                except TimeoutError:
                    raise TimeoutError("timed out during the opening handshake") from None
            self.opened_at = time.time()
            await asyncio.wait([self.done], timeout=self.window_end - time.time() + 1)
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
        if self.transport is not None and not self.done.done():
            self.close()
            await asyncio.wait([self.done], timeout=2)

    def data_received(self, data: bytes) -> None:
        """`WebSocketClient.data_received` with its hot path inlined: a whole unfragmented
        binary frame that is a state frame is counted where it lies, without a copy or a call."""
        if self.closing:
            return
        if self._handshaking:
            data = self._handshake(data)
            if not data:
                return
        if self._buffer:
            self._buffer += data
            data, self._buffer = self._buffer, bytearray()
        size, pos, max_size = len(data), 0, self.max_size
        frames = nbytes = 0
        while True:
            try:
                head = frame_header(data, pos, size, max_size)
            except FrameRefused as refused:
                self._count(frames, nbytes)
                return self._fail(*refused.args)
            if head is None:
                break
            first, start, end = head
            if end > size:
                break
            length = end - start
            pos = end
            if first == 0x82 and self._fragments is None:
                if length > 4 and data[start + 2] == _K and (data[start + 4] == _DELTA or data[start + 4] == _FULL):
                    frames += 1
                    nbytes += length
                    self.countdown -= 1
                    if not self.countdown:
                        self.countdown = SAMPLE_EVERY
                        self._sample(data[start:end])
                else:
                    self.on_message(data[start:end])
            else:
                self._frame(first, data[start:end])
            if self.closing:
                break
        self.frames += frames
        self.bytes += nbytes
        if pos < size and not self.closing:
            self._buffer = data if pos == 0 and type(data) is bytearray else bytearray(data[pos:])

    def _count(self, frames: int, nbytes: int) -> None:
        self.frames += frames
        self.bytes += nbytes

    def _sample(self, payload: bytes | bytearray) -> None:
        now = time.time() * 1000.0
        if self.start_ms <= now < self.end_ms:
            stamp = state_time(payload)
            if stamp is None:
                stamp = msgpack.unpackb(payload, strict_map_key=False)["time"]
            self.latencies.append(now - stamp)

    def on_message(self, data: bytes | bytearray) -> None:
        """Any other whole binary message: a lobby frame (the most common) is passed over unread,
        a state frame whose keys come in another order (``k`` not first) is counted here, and
        only an error frame is recorded."""
        if len(data) > 4 and data[2] == _K and data[4] == ord("l"):
            return
        frame = msgpack.unpackb(data, strict_map_key=False)
        kind = frame.get("k") if isinstance(frame, dict) else None
        if kind in ("full", "delta"):
            self.frames += 1
            self.bytes += len(data)
            self.countdown -= 1
            if not self.countdown:
                self.countdown = SAMPLE_EVERY
                self._sample(data)
        elif kind == "error":
            self.errors.append(f"error frame: {frame.get('code')} {frame.get('msg')} ({frame.get('ref')})"[:200])

    def on_text(self, text: str) -> None:
        self.errors.append(f"a text message from the server: {text[:80]!r}")

    def on_close(self, code: int, reason: str) -> None:
        if time.time() < self.window_end:
            self.errors.append(f"closed by the server with {code} {reason}"[:200])

    def on_error(self, message: str) -> None:
        self.errors.append(f"protocol error: {message}"[:200])


class Tally:
    """Reads every watcher's counter at the window's start, at each second of it and at its end:
    the frames each got inside the window and the frames per second, with no clock read per frame."""

    def __init__(self, watchers: list[Watcher], window: Window, figures: Figures) -> None:
        self.watchers, self.window, self.figures = watchers, window, figures
        self.at_start: list[int] = []
        self.at_end: list[int] = []
        self.bytes = 0
        self.cpu_fraction = 0.0  # the process's CPU over the window (the handshakes before it apart)

    async def run(self) -> None:
        window, watchers = self.window, self.watchers
        await asyncio.sleep(max(0.0, window.start - time.time()))
        self.at_start = [w.frames for w in watchers]
        cpu0, wall0 = time.process_time(), time.monotonic()
        bytes_at_start = sum(w.bytes for w in watchers)
        previous, second = sum(self.at_start), 0
        while True:
            next_at = min(window.start + second + 1, window.end)
            await asyncio.sleep(max(0.0, next_at - time.time()))
            total = sum(w.frames for w in watchers)
            self.figures.per_second[second] = total - previous
            previous, second = total, second + 1
            if next_at >= window.end:
                break
        self.at_end = [w.frames for w in watchers]
        self.bytes = sum(w.bytes for w in watchers) - bytes_at_start
        self.cpu_fraction = (time.process_time() - cpu0) / max(1e-6, time.monotonic() - wall0)


def watcher_url(server: str, code: str, name: str) -> str:
    base = server.replace("http://", "ws://").replace("https://", "wss://")
    return f"{base}/ws/lobby/{code}/?role=spectator&name={name}"


async def watch(plan: Plan, seats: list[tuple[dict, int]], window: Window) -> Figures:
    """Run the spectators ``seats`` ((lobby, spectator index) each) as watchers; returns this
    process's figures (their frames are all spectator frames)."""
    figures = Figures()
    watchers = []
    for lobby, i in seats:
        server = lobby.get("base", plan.urls[0])
        if plan.spread:
            server = plan.urls[(lobby.get("index", 0) + plan.players + i) % len(plan.urls)]
        watchers.append(Watcher(watcher_url(server, lobby["code"], f"watch{i}"), server, offset=len(watchers),
                                latencies=figures.spectator_latencies_ms, window=window, errors=figures.errors))
    figures.clients = len(watchers)
    due = plan.duration_s * plan.tick_rate
    figures.expected_frames = len(watchers) * due
    figures.spectator_sample_every = SAMPLE_EVERY
    cpu0, wall0 = time.process_time(), time.monotonic()
    tally = Tally(watchers, window, figures)
    counting = asyncio.create_task(tally.run())
    connecting = asyncio.Semaphore(CONNECTING)
    await asyncio.gather(*(w.run(connecting) for w in watchers))
    if not counting.done():  # every watcher ended before the window did (the server went away)
        counting.cancel()
    if len(tally.at_end) == len(watchers):
        got = [end - start for start, end in zip(tally.at_start, tally.at_end, strict=True)]
    else:
        got = [0] * len(watchers)
    figures.frames = figures.spectator_frames = sum(got)
    figures.bytes = tally.bytes
    figures.spectator_shares = [round(n / due, 4) for n in got]
    # Connected after the window began (or never): a short warmup's shortfall, not the server's.
    figures.spectators_late = sum(1 for w in watchers if w.opened_at is None or w.opened_at > window.start)
    # Over the window when it was counted: the handshakes before it are not what is measured.
    figures.cpu_fraction = tally.cpu_fraction if tally.at_end else \
        (time.process_time() - cpu0) / max(1e-6, time.monotonic() - wall0)
    return figures
