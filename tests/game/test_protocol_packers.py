"""Frames are packed by one packer per kind, made once (game.protocol): the same bytes as a
fresh `msgpack.packb` each time, also after a payload that could not be packed."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from game import protocol

values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64 - 1), st.floats(width=32), st.text(max_size=8),
              st.binary(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=20)


@given(snapshot=st.dictionaries(st.text(max_size=4), values, max_size=5), tick=st.integers(0, 2**31),
       time=st.integers(0, 2**45), lpi=st.dictionaries(st.integers(1, 9), st.integers(-1, 2**31), max_size=4))
def test_state_and_other_frames_pack_as_packb_would(snapshot, tick, time, lpi):
    frame = protocol.encode_delta(tick=tick, time=time, base=tick, delta=snapshot, last_processed_input=lpi)
    expected = {"k": "delta", "tick": tick, "time": time, "base": tick, "s": snapshot, "last_processed_input": lpi,
                "v": protocol.PROTOCOL_VERSION}
    assert frame == msgpack.packb(expected, use_bin_type=True, use_single_float=True)
    events = protocol.encode_events(tick=tick, time=time, events=[snapshot])
    assert events == msgpack.packb({"k": "event", "tick": tick, "time": time, "e": [snapshot],
                                    "v": protocol.PROTOCOL_VERSION}, use_bin_type=True)


def test_a_payload_that_cannot_be_packed_leaves_nothing_behind():
    with pytest.raises(TypeError):
        protocol.encode_full(tick=1, time=2, snapshot={"e": {"x": object()}}, last_processed_input={})
    with pytest.raises(TypeError):
        protocol.encode_events(tick=1, time=2, events=[object()])
    assert protocol.encode_full(tick=1, time=2, snapshot={}, last_processed_input={}) == msgpack.packb(
        {"k": "full", "tick": 1, "time": 2, "s": {}, "last_processed_input": {}, "v": protocol.PROTOCOL_VERSION},
        use_bin_type=True, use_single_float=True)
    assert protocol.encode_error(code="x", msg="y") == msgpack.packb(
        {"k": "error", "code": "x", "msg": "y", "ref": None, "v": protocol.PROTOCOL_VERSION}, use_bin_type=True)
