"""A tick's inputs logged in one call (`ReplayRecorder.inputs`) make the same blob and the same
tap entries as the same inputs logged one by one (`ReplayRecorder.input`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from game.engine.replay import ReplayRecorder
from game.rules.base import PlayerInfo, Result
from game.rules.pong import Pong

PLAYERS = [PlayerInfo(1, "a"), PlayerInfo(2, "b")]
RESULT = Result(scores={1: 1, 2: 0}, ranking=[1, 2], winner=1, reason="score_limit")

ticks = st.lists(st.tuples(st.integers(0, 3),  # ticks since the last batch
                           st.lists(st.tuples(st.sampled_from([1, 2]), st.integers(-1, 1)), max_size=70),
                           st.booleans()),  # a removal after the batch
                 max_size=12)


def record(plan, batched: bool, limit: int | None = None) -> tuple:
    rec = ReplayRecorder()
    rec.start(game=Pong, seed=7, settings={}, players=PLAYERS, tick_rate=20)
    rec.tap = []
    tick = 0
    for gap, applied, removal in plan:
        tick += gap
        if batched:
            if applied:
                rec.inputs(tick, applied)
        else:
            for member_id, cleaned in applied:
                rec.input(tick, member_id, cleaned)
        if removal:
            rec.removed(tick, 2)
    return rec.encode(ticks=tick, result=RESULT), rec.tap, rec.recording


@given(plan=ticks)
def test_inputs_in_one_call_record_what_one_by_one_does(plan):
    assert record(plan, batched=True) == record(plan, batched=False)


@given(plan=ticks, writes=st.integers(2, 7))  # (the first write is the header, in start)
def test_a_recorder_giving_up_in_a_batch_stops_as_one_by_one_does(plan, writes):
    """(As when the blob outgrows MAX_BLOB_BYTES: `_write` stops the recording.)"""
    original = ReplayRecorder._write
    count = {"n": 0}

    def write(self, raw):
        original(self, raw)
        count["n"] += 1
        if count["n"] == writes:
            self._give_up()

    ReplayRecorder._write = write
    try:
        batched = record(plan, batched=True)
        count["n"] = 0
        assert batched == record(plan, batched=False)
    finally:
        ReplayRecorder._write = original


def test_the_tap_gets_every_entry_after_the_replay_gives_up():
    """A cluster's input log needs the whole match, also once its replay outgrew its limit."""
    rec = ReplayRecorder()
    rec.start(game=Pong, seed=7, settings={}, players=PLAYERS, tick_rate=20)
    rec.tap = []
    rec.inputs(1, [(1, 0), (2, 1)])
    rec._give_up()
    rec.inputs(2, [(2, -1)])
    rec.input(3, 1, 1)
    rec.removed(4, 2)
    assert not rec.recording
    assert rec.tap == [(1, 1, 0), (1, 2, 1), (2, 2, -1), (3, 1, 1), (4, 2)]
