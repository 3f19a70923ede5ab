"""Match replays: a match kept as its seed, settings, players and input log.

The rules are deterministic (see `game.rules.base`): the same seed, players, settings and
ordered inputs between the same fixed steps give the same match. So a replay records only
what changes a game from outside, each at the match tick (steps done so far) it happened:

- the cleaned inputs the tick applied (`Match.play`),
- the neutral input applied when a player's connection drops (`Match.let_go`),
- the players removed for good during the match (`Match.forfeit`: left, evicted, or a bot unseated).

`simulate` runs the rules again from the registry and yields every tick's snapshot; the
blob also holds the result the live match ended with, and `simulate` refuses a replay
that does not reproduce it (a damaged blob, or rules changed since it was recorded).

The blob (docs/replays.md has the figures behind the choice) is one zlib stream of
consecutive msgpack values, so the recorder can pack and compress as the match goes and
the tick that ends a match only finishes the stream::

    {"v": 1, "game": name, "rules": rules_version, "seed": int, "settings": {...},
     "players": [[id, name], ...], "tick_rate": Hz}                      the header
    [dtick, id, cleaned]                                                 an input
    [dtick, id]                                                          a removal
    ...
    {"ticks": steps run, "end": {"scores": [[id, score], ...], "ranking": [id, ...],
                                 "winner": id | None, "reason": str}}   the trailer

``dtick`` is the entry's tick minus the previous entry's (the first counts from 0): ticks
only grow, and the small numbers compress to almost nothing.
"""

from __future__ import annotations

import logging
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import msgpack

from game.rules.base import Event, Game, MoveRefused, PlayerInfo, Result, Snapshot

log = logging.getLogger("game.replay")

FORMAT_VERSION = 1
#: zlib level: 6 is within 3% of 9's size at a quarter of its time (docs/replays.md).
LEVEL = 6
# A 4 kB window and a small hash table: 32 kB of deflate state while a piece is compressed
# (none kept between pieces) instead of zlib's default 256 kB, for input logs whose repeats
# are close together (docs/replays.md).
WINDOW_BITS, MEM_LEVEL = 12, 5
WINDOW = 1 << WINDOW_BITS
#: The zlib header of the blob's stream (a 4 kB window, level 6), before its raw deflate pieces.
ZLIB_HEADER = zlib.compress(b"", LEVEL, WINDOW_BITS)[:2]
#: Entries kept unpacked before they are packed in one go (a tick or two of eight players).
BATCH = 16
#: Packed bytes gathered before they are compressed as one piece of the stream (about three
#: seconds of eight players each sending an input a tick at 20 Hz). Each piece's compressor is
#: given the window of packed bytes before it, so pieces compress as one stream does.
PIECE_BYTES = 16384
#: Compressed bytes a recorder keeps before it gives up on the match: a hundred times what
#: eight people make in a three-minute arena match (docs/replays.md).
MAX_BLOB_BYTES = 16 * 1024 * 1024
#: What `decode` will inflate: more than any recorder writes.
MAX_DECODED_BYTES = 128 * 1024 * 1024
#: The most steps `simulate` runs: an hour at the fastest tick rate.
MAX_TICKS = 3600 * 60


class ReplayError(ValueError):
    """The blob is not a replay this server can run (damaged, unknown version or game)."""


class ReplayMismatch(ReplayError):
    """The replay ran but did not end as the recorded match did (rules changed, tampering)."""


def rules_version(game_cls: type[Game]) -> int:
    """A game's optional ``rules_version`` class attribute: bump it when a change of the rules
    makes old input logs play differently, and old replays are refused instead of lying."""
    return int(getattr(game_cls, "rules_version", 0))


class ReplayRecorder:
    """Records one match; every method is called from the lobby's tick.

    `input`, `inputs` and `removed` append a tuple; every `BATCH` entries they are packed onto
    the recorder's packed bytes, and every `PIECE_BYTES` of those are compressed as one piece
    of the blob's zlib stream, by a compressor made for that piece and dropped after it. So a
    recording lobby holds its compressed pieces, at most `PIECE_BYTES` packed and `BATCH`
    entries not yet packed, the last `WINDOW` packed bytes compressed, and no compressor
    between pieces (zlib's was 38 kB per lobby, for the whole match); no tick pays for the
    whole match. A recorder that was never started (the loop's default before its first match)
    or already encoded ignores every call.

    Each piece is raw deflate blocks ending on a byte boundary (a sync flush; the last one ends
    the stream) that refer back at most `WINDOW` bytes, into the piece or the packed bytes just
    before it (given to its compressor as a dictionary), which the stream's reader holds as the
    output just before. So the pieces, after the zlib header and before the checksum of all the
    packed bytes, make one valid zlib stream: the blob's format is unchanged (docs/replays.md).
    """

    __slots__ = ("checksum", "chunks", "game", "packed", "packer", "pending", "previous", "recording", "size",
                 "tail", "tap")

    def __init__(self) -> None:
        self.pending: list[tuple] = []
        # Where each entry also goes, with its absolute tick, as it is recorded (``append`` an
        # entry, ``extend`` a tick's entries): a cluster's input log (game.cluster.inputlog)
        # makes them durable outside the process. It gets every entry, also once the replay
        # has outgrown MAX_BLOB_BYTES and stopped: a successor needs the whole match.
        self.tap: Any = None
        self.recording = False
        self.previous = 0
        self.packer: Any = None  # held only while recording (a Packer keeps its buffer)
        self.packed = bytearray()  # packed entries not yet compressed
        self.tail = b""  # the last `WINDOW` packed bytes compressed: the next piece may refer to them
        self.checksum = 1  # adler-32 of every packed byte so far (zlib's trailer)
        self.chunks: list[bytes] = []  # the compressed pieces, the zlib header first
        self.size = 0
        self.game = ""

    def start(self, *, game: type[Game], seed: int, settings: dict[str, Any], players: list[PlayerInfo],
              tick_rate: int) -> None:
        """Called when a match is created (its countdown starts): what `Game(...)` was given."""
        header = {"v": FORMAT_VERSION, "game": game.name, "rules": rules_version(game), "seed": seed,
                  "settings": dict(settings), "players": [[p.id, p.name] for p in players],
                  "tick_rate": tick_rate}
        self.game, self.pending, self.previous = game.name, [], 0
        self.chunks, self.size, self.packed, self.checksum = [ZLIB_HEADER], len(ZLIB_HEADER), bytearray(), 1
        self.tail = b""
        self.packer = msgpack.Packer(use_bin_type=True, buf_size=1024)  # grows if it must
        self.recording = True
        self._write(self.packer.pack(header))

    def input(self, tick: int, member_id: int, cleaned: Any) -> None:
        """``cleaned`` was applied to the game before step ``tick + 1``."""
        if self.tap is not None:
            self.tap.append((tick, member_id, cleaned))
        if self.recording:
            self.pending.append((tick - self.previous, member_id, cleaned))
            self.previous = tick
            if len(self.pending) >= BATCH:
                self._drain()

    def inputs(self, tick: int, applied: list[tuple[int, Any]]) -> None:
        """`input` for each ``(member_id, cleaned)`` of ``applied``, all applied before step
        ``tick + 1`` (one call for a tick's inputs; the same entries, packed at the same points)."""
        if self.tap is not None:  # (one call a tick, not one an input)
            self.tap.extend([(tick, member_id, cleaned) for member_id, cleaned in applied])
        if not self.recording:
            return
        pending, dtick = self.pending, tick - self.previous
        self.previous = tick
        for member_id, cleaned in applied:
            pending.append((dtick, member_id, cleaned))
            dtick = 0
            if len(pending) >= BATCH:
                self._drain()
                if not self.recording:
                    return
                pending = self.pending

    def removed(self, tick: int, member_id: int) -> None:
        """``member_id`` was removed from the game before step ``tick + 1``."""
        if self.tap is not None:
            self.tap.append((tick, member_id))
        if self.recording:
            self.pending.append((tick - self.previous, member_id))
            self.previous = tick

    def encode(self, *, ticks: int, result: Result) -> bytes | None:
        """The blob of the match that ran ``ticks`` steps and ended with ``result``; None when
        nothing was recorded. Called once, when the match ends; the recorder stops there."""
        if not self.recording:
            return None
        self._drain()
        if not self.recording:  # gave up while draining
            return None
        self._write(self.packer.pack({"ticks": ticks, "end": _end(result)}))
        self._compress(final=True)
        if not self.recording:  # gave up on the trailer
            return None
        self.recording, self.packer = False, None
        blob = b"".join([*self.chunks, self.checksum.to_bytes(4, "big")])
        self.chunks, self.tail = [], b""
        return blob

    def _drain(self) -> None:
        """Pack the pending entries, each already ``(dtick, id[, cleaned])``, in one call: an
        array of them packs as its header followed by each entry packed alone, so the header
        is cut off (a cleaned input that is a tuple, like the arena's, packs as an array)."""
        count = len(self.pending)
        if count:
            packed = self.packer.pack(self.pending)
            self.pending = []
            self._write(packed[1 if count < 16 else 3 if count < 65536 else 5:])

    def _write(self, raw: bytes) -> None:
        """Add packed bytes; a whole piece's worth is compressed now."""
        self.packed += raw
        if len(self.packed) >= PIECE_BYTES:
            self._compress(final=False)

    def _compress(self, *, final: bool) -> None:
        """Compress the packed bytes as the stream's next piece (its last when ``final``)."""
        packed = self.packed
        if not packed and not final:
            return
        self.checksum = zlib.adler32(packed, self.checksum)
        # Raw deflate (no header), which may refer back into the last window of packed bytes
        # before it: in the stream, they are what precedes the piece.
        zipper = (zlib.compressobj(LEVEL, zlib.DEFLATED, -WINDOW_BITS, MEM_LEVEL, zdict=self.tail) if self.tail
                  else zlib.compressobj(LEVEL, zlib.DEFLATED, -WINDOW_BITS, MEM_LEVEL))
        piece = zipper.compress(packed) + zipper.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)
        self.tail = bytes((self.tail + packed)[-WINDOW:]) if len(packed) < WINDOW else bytes(packed[-WINDOW:])
        self.packed = bytearray()
        self.size += len(piece)
        self.chunks.append(piece)
        if self.size + 4 > MAX_BLOB_BYTES:
            self._give_up()

    def _give_up(self) -> None:
        log.warning("a match of %s outgrew %d bytes of replay; it is not recorded", self.game, MAX_BLOB_BYTES)
        self.recording, self.pending, self.chunks, self.packed, self.packer = False, [], [], bytearray(), None
        self.tail = b""


def _end(result: Result) -> dict[str, Any]:
    return {"scores": sorted([pid, score] for pid, score in result.scores.items()),
            "ranking": list(result.ranking), "winner": result.winner, "reason": result.reason}


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    """A decoded blob. ``log`` holds ``(tick, member_id, cleaned)`` inputs and
    ``(tick, member_id)`` removals with absolute ticks, in the order they were applied."""

    version: int
    game: str
    rules: int
    seed: int
    settings: dict[str, Any]
    players: list[PlayerInfo]
    tick_rate: int
    ticks: int
    log: list[tuple]
    end: dict[str, Any]


def decode(blob: bytes) -> Replay:
    """Check and decode a blob; ReplayError for anything damaged or of another version."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise ReplayError("a replay is bytes")
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(bytes(blob), MAX_DECODED_BYTES)
        if inflater.unconsumed_tail:
            raise ReplayError("the replay is too large")
        if not inflater.eof or inflater.unused_data:
            raise ReplayError("the replay is truncated or has bytes after its end")
        values = _unpack(raw)
    except ReplayError:
        raise
    except Exception as exc:  # zlib and msgpack raise several types for damaged input
        raise ReplayError(f"the replay is damaged ({type(exc).__name__})") from None
    if len(values) < 2 or not isinstance(values[0], dict) or values[0].get("v") != FORMAT_VERSION:
        raise ReplayError(f"not a version {FORMAT_VERSION} replay")
    try:
        return _parse(values[0], values[1:-1], values[-1])
    except (KeyError, TypeError, ValueError) as exc:
        raise ReplayError(f"the replay is malformed ({exc})") from None


def _unpack(raw: bytes) -> list[Any]:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=True, use_list=True, max_buffer_size=len(raw) + 1)
    unpacker.feed(raw)
    return list(unpacker)


def _parse(header: dict[str, Any], body: list[Any], trailer: Any) -> Replay:
    if not isinstance(trailer, dict):
        raise ValueError("the trailer is missing (a truncated replay)")
    players = [PlayerInfo(_int(pid), str(name)) for pid, name in header["players"]]
    ids = {p.id for p in players}
    ticks = _int(trailer["ticks"])
    if not 0 <= ticks <= MAX_TICKS or len(ids) != len(players):
        raise ValueError("ticks or players out of range")
    entries, tick = [], 0
    for entry in body:
        if not isinstance(entry, list) or len(entry) not in (2, 3):
            raise ValueError("a log entry is [dtick, id] or [dtick, id, input]")
        dtick, member = _int(entry[0]), _int(entry[1])
        tick += dtick
        if dtick < 0 or tick > ticks or member not in ids:
            raise ValueError("a log entry's tick or player is out of range")
        entries.append((tick, member, entry[2]) if len(entry) == 3 else (tick, member))
    end = trailer["end"]
    if not isinstance(end, dict) or not isinstance(header["settings"], dict):
        raise ValueError("end and settings are maps")
    return Replay(version=header["v"], game=str(header["game"]), rules=_int(header["rules"]),
                  seed=_int(header["seed"]), settings=header["settings"], players=players,
                  tick_rate=_int(header["tick_rate"]), ticks=ticks, log=entries, end=end)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("an integer was expected")
    return value


# -- running ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """Tick ``tick`` of a replay: the snapshot after ``tick`` steps (None when not asked for),
    the game's events of that step, and on the last frame only, the match's result."""

    tick: int
    snapshot: Snapshot | None
    events: list[Event]
    result: Result | None = None


def simulate(blob: bytes | Replay, *, snapshots: bool = True,
             games: Callable[[str], type[Game]] | None = None) -> Iterator[Frame]:
    """Run a replay again: frame 0 is the match before its first step, frame ``ticks`` the
    end, carrying the result. Pure: a function of the blob and the rules.

    ``games`` finds a rules class by name (the game registry by default). Raises
    ReplayError when the blob cannot run, ReplayMismatch when it ends otherwise than the
    recorded match did; an aborted match replays up to where it stopped."""
    replay = blob if isinstance(blob, Replay) else decode(blob)
    game_cls = _rules(replay, games)
    try:
        game = game_cls(seed=replay.seed, players=list(replay.players), settings=dict(replay.settings))
        read = _reader(game_cls)
        dt = 1.0 / replay.tick_rate
        log_, at = replay.log, 0
        events: list[Event] = []
        # A game with hidden information replays as its spectators saw it (game.rules.base:
        # view(None)) while it plays; the last frame is the whole truth, revealed.
        shown = _spectators_view(game) if snapshots and game_cls.has_views() else None
        for tick in range(replay.ticks):
            if shown is not None:
                yield Frame(tick, shown(), game.view_events(events, None))
            else:
                yield Frame(tick, game.snapshot() if snapshots else None, events)
            at = _apply_due(game, log_, at, tick, read)
            events = game.step(dt)
        # What happened after the last step (a removal before the lobby closed) counts too.
        _apply_due(game, log_, at, replay.ticks, read)
        result = _checked(game.result(), replay)
        yield Frame(replay.ticks, game.snapshot() if snapshots else None, events, result)
    except ReplayError:
        raise
    except Exception as exc:  # a damaged input log can upset the rules in any way
        raise ReplayError(f"the replay does not run ({type(exc).__name__}: {exc})") from None


def _spectators_view(game: Game) -> Callable[[], Snapshot]:
    return lambda: game.view(None)


def catch_up(game: Game, entries: list[tuple], *, from_tick: int, to_tick: int, dt: float) -> None:
    """Bring ``game`` from ``from_tick`` steps to ``to_tick``, applying ``entries`` (each
    ``(tick, id, cleaned)`` or ``(tick, id)``, in the order they were recorded, none before
    ``from_tick``) as the live match did: those of a tick before its next step, those of
    ``to_tick`` last. How a new owner rebuilds a match from its input log
    (game.cluster.continuity); ReplayError when the entries do not fit."""
    read = _reader(type(game))
    at = 0
    for tick in range(from_tick, to_tick):
        at = _apply_due(game, entries, at, tick, read)
        game.step(dt)
    at = _apply_due(game, entries, at, to_tick, read)
    if at != len(entries):
        raise ReplayError(f"input log entry {at} is out of order (tick {entries[at][0]}, "
                          f"replaying ticks {from_tick} to {to_tick})")


def _rules(replay: Replay, games: Callable[[str], type[Game]] | None) -> type[Game]:
    if games is None:
        from game.rules import get_game as games
    try:
        game_cls = games(replay.game)
    except KeyError:
        raise ReplayError(f"no game named {replay.game!r}") from None
    if rules_version(game_cls) != replay.rules:
        raise ReplayMismatch(f"recorded with {replay.game} rules version {replay.rules}, "
                             f"this server has {rules_version(game_cls)}")
    if not 1 <= replay.tick_rate <= 1000:
        raise ReplayError("the tick rate is out of range")
    return game_cls


def _apply_due(game: Game, entries: list[tuple], at: int, tick: int, read: Callable[[Any], Any]) -> int:
    """Apply the entries of ``tick`` (they come before its next step); return the next index."""
    while at < len(entries) and entries[at][0] == tick:
        entry = entries[at]
        if len(entry) == 3:
            try:  # noqa: SIM105 (once per logged input: a try costs nothing, a suppress() an object)
                game.apply_input(entry[1], read(entry[2]))
            except MoveRefused:
                pass  # refused live too, changing nothing (a log kept before the rules saw it)
        else:
            game.remove_player(entry[1])
        at += 1
    return at


def _reader(game_cls: type[Game]) -> Callable[[Any], Any]:
    """How a logged input becomes the cleaned value again: a list turns back into the type of
    the game's `neutral_input` when that is a tuple (a NamedTuple, as the arena's)."""
    neutral = game_cls.neutral_input()
    if isinstance(neutral, tuple):
        make = getattr(type(neutral), "_make", type(neutral))
        return lambda value: make(value)
    return lambda value: value


def _checked(result: Result, replay: Replay) -> Result:
    if _end(result) != replay.end:
        raise ReplayMismatch(f"the replay ends with {_end(result)}, the match ended with {replay.end}")
    return result


def replay_result(blob: bytes | Replay, *, games: Callable[[str], type[Game]] | None = None) -> Result:
    """Run a replay without snapshots; its result (ReplayError/ReplayMismatch as `simulate`)."""
    last = deque(simulate(blob, snapshots=False, games=games), maxlen=1)  # only the last frame is kept
    assert last and last[0].result is not None
    return last[0].result
