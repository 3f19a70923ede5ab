"""The wire protocol: every frame between server and client, both ways.

Frames are binary websocket messages holding one msgpack map. Every frame carries the
protocol version under ``"v"`` and its kind under ``"k"``. This module is the single
place that encodes and decodes them; ``docs/protocol.md`` is the human copy and
``frontend/src/protocol.js`` mirrors the tables (a test checks they agree).

Decoding never trusts the client: every failure raises `ProtocolError` carrying one of
the documented error codes, which the consumer turns into an error frame.
"""

from __future__ import annotations

import math
from typing import Any

import msgpack

PROTOCOL_VERSION = 2
MAX_FRAME_BYTES = 4096
MAX_CHAT_CHARS = 200
MAX_NAME_CHARS = 24

# Error codes carried by "error" frames: code -> meaning.
ERRORS: dict[str, str] = {
    "bad_frame": "the frame is not a binary msgpack map",
    "bad_version": "the frame's protocol version is not supported",
    "unknown_kind": "the frame's kind is not a client message kind",
    "bad_field": "a field is missing, of the wrong type or out of range",
    "frame_too_large": "the frame is larger than MAX_FRAME_BYTES",
    "forbidden": "the sender's role may not do this",
    "invalid_state": "not possible in the lobby's current phase",
    "not_found": "the target member does not exist",
    "rate_limited": "too many frames; slow down",
    "overloaded": "the lobby's queue is full; the frame was dropped",
    "not_in_match": "the sender holds a seat but is not in the running match",
    "queue_full": "the matchmaking queue is full; try again later",
    "server_error": "the server failed to carry out the frame; the lobby goes on",
    "draining": "this server process is restarting and starts no match; start again in a moment",
    "move_refused": "the game's rules refused the move; msg names why (one of the game's refusals)",
}

# Websocket close codes the server uses: code -> (name, meaning).
CLOSE_CODES: dict[int, tuple[str, str]] = {
    4000: ("bad_version", "the requested protocol version is not supported"),
    4001: ("bad_request", "the connection's query parameters are invalid"),
    4003: ("staff_only", "only staff users may open the staff dashboard"),
    4004: ("lobby_not_found", "no open lobby has that code"),
    4005: ("kicked", "the host or staff removed you from the lobby"),
    4006: ("banned", "you are banned from this lobby"),
    4008: ("too_slow", "your connection fell too far behind the lobby"),
    4009: ("lobby_full", "every player seat is taken"),
    4010: ("lobby_locked", "the host locked the lobby"),
    4011: ("lobby_closed", "the lobby was closed"),
    4012: ("replaced", "the same seat was resumed on another connection"),
    4013: ("moved", "the lobby is moving to another server process; reconnect and resume the seat"),
    4014: ("unknown_game", "no game has that name (matchmaking)"),
    4015: ("unavailable", "the servers' shared store is briefly unreachable or being rebuilt; reconnect shortly"),
    4029: ("too_many_errors", "too many bad or refused frames in a short time"),
    4030: ("too_many_connections", "too many connections from your network address"),
    4500: ("server_error", "the server failed; try again"),
}
CLOSE = {name: code for code, (name, _meaning) in CLOSE_CODES.items()}

ROLES = ("player", "spectator")
PHASES = ("waiting", "countdown", "playing", "finished", "closed")

# Server -> client kinds and their fields (besides "v" and "k").
SERVER_KINDS: dict[str, tuple[str, ...]] = {
    "welcome": ("you", "role", "host", "staff", "lobby", "tick_rate", "broadcast_rate", "time", "resume",
                "resumed"),
    "lobby": ("lobby", "time"),
    "full": ("tick", "time", "s", "last_processed_input", "ev"),
    "delta": ("tick", "time", "base", "s", "last_processed_input", "ev"),
    "event": ("tick", "time", "e"),
    "error": ("code", "msg", "ref"),
    "pong": ("id", "ct", "time"),
}


class ProtocolError(Exception):
    """A client frame that cannot be accepted; ``code`` is a key of ERRORS."""

    def __init__(self, code: str, msg: str, ref: Any = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.ref = ref


def _int(msg: dict, key: str, lo: int, hi: int) -> int:
    value = msg.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ProtocolError("bad_field", f"{key} must be an integer in [{lo}, {hi}]", key)
    return value


def _number(msg: dict, key: str) -> float:
    value = msg.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError("bad_field", f"{key} must be a number", key)
    value = float(value)
    if not math.isfinite(value):
        raise ProtocolError("bad_field", f"{key} must be finite", key)
    return value


def _bool(msg: dict, key: str) -> bool:
    value = msg.get(key)
    if not isinstance(value, bool):
        raise ProtocolError("bad_field", f"{key} must be a boolean", key)
    return value


def _text(msg: dict, key: str, max_chars: int) -> str:
    value = msg.get(key)
    if not isinstance(value, str):
        raise ProtocolError("bad_field", f"{key} must be a string", key)
    value = clean_text(value)
    if not value or len(value) > max_chars:
        raise ProtocolError("bad_field", f"{key} must hold 1 to {max_chars} characters", key)
    return value


def clean_text(value: str) -> str:
    """Strip control characters and surrounding blanks (rendering stays the client's job)."""
    return "".join(ch for ch in value if ch.isprintable()).strip()


def _target(msg: dict) -> dict:
    return {"target": _int(msg, "target", 1, 2**31 - 1)}


def _settings(msg: dict) -> dict:
    value = msg.get("settings")
    if not isinstance(value, dict) or len(value) > 16:
        raise ProtocolError("bad_field", "settings must be a map of at most 16 entries", "settings")
    if not all(isinstance(key, str) for key in value):
        raise ProtocolError("bad_field", "settings keys must be strings", "settings")
    return {"settings": value}


def _no_fields(msg: dict) -> dict:
    return {}


# Client -> server kinds: kind -> (validator returning the cleaned fields, who may send it).
# "player": a seated player; "any": any member; "host": the lobby's host or staff.
CLIENT_KINDS: dict[str, tuple[Any, str]] = {
    "input": (lambda m: {"input_seq": _int(m, "input_seq", 0, 2**31 - 1), "d": m.get("d")}, "player"),
    "ping": (lambda m: {"id": _int(m, "id", 0, 2**31 - 1), "ct": _number(m, "ct")}, "any"),
    "chat": (lambda m: {"text": _text(m, "text", MAX_CHAT_CHARS)}, "any"),
    "ready": (lambda m: {"ready": _bool(m, "ready")}, "player"),
    "start": (_no_fields, "host"),
    "rematch": (_no_fields, "host"),
    "kick": (_target, "host"),
    "ban": (_target, "host"),
    "lock": (_no_fields, "host"),
    "unlock": (_no_fields, "host"),
    "transfer": (_target, "host"),
    "settings": (_settings, "host"),
    "close": (_no_fields, "host"),
}
_INPUT = CLIENT_KINDS["input"]


def _lobby_code(msg: dict) -> str:
    value = msg.get("code")
    if not isinstance(value, str) or not 4 <= len(value) <= 12 or not value.isascii() or not value.isalnum():
        raise ProtocolError("bad_field", "code must be a lobby code (4 to 12 letters and digits)", "code")
    return value.upper()


# Matchmaking (/ws/queue/<game>/) and the staff dashboard (/ws/staff/) use the same framing
# with kinds of their own (docs/protocol.md: "Matchmaking", "Staff dashboard").
QUEUE_SERVER_KINDS: dict[str, tuple[str, ...]] = {
    "queue": ("game", "queued", "position", "waiting", "wait_s", "window", "rating", "time"),
    "matched": ("game", "code", "token", "players", "time"),
    "error": SERVER_KINDS["error"],
    "pong": SERVER_KINDS["pong"],
}
QUEUE_CLIENT_KINDS: dict[str, tuple[Any, str]] = {
    "join": (_no_fields, "any"),
    "leave": (_no_fields, "any"),
    "ping": CLIENT_KINDS["ping"],
}
STAFF_SERVER_KINDS: dict[str, tuple[str, ...]] = {
    "dashboard": ("time", "process", "lobbies", "queues"),
    "done": ("ref", "code", "target"),
    "error": SERVER_KINDS["error"],
    "pong": SERVER_KINDS["pong"],
}
STAFF_CLIENT_KINDS: dict[str, tuple[Any, str]] = {
    "close_lobby": (lambda m: {"code": _lobby_code(m)}, "staff"),
    "kick": (lambda m: {"code": _lobby_code(m), **_target(m)}, "staff"),
    "ping": CLIENT_KINDS["ping"],
}


def decode_client(data: bytes | None, kinds: dict[str, tuple[Any, str]] = CLIENT_KINDS) -> tuple[str, dict]:
    """Decode one client frame into ``(kind, cleaned fields)`` or raise ProtocolError;
    ``kinds``: the socket's table of client kinds (the lobby's unless told)."""
    if data is None:
        raise ProtocolError("bad_frame", "frames must be binary")
    if len(data) > MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")
    try:
        msg = msgpack.unpackb(data, raw=False, strict_map_key=True, use_list=True)
    except Exception as exc:  # msgpack raises several types for corrupt input
        raise ProtocolError("bad_frame", "the frame is not valid msgpack") from exc
    if type(msg) is not dict:  # (msgpack makes exactly dicts)
        raise ProtocolError("bad_frame", "a frame must be a msgpack map")
    version = msg.get("v")
    if version != PROTOCOL_VERSION or version is True:  # True == 1, yet is no version
        raise ProtocolError("bad_version", f"protocol version must be {PROTOCOL_VERSION}")
    kind = msg.get("k")
    entry = kinds.get(kind) if type(kind) is str else None
    if entry is None:
        raise ProtocolError("unknown_kind", "unknown message kind", kind if isinstance(kind, str) else None)
    if entry is _INPUT:  # the most frequent frame by far: its usual case checked here, without two calls
        input_seq = msg.get("input_seq")
        if type(input_seq) is int and 0 <= input_seq <= 2**31 - 1:  # (a bool's type is bool)
            return kind, {"input_seq": input_seq, "d": msg.get("d")}
    return kind, entry[0](msg)


def required_role(kind: str) -> str:
    return CLIENT_KINDS[kind][1]


# One packer each, made once: `msgpack.packb` makes a Packer (and its 256 kB buffer) per call,
# and a state frame is packed for every lobby every tick. A packer's `pack` runs in C from
# start to end for these payloads (plain dicts, lists, strings and numbers: no Python code, so
# no other thread can come in half-way), and empties its buffer after each call, failed or not.
_PACKER = msgpack.Packer(use_bin_type=True)
_STATE_PACKER = msgpack.Packer(use_bin_type=True, use_single_float=True)


def _pack(payload: dict) -> bytes:
    payload["v"] = PROTOCOL_VERSION
    return _PACKER.pack(payload)


def _pack_state(payload: dict) -> bytes:
    """State frames use 32-bit floats: half the bytes for coordinates, which the rules round
    to 0.1 anyway. Times stay integers (milliseconds), which 32-bit floats could not hold."""
    payload["v"] = PROTOCOL_VERSION
    return _STATE_PACKER.pack(payload)


def encode_welcome(*, you: int, role: str, host: bool, staff: bool, lobby: dict, tick_rate: int,
                   broadcast_rate: float, time: int, resume: str, resumed: bool) -> bytes:
    return _pack({"k": "welcome", "you": you, "role": role, "host": host, "staff": staff, "lobby": lobby,
                  "tick_rate": tick_rate, "broadcast_rate": broadcast_rate, "time": time, "resume": resume,
                  "resumed": resumed})


def encode_lobby(*, lobby: dict, time: int) -> bytes:
    return _pack({"k": "lobby", "lobby": lobby, "time": time})


def encode_full(*, tick: int, time: int, snapshot: dict, last_processed_input: dict[int, int],
                ev: list | None = None) -> bytes:
    frame = {"k": "full", "tick": tick, "time": time, "s": snapshot, "last_processed_input": last_processed_input}
    if ev:
        frame["ev"] = ev
    return _pack_state(frame)


def encode_delta(*, tick: int, time: int, base: int, delta: dict, last_processed_input: dict[int, int],
                 ev: list | None = None) -> bytes:
    frame = {"k": "delta", "tick": tick, "time": time, "base": base, "s": delta,
             "last_processed_input": last_processed_input}
    if ev:
        frame["ev"] = ev
    return _pack_state(frame)


def encode_events(*, tick: int, time: int, events: list[dict]) -> bytes:
    return _pack({"k": "event", "tick": tick, "time": time, "e": events})


def encode_error(*, code: str, msg: str, ref: Any = None) -> bytes:
    return _pack({"k": "error", "code": code, "msg": msg, "ref": ref})


def encode_pong(*, id: int, ct: float, time: int) -> bytes:
    return _pack({"k": "pong", "id": id, "ct": ct, "time": time})


def encode_queue(*, game: str, queued: bool, position: int, waiting: int, wait_s: float, window: int,
                 rating: int | None, time: int) -> bytes:
    return _pack({"k": "queue", "game": game, "queued": queued, "position": position, "waiting": waiting,
                  "wait_s": wait_s, "window": window, "rating": rating, "time": time})


def encode_matched(*, game: str, code: str, token: str, players: list[dict], time: int) -> bytes:
    return _pack({"k": "matched", "game": game, "code": code, "token": token, "players": players,
                  "time": time})


def encode_dashboard(*, time: int, process: dict, lobbies: list[dict], queues: list[dict]) -> bytes:
    return _pack({"k": "dashboard", "time": time, "process": process, "lobbies": lobbies, "queues": queues})


def encode_done(*, ref: str, code: str, target: int | None = None) -> bytes:
    return _pack({"k": "done", "ref": ref, "code": code, "target": target})


def decode_server(data: bytes) -> dict:
    """Decode a server frame (for tests, bots and the load tester)."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def encode_client(kind: str, **fields: Any) -> bytes:
    """Encode a client frame (for tests, bots and the load tester)."""
    return msgpack.packb({"v": PROTOCOL_VERSION, "k": kind, **fields}, use_bin_type=True)
