"""The lobby consumer's short way for a player's input (`LobbyConsumer.on_bytes`) ends exactly
where the general way (`FramedConsumer.on_bytes`: decode, limit, dispatch to ``on_input``)
does, for any frame: the same inputs queued, the same error frames, the same closes."""

from __future__ import annotations

import math

import msgpack
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from game import protocol
from game.consumers import LobbyConsumer
from game.engine.outbox import Outbox
from game.limits import ErrorBudget, TokenBucket, buckets_for
from game.rules import GAMES
from game.sockets import FramedConsumer


class Member:
    def __init__(self, role: str) -> None:
        self.id, self.role, self.in_match, self.conn = 1, role, True, None


class Loop:
    """The lobby's queues as the consumer sees them: it records what is queued."""

    game_cls = GAMES["arena"]
    tick_rate_hz = 20

    def __init__(self, refuse: str | None) -> None:
        self.queued: list = []
        self.refusal = refuse

    def submit_input(self, member, input_seq, cleaned, raw=None):
        if self.refusal:
            return self.refusal
        self.queued.append((member.id, input_seq, cleaned, raw))
        return None

    def submit_command(self, member_id, kind, fields):
        self.queued.append((member_id, kind, fields))
        return True

    def is_admin(self, member):
        return False


async def never(*_args):
    raise AssertionError("send_now takes every frame")


def consumer(role: str, refuse: str | None, tokens: float, refused: bool, own_seat: bool):
    c = LobbyConsumer()
    sent: list[bytes] = []
    closed: list[int] = []

    def send_now(data: bytes) -> bool:
        sent.append(data)
        return True

    async def close(code: int) -> None:
        closed.append(code)

    c.outbox = Outbox(never, close, send_now=send_now)
    c.budget = ErrorBudget(settings.GAME["ERROR_BUDGET"], settings.GAME["ERROR_WINDOW_S"])
    c.buckets = buckets_for(20, settings.GAME["RATE_LIMITS"])
    c.buckets["input"] = TokenBucket(rate=0.0, burst=10.0, tokens=tokens)
    c.member = Member(role)
    c.member.conn = c.outbox if own_seat else object()
    c.lobby_loop = Loop(refuse)
    c.refused = refused
    return c, sent, closed


def outcome(c, sent, closed):
    frames = [{k: v for k, v in protocol.decode_server(f).items() if k != "time"} for f in sent]  # (a pong's clock)
    return (c.lobby_loop.queued, frames, closed, c.refused,
            c.buckets["input"].tokens >= 1.0)


numbers = st.one_of(st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none())
payloads = st.one_of(
    st.fixed_dictionaries({}, optional={"mx": numbers, "my": numbers, "aim": numbers,
                                        "fire": st.one_of(st.booleans(), st.integers(0, 1))}),
    st.none(), st.integers(-2**40, 2**40), st.text(max_size=3))
messages = st.fixed_dictionaries(
    {}, optional={"v": st.sampled_from([2, 2.0, 1, True, "2"]),
                  "k": st.sampled_from(["input", "ping", "chat", "nope", 7]),
                  "input_seq": st.one_of(st.integers(-2, 2**31 + 1), st.booleans(), st.floats(0, 5)),
                  "d": payloads, "id": st.integers(0, 9), "ct": st.floats(0, 9), "text": st.text(max_size=4)})
frames = st.one_of(messages.map(lambda m: msgpack.packb(m, use_bin_type=True)),
                   st.binary(max_size=12), st.none(), st.just(b"\x00" * 4097),
                   st.just(msgpack.packb([1, 2])))


@given(frames=st.lists(frames, min_size=1, max_size=6), role=st.sampled_from(["player", "spectator"]),
       refuse=st.sampled_from([None, "overloaded", "not_in_match"]), tokens=st.sampled_from([0.0, 2.0, 10.0]),
       refused=st.booleans(), own_seat=st.booleans())
@hsettings(max_examples=300, deadline=None)
def test_the_short_way_of_an_input_ends_where_the_general_way_does(frames, role, refuse, tokens, refused, own_seat):
    fast = consumer(role, refuse, tokens, refused, own_seat)
    slow = consumer(role, refuse, tokens, refused, own_seat)
    for data in frames:
        LobbyConsumer.on_bytes(fast[0], data)
        FramedConsumer.on_bytes(slow[0], data)
    assert outcome(*fast) == outcome(*slow)


def test_a_plain_input_is_queued_parsed_on_the_short_way(monkeypatch):
    def general(*_args):
        raise AssertionError("the general way was taken")

    monkeypatch.setattr(FramedConsumer, "on_bytes", general)
    c, sent, _closed = consumer("player", None, 10.0, False, True)
    c.on_bytes(protocol.encode_client("input", input_seq=4, d={"mx": 1, "my": 0, "aim": math.pi / 2, "fire": True}))
    assert sent == []
    [(member_id, seq, cleaned, raw)] = c.lobby_loop.queued
    assert (member_id, seq, raw) == (1, 4, {"mx": 1, "my": 0, "aim": math.pi / 2, "fire": True})
    assert cleaned == GAMES["arena"].parse_input(raw)
