"""The protocol module: every client kind round-trips, anything else is refused with a code."""

from __future__ import annotations

import math

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from game import protocol
from game.protocol import ProtocolError, decode_client, encode_client

VALID = [
    ("input", {"input_seq": 3, "d": {"mx": 1}}), ("ping", {"id": 1, "ct": 12.5}), ("chat", {"text": "hi"}),
    ("ready", {"ready": True}), ("start", {}), ("rematch", {}), ("kick", {"target": 2}), ("ban", {"target": 2}),
    ("lock", {}), ("unlock", {}), ("transfer", {"target": 2}), ("settings", {"settings": {"name": "x"}}),
    ("close", {}),
]


def test_every_client_kind_is_covered():
    assert sorted(k for k, _ in VALID) == sorted(protocol.CLIENT_KINDS)


@pytest.mark.parametrize("kind, fields", VALID)
def test_valid_frames_decode_to_their_fields(kind, fields):
    assert decode_client(encode_client(kind, **fields)) == (kind, fields)


HOSTILE = [
    (b"", "bad_frame"), (None, "bad_frame"), (b"\xc1", "bad_frame"), (b"\x91" * 4000 + b"\xc0", "bad_frame"),
    (b"\x00" * 4097, "frame_too_large"), (msgpack.packb("text"), "bad_frame"),
    (msgpack.packb({"k": "ping"}), "bad_version"), (msgpack.packb({"v": True, "k": "ping"}), "bad_version"),
    (msgpack.packb({"v": 2, "k": 7}), "unknown_kind"), (msgpack.packb({"v": 2}), "unknown_kind"),
    (msgpack.packb({"v": 2, "k": "input", "input_seq": 2**63, "d": {}}), "bad_field"),
    (msgpack.packb({"v": 2, "k": "input", "input_seq": -1, "d": {}}), "bad_field"),
    (msgpack.packb({"v": 2, "k": "input", "input_seq": True, "d": {}}), "bad_field"),
    (msgpack.packb({"v": 2, "k": "ping", "id": 1, "ct": math.nan}), "bad_field"),
    (msgpack.packb({"v": 2, "k": "ping", "id": 1, "ct": math.inf}), "bad_field"),
    (msgpack.packb({"v": 2, "k": "chat", "text": "x" * 3000}), "bad_field"),
    (msgpack.packb({"v": 2, "k": "chat", "text": "\x00\x01\x02"}), "bad_field"),
    (msgpack.packb({"v": 2, "k": "ready", "ready": 1}), "bad_field"),
    (msgpack.packb({"v": 2, "k": "kick", "target": "1"}), "bad_field"),
    (msgpack.packb({"v": 2, "k": "settings", "settings": {str(i): i for i in range(17)}}), "bad_field"),
    (msgpack.packb({"v": 2, "k": "settings", "settings": {1: 2}}, strict_types=False), "bad_frame"),
]


@pytest.mark.parametrize("data, code", HOSTILE)
def test_hostile_frames_are_refused_with_their_code(data, code):
    with pytest.raises(ProtocolError) as refused:
        decode_client(data)
    assert refused.value.code == code and code in protocol.ERRORS


def test_a_protocol_1_input_is_refused_as_bad_version():
    old = msgpack.packb({"v": 1, "k": "input", "seq": 3, "d": {"mx": 1}})  # what a v1 client sends
    with pytest.raises(ProtocolError) as refused:
        decode_client(old)
    assert refused.value.code == "bad_version" and protocol.PROTOCOL_VERSION == 2


def test_an_input_without_input_seq_is_refused_naming_the_field():
    with pytest.raises(ProtocolError) as refused:
        decode_client(encode_client("input", d={"mx": 1}))
    assert (refused.value.code, refused.value.ref) == ("bad_field", "input_seq")


def test_chat_text_is_stripped_of_control_characters():
    assert decode_client(encode_client("chat", text=" hi\x07 there\n"))[1] == {"text": "hi there"}


@given(st.binary(max_size=5000))
def test_random_bytes_only_ever_raise_protocol_errors(data):
    try:
        decode_client(data)
    except ProtocolError as exc:
        assert exc.code in protocol.ERRORS


values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.floats(),
                                st.text(max_size=30)),
                      lambda inner: (st.lists(inner, max_size=4)
                                     | st.dictionaries(st.text(max_size=5), inner, max_size=4)),
                      max_leaves=25)


@given(st.sampled_from(sorted(protocol.CLIENT_KINDS)), st.dictionaries(
    st.sampled_from(["input_seq", "d", "id", "ct", "text", "ready", "target", "settings"]), values))
def test_well_formed_frames_with_hostile_values_never_escape(kind, fields):
    try:
        decoded_kind, cleaned = decode_client(encode_client(kind, **fields))
    except ProtocolError as exc:
        assert exc.code in protocol.ERRORS
    else:
        assert decoded_kind == kind


def test_state_frames_keep_integer_times_exact():
    frame = protocol.decode_server(protocol.encode_full(tick=5, time=1_790_000_000_123, snapshot={"g": {}, "e": {}},
                                                         last_processed_input={}))
    assert frame["time"] == 1_790_000_000_123 and frame["v"] == protocol.PROTOCOL_VERSION


def test_every_close_code_is_a_4xxx_code_with_a_name():
    assert all(4000 <= code < 5000 for code in protocol.CLOSE_CODES)
    assert len(protocol.CLOSE) == len(protocol.CLOSE_CODES)
