"""The websocket query string is checked at the edge (game.query): typed values or a refusal."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game import protocol
from game.query import MAX_QUERY_BYTES, SECRET_RE, QueryRefused, SocketQuery, parse_socket_query


def refusal(raw: bytes) -> str:
    with pytest.raises(QueryRefused) as refused:
        parse_socket_query(raw)
    return refused.value.close


def test_an_empty_query_is_a_player_with_no_name():
    assert parse_socket_query(b"") == SocketQuery()


def test_a_well_formed_query_becomes_typed_fields():
    raw = urlencode({"role": "spectator", "name": " Ann\x07e ", "v": "2", "token": "a" * 22,
                     "resume": "b-_C" * 6}).encode()
    assert parse_socket_query(raw) == SocketQuery(role="spectator", name="Anne", token="a" * 22,
                                                  resume="b-_C" * 6)


@pytest.mark.parametrize("raw", [b"resume=%C3%A9", b"token=%C3%A9", b"resume=abc", b"resume=" + b"a" * 65,
                                 b"token=has%20space%20inside", b"resume=%FF%FF%FF%FF%FF%FF%FF%FF",
                                 "name=é".encode(), b"role=host", b"role=", b"name=%ff",
                                 b"a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9", b"name=" + b"x" * MAX_QUERY_BYTES])
def test_hostile_queries_are_refused_as_bad_requests(raw):
    assert refusal(raw) == "bad_request"


def test_another_protocol_version_is_refused_as_bad_version():
    assert refusal(b"v=1") == "bad_version"  # a client of protocol 1


def test_an_empty_token_is_no_token_and_a_long_name_is_cut():
    query = parse_socket_query(b"token=&resume=&name=" + quote("\u0928\u092e" * 40).encode())
    assert query.token is None and query.resume is None and len(query.name) == protocol.MAX_NAME_CHARS


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
       | st.dictionaries(st.sampled_from(["v", "role", "name", "token", "resume", "x"]),
                         st.text(max_size=80), max_size=6).map(lambda d: urlencode(d).encode()))
def test_any_query_gives_typed_fields_or_a_documented_refusal(raw):
    try:
        query = parse_socket_query(raw)
    except QueryRefused as exc:
        assert exc.close in protocol.CLOSE
        return
    assert query.role in protocol.ROLES
    assert isinstance(query.name, str) and len(query.name) <= protocol.MAX_NAME_CHARS
    assert query.name == protocol.clean_text(query.name)
    for secret in (query.token, query.resume):
        assert secret is None or (secret.isascii() and SECRET_RE.fullmatch(secret))
