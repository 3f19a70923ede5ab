"""Bot clients of one process: create lobbies, join them, play, and measure every frame.

The bots must not be the bottleneck of what they measure: each is a lean websocket
protocol (`game.loadtest.wire`) reading frames in its ``data_received`` callback, and one
timer per process sends every player's inputs, the players spread over the input period.
"""

from __future__ import annotations

import asyncio
import json
import random
import struct
import time
import urllib.request
from dataclasses import dataclass, field

import msgpack

from game.loadtest.wire import OP_BINARY, WebSocketClient, client_frame
from game.protocol import PROTOCOL_VERSION

SHOTS_PER_S = 2.0  # how often a bot pulls the trigger, whatever its input rate
SLOT_S = 0.005  # the input timer's tick: players are spread over the input period in slots this long
CONNECTING = 64  # opening handshakes at once per process
OPEN_TIMEOUT_S = 30.0


@dataclass
class Plan:
    url: str
    lobbies: int
    players: int
    spectators: int
    tick_rate: int
    duration_s: float
    warmup_s: float
    game: str
    input_rate: float  # inputs per second per player; default: the tick rate
    baseline: bool = False  # the bare websockets server: no HTTP API, lobbies made on connect
    spread: bool = False  # several servers: each lobby's players spread over them, not on its creator
    spectator_delay_s: int = 0  # the lobbies' spectator_delay: spectators watch the delayed feed
    # "lean": spectators are `game.loadtest.watchers.Watcher`s in processes of their own (frames
    # counted, latency sampled); "full": full bots beside their lobby's players, every frame timed.
    spectator_client: str = "lean"
    spectator_processes: int = 1  # processes for the lean spectators
    # 0: one match as long as the game allows (an hour), for capacity: play never pauses. Else
    # matches this many seconds long that each lobby's host rematches at once, back to back: a
    # soak's steady state, matches starting and ending (and saved), not one match growing.
    match_s: int = 0
    # The bots' inputs (moves, aim, trigger): drawn from a generator seeded with this and the
    # process's first lobby, so that two runs play alike; None: unseeded, each run its own.
    seed: int | None = None

    @property
    def urls(self) -> list[str]:
        """The servers under test (``url`` may name several, comma-separated: one cluster)."""
        return [u.strip().rstrip("/") for u in self.url.split(",") if u.strip()]


@dataclass
class Figures:
    """What one process measured inside the measuring window."""

    latencies_ms: list[float] = field(default_factory=list)
    gaps_ms: list[float] = field(default_factory=list)
    frames: int = 0
    bytes: int = 0
    clients: int = 0
    expected_frames: float = 0.0
    per_second: dict[int, int] = field(default_factory=dict)  # second of window -> frames
    inputs_sent: int = 0  # inside the window
    inputs_due: float = 0.0
    errors: list[str] = field(default_factory=list)
    closed: int = 0
    cpu_fraction: float = 0.0
    # Spectators apart (their frames are in ``frames`` too): latencies, and each one's share of
    # the frames it was due, so that "every spectator got 99%" can be checked, not just the mean.
    spectator_latencies_ms: list[float] = field(default_factory=list)
    spectator_frames: int = 0
    spectator_shares: list[float] = field(default_factory=list)
    inputs_refused: int = 0  # dropped by an overloaded lobby (error frames "overloaded")
    inputs_after_match: int = 0  # refused as "not_in_match": sent as a match ended (back-to-back matches)
    matches_ended: int = 0  # match_over events the hosts saw (back-to-back matches)
    spectators_late: int = 0  # lean spectators connected only after the window began (or never)
    spectator_sample_every: int = 1  # 1: every spectator frame's latency; n: one in n (lean spectators)


@dataclass
class Window:
    """The measuring window, in wall-clock seconds."""

    start: float
    end: float

    def inside(self, t: float) -> bool:
        return self.start <= t < self.end


def _pack(kind: str, **fields) -> bytes:
    return msgpack.packb({"v": PROTOCOL_VERSION, "k": kind, **fields})


def create_lobby(plan: Plan, index: int) -> dict:
    """Create lobby ``index`` on server ``index`` (round robin over ``plan.urls``)."""
    base = plan.urls[index % len(plan.urls)]
    if plan.baseline:
        return {"code": f"BASE{index:04d}", "host_token": None, "index": index, "base": base}
    length = plan.match_s or 3600
    settings = {"arena": {"score_limit": 3600, "time_limit_s": length},
                "pong": {"score_limit": 3600, "time_limit_s": length}}.get(plan.game, {})
    body = {"game": plan.game, "name": f"load {index}", "max_players": plan.players,
            "tick_rate": plan.tick_rate, "settings": settings}
    request = urllib.request.Request(base + "/api/lobbies", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as reply:
        return {**json.loads(reply.read()), "index": index, "base": base}


_UINT = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}
_SCALAR = {0xC0: 0, 0xC2: 0, 0xC3: 0, 0xCA: 4, 0xCB: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8, **_UINT}


def state_time(data: bytes | bytearray) -> int | None:
    """The ``time`` of a state frame (``k`` full or delta), read from the leading keys of its
    msgpack map without decoding the rest; None when it is another kind, or when a container
    or an unusual encoding comes before both keys (then the caller decodes the whole frame)."""
    try:
        first = data[0]
        if 0x80 <= first <= 0x8F:
            count, pos = first & 0x0F, 1
        elif first == 0xDE:
            count, pos = (data[1] << 8) | data[2], 3
        else:
            return None
        kind = stamp = None
        for _ in range(count):
            marker = data[pos]
            if not 0xA0 <= marker <= 0xBF:  # keys are short strings
                return None
            value = pos + 1 + (marker & 0x1F)
            key, marker = data[pos + 1:value], data[value]
            if marker <= 0x7F or marker >= 0xE0:  # fixint
                pos = value + 1
            elif 0xA0 <= marker <= 0xBF:  # fixstr
                pos = value + 1 + (marker & 0x1F)
            elif marker in _SCALAR:
                pos = value + 1 + _SCALAR[marker]
            else:
                return None
            if key == b"k":
                kind = data[value + 1:pos]
                if kind != b"delta" and kind != b"full":
                    return None
            elif key == b"time":
                if marker <= 0x7F:
                    stamp = marker
                elif marker in _UINT and pos <= len(data):
                    stamp = int.from_bytes(data[value + 1:pos], "big")
                else:
                    return None
            if kind is not None and stamp is not None:
                return stamp
    except IndexError:
        return None
    return None


class Bot(WebSocketClient):
    """One websocket client. Players send inputs (when the process's ``Inputs`` timer says);
    everyone measures state frames."""

    def __init__(self, plan: Plan, code: str, role: str, name: str, token: str | None, window: Window,
                 figures: Figures, *, server: str | None = None) -> None:
        super().__init__(max_size=2**20)
        server = server or plan.urls[0]
        base = server.replace("http://", "ws://").replace("https://", "wss://")
        self.ws_url = f"{base}/ws/lobby/{code}/?role={role}&name={name}" + (f"&token={token}" if token else "")
        self.origin = server
        self.plan, self.role, self.window, self.figures = plan, role, window, figures
        self.start_ms, self.end_ms = window.start * 1000.0, window.end * 1000.0
        self.is_host = token is not None
        self.playing = False
        self.lobby: dict = {}
        self.last_frame_at: float | None = None
        self.input_seq, self.mx, self.my = 0, 0, 0
        self.window_frames = 0  # state frames received inside the window
        self.start_sent = False
        self.rematch_sent = False
        self.latencies = figures.latencies_ms if role == "player" else figures.spectator_latencies_ms

    async def run(self, connecting: asyncio.Semaphore) -> None:
        """Connect (``connecting`` bounds the handshakes at once), play until the window ends, close."""
        try:
            async with connecting:
                try:
                    await asyncio.wait_for(self.connect(self.ws_url, self.origin), OPEN_TIMEOUT_S)
                except TimeoutError:
                    raise TimeoutError("timed out during the opening handshake") from None
            await asyncio.wait([self.done], timeout=self.window.end - time.time() + 1)
        except Exception as exc:
            self.figures.errors.append(f"{type(exc).__name__}: {exc}"[:200])
        self.playing = False
        if self.transport is not None and not self.done.done():
            self.close()
            await asyncio.wait([self.done], timeout=2)  # the close frame out before the loop ends

    def on_message(self, data: bytes | bytearray) -> None:
        now = time.time() * 1000.0
        stamp = state_time(data)
        if stamp is None:
            frame = msgpack.unpackb(data, strict_map_key=False)
            kind = frame.get("k") if isinstance(frame, dict) else None
            if kind not in ("full", "delta"):
                return self._control(frame, kind)
            stamp = frame["time"]
        if not self.start_ms <= now < self.end_ms:
            self.last_frame_at = now
            return
        figures = self.figures
        figures.frames += 1
        figures.bytes += len(data)
        self.window_frames += 1
        self.latencies.append(now - stamp)
        if self.last_frame_at is not None:
            figures.gaps_ms.append(now - self.last_frame_at)
        second = int((now - self.start_ms) / 1000.0)
        figures.per_second[second] = figures.per_second.get(second, 0) + 1
        self.last_frame_at = now

    def _control(self, frame: dict, kind: str | None) -> None:
        """Join protocol: non-host players say ready; the host starts once everyone is in and ready."""
        if kind in ("welcome", "lobby"):
            self.lobby = frame["lobby"]
            if kind == "welcome" and self.is_host and self.plan.spectator_delay_s and self.lobby["phase"] == "waiting":
                # An engine setting, set by the host before it starts the match (sent first, applied first).
                self.send(_pack("settings", settings={"spectator_delay": self.plan.spectator_delay_s}))
            # Inputs while a match counts down or plays; none between matches (they would be refused).
            self.playing = self.lobby["phase"] in ("countdown", "playing")
            if self.playing:
                self.rematch_sent = False
            elif self.is_host and self.lobby["phase"] == "finished" and self.plan.match_s and not self.rematch_sent:
                self.rematch_sent = True  # the next match at once, with the players seated
                self.send(_pack("rematch"))
            if self.is_host and self.lobby["phase"] == "waiting":
                players = [m for m in self.lobby["members"] if m["role"] == "player"]
                ready = all(m["ready"] for m in players if m["id"] != self.lobby["host"])
                if len(players) >= self.plan.players and ready and not self.start_sent:
                    # Once: every spectator who comes in meanwhile brings another lobby frame, and
                    # a start the lobby already took is refused, which counts against the error budget.
                    self.start_sent = True
                    self.send(_pack("start"))
        elif kind == "error" and frame.get("code") == "overloaded":
            self.figures.inputs_refused += 1  # the server's lobby queue was full: load, not a fault
        elif kind == "error" and frame.get("code") == "not_in_match" and self.plan.match_s:
            self.figures.inputs_after_match += 1  # in flight when the match ended: not a fault
        elif kind == "event" and self.is_host:
            self.figures.matches_ended += sum(1 for e in frame.get("e", ()) if e.get("type") == "match_over")
        elif kind == "error":
            # A refused frame is the tester's fault (and counts against the bot's error budget).
            error = f"error frame: {frame.get('code')} {frame.get('msg')} ({frame.get('ref')})"
            self.figures.errors.append(error[:200])
            if frame.get("ref") == "start":
                self.start_sent = False  # refused (e.g. someone unready again): the next lobby frame retries
            if frame.get("ref") == "rematch":
                self.rematch_sent = False  # the next lobby frame retries
        if kind == "welcome" and self.role == "player" and not self.is_host:
            self.send(_pack("ready", ready=True))

    def on_text(self, text: str) -> None:
        self.figures.errors.append(f"a text message from the server: {text[:80]!r}")

    def on_close(self, code: int, reason: str) -> None:
        if time.time() < self.window.end:
            self.figures.errors.append(f"closed by the server with {code} {reason}"[:200])

    def on_error(self, message: str) -> None:
        self.figures.errors.append(f"protocol error: {message}"[:200])


# An input, {"v": 2, "k": "input", "input_seq": n, "d": {"mx", "my", "aim", "fire"}}, packed by hand:
# the constant parts once, then the sequence number (uint32), the move, the aim (float64), the trigger.
_INPUT = struct.Struct(">I")
_HEAD = b"\x84\xa1v" + msgpack.packb(PROTOCOL_VERSION) + b"\xa1k\xa5input\xa9input_seq\xce"
_MOVE = {(mx, my): b"\xa1d\x84\xa2mx" + msgpack.packb(mx) + b"\xa2my" + msgpack.packb(my) + b"\xa3aim\xcb"
         for mx in (-1, 0, 1) for my in (-1, 0, 1)}
_AIM = struct.Struct(">d")
_FIRE = (b"\xa4fire\xc2", b"\xa4fire\xc3")
MOVES = list(_MOVE)  # (mx, my): a bot picks a new one at random now and then


def encode_input(input_seq: int, mx: int, my: int, aim: float, fire: bool) -> bytes:
    """The msgpack bytes of one input, as ``msgpack.packb`` of its dict would decode."""
    return _HEAD + _INPUT.pack(input_seq) + _MOVE[mx, my] + _AIM.pack(aim) + _FIRE[fire]


class Inputs:
    """Every player's inputs of one process, sent by one timer: player i is in slot
    ``i % slots`` of the input period, so the inputs go out evenly spread; the timer keeps
    a fixed schedule (``next_at += slot``) and catches up when late rather than drifting."""

    def __init__(self, plan: Plan, window: Window, figures: Figures, players: list[Bot], *, stream: int = 0) -> None:
        self.period = 1.0 / (plan.input_rate or plan.tick_rate)
        count = max(1, round(self.period / SLOT_S))
        self.slots = [players[i::count] for i in range(count)]
        self.fire_chance = min(1.0, SHOTS_PER_S * self.period)  # the same play at any input rate
        self.window, self.figures = window, figures
        self.rng = random.Random(None if plan.seed is None else f"{plan.seed}:{stream}")  # (a process's own stream)

    async def run(self) -> None:
        slot_s = self.period / len(self.slots)
        random, getrandbits = self.rng.random, self.rng.getrandbits
        fire_chance, window, figures = self.fire_chance, self.window, self.figures
        next_at, index = time.monotonic(), 0
        while (now := time.time()) < window.end:
            sent = 0
            for bot in self.slots[index]:
                if not bot.playing or bot.closing:
                    continue
                if random() < 0.05:
                    bot.mx, bot.my = MOVES[int(random() * 9)]
                bot.input_seq += 1
                payload = encode_input(bot.input_seq, bot.mx, bot.my, (random() - 0.5) * 6.28, random() < fire_chance)
                bot.transport.write(client_frame(OP_BINARY, payload, getrandbits(32)))
                sent += 1
            if window.start <= now:
                figures.inputs_sent += sent
            index = (index + 1) % len(self.slots)
            next_at += slot_s
            late = time.monotonic() - next_at
            if late > self.period:
                # Stalled for more than a period (a starved machine): the missed inputs are skipped,
                # not sent in a burst that the server's input allowance (2x the tick rate, a
                # burst of as many) would refuse as rate_limited. inputs_ratio shows the shortfall.
                next_at += late
            # Late: the next slot at once, but through the loop, so that frames keep being read.
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def run_lobbies(plan: Plan, lobbies: list[dict], window: Window, *, spectators: bool = True) -> Figures:
    """Connect and run every bot of ``lobbies`` (their players only, unless ``spectators``);
    returns this process's figures."""
    figures = Figures()
    bots: list[Bot] = []
    for lobby in lobbies:
        code, token, first = lobby["code"], lobby["host_token"], lobby.get("index", 0)
        owner = lobby.get("base", plan.urls[0])

        def server(i: int, first: int = first, owner: str = owner) -> str:
            """The lobby's creator (its owner), or spread over all servers."""
            return plan.urls[(first + i) % len(plan.urls)] if plan.spread else owner
        for i in range(plan.players):
            bots.append(Bot(plan, code, "player", f"bot{i}", token if i == 0 else None, window, figures,
                            server=server(i)))
        for i in range(plan.spectators if spectators else 0):
            bots.append(Bot(plan, code, "spectator", f"watch{i}", None, window, figures,
                            server=server(plan.players + i)))
    figures.clients = len(bots)
    figures.expected_frames = len(bots) * plan.duration_s * plan.tick_rate
    players = [bot for bot in bots if bot.role == "player"]
    figures.inputs_due = len(players) * plan.duration_s * (plan.input_rate or plan.tick_rate)
    cpu0, wall0 = time.process_time(), time.monotonic()
    connecting = asyncio.Semaphore(CONNECTING)
    stream = lobbies[0].get("index", 0) if lobbies else 0
    inputs = asyncio.create_task(Inputs(plan, window, figures, players, stream=stream).run())
    await asyncio.gather(*(bot.run(connecting) for bot in bots))
    if inputs.done() and inputs.exception() is not None:
        figures.errors.append(f"the input timer failed: {inputs.exception()!r}"[:200])
    inputs.cancel()
    spectators = [bot.window_frames for bot in bots if bot.role == "spectator"]
    figures.spectator_frames = sum(spectators)
    due = plan.duration_s * plan.tick_rate
    figures.spectator_shares = [round(frames / due, 4) for frames in spectators]
    figures.cpu_fraction = (time.process_time() - cpu0) / max(1e-6, time.monotonic() - wall0)
    return figures
