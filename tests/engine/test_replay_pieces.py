"""The replay recorder compresses its packed bytes in pieces, each with a compressor of its own
(game/engine/replay.py, `PIECE_BYTES`): the pieces make one zlib stream, which inflates to
exactly the packed bytes one compressor would have been given."""

from __future__ import annotations

import random
import zlib

import pytest

from game.engine import replay
from game.engine.replay import ReplayRecorder, decode
from game.rules.base import PlayerInfo, Result
from game.rules.pong import Pong

PLAYERS = [PlayerInfo(1, "a"), PlayerInfo(2, "b")]
RESULT = Result(scores={1: 1, 2: 0}, ranking=[1, 2], winner=1, reason="score_limit")


def record(ticks: int) -> tuple[bytes, ReplayRecorder]:
    rng = random.Random(5)
    rec = ReplayRecorder()
    rec.start(game=Pong, seed=7, settings={}, players=PLAYERS, tick_rate=20)
    for tick in range(ticks):
        rec.inputs(tick, [(1, rng.choice((-1, 0, 1))), (2, rng.random())])  # floats: little repeats
    blob = rec.encode(ticks=ticks, result=RESULT)
    assert blob is not None
    return blob, rec


def test_a_blob_of_many_pieces_is_one_zlib_stream_of_the_same_packed_bytes(monkeypatch):
    monkeypatch.setattr(replay, "PIECE_BYTES", 2048)
    blob, _ = record(3000)
    assert len(zlib.decompress(blob)) // replay.PIECE_BYTES >= 10
    monkeypatch.setattr(replay, "PIECE_BYTES", 10**9)  # one piece: what one compressor makes
    whole, _ = record(3000)
    assert zlib.decompress(blob) == zlib.decompress(whole)  # (zlib checks the checksum too)
    assert decode(blob) == decode(whole) and len(decode(blob).log) == 6000
    assert len(blob) <= len(whole) * 1.1 + 64  # the pieces cost little compression


@pytest.mark.parametrize("ticks", [0, 1, 200])
def test_short_matches_and_one_piece_decode_as_before(ticks):
    blob, rec = record(ticks)
    assert len(decode(blob).log) == 2 * ticks and not rec.chunks and not rec.packed


def test_between_pieces_the_recorder_holds_packed_bytes_only(monkeypatch):
    monkeypatch.setattr(replay, "PIECE_BYTES", 2048)
    rec = ReplayRecorder()
    rec.start(game=Pong, seed=7, settings={}, players=PLAYERS, tick_rate=20)
    for tick in range(2000):
        rec.inputs(tick, [(1, 1), (2, 0.5 + tick)])
        assert len(rec.packed) < replay.PIECE_BYTES and len(rec.pending) < replay.BATCH
        assert len(rec.tail) <= replay.WINDOW
    assert len(rec.chunks) > 2 and all(type(c) is bytes for c in rec.chunks)
