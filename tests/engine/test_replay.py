"""Replays: matches played through the tick loop are recorded, and running the record again
reproduces every tick and the result; damaged or doctored records are refused cleanly."""

from __future__ import annotations

import random
import zlib

import msgpack
import pytest

from game.engine import replay as replay_module
from game.engine.replay import (
    ReplayError,
    ReplayMismatch,
    ReplayRecorder,
    decode,
    replay_result,
    simulate,
)
from game.rules.arena import Arena, Controls
from game.rules.base import PlayerInfo, Result
from game.rules.pong import Pong

from .helpers import make_loop, request
from .test_lifecycle import DT, join


def payload(game_cls, rng: random.Random) -> dict:
    if game_cls is Pong:
        return {"my": rng.choice((-1, 0, 0.5, 1))}
    return {"mx": rng.uniform(-1, 1), "my": rng.choice((-1, 0, 1)), "aim": rng.uniform(-4, 4),
            "fire": rng.random() < 0.3}


async def seated(game_cls, names, **settings):
    """A lobby of ``game_cls`` with ``names`` seated and a match counting down."""
    loop, _clock, hooks = make_loop(game_cls=game_cls, max_players=game_cls.max_players)
    people = [await join(loop, name, creator=i == 0) for i, name in enumerate(names)]
    host = people[0][0]
    if settings:
        loop.submit_command(host.id, "settings", {"settings": settings})
    for member, _ in people[1:]:
        loop.submit_command(member.id, "ready", {"ready": True})
    loop.submit_command(host.id, "start", {})
    loop.step_tick(DT)
    assert loop.lobby.phase == "countdown", [conn.errors() for _, conn in people]
    return loop, hooks, people


def tick(loop, game_cls, rng, live: dict[int, dict] | None = None) -> None:
    """One tick with an input from every connected player still in the match; ``live``
    collects the game's snapshot after each step, by match tick."""
    for member in list(loop.lobby.members.values()):
        if member.in_match and member.connected:
            loop.submit_input(member, member.last_processed_input + 1, game_cls.parse_input(payload(game_cls, rng)))
    loop.step_tick(DT)
    if live is not None and loop.match is not None:
        live.setdefault(loop.match.ticks, loop.match.game.snapshot())


def until_saved(loop, hooks, game_cls, rng, live=None, *, limit=20_000) -> dict:
    for _ in range(limit):
        if hooks.saved:
            return hooks.saved[-1]
        tick(loop, game_cls, rng, live)
    raise AssertionError("the match did not end")


def end_of(record: dict) -> dict:
    return {r["id"]: (r["score"], r["rank"], r["winner"]) for r in record["results"]}


def replayed_end(result: Result) -> dict:
    return {pid: (result.scores[pid], rank, pid == result.winner) for pid, rank in result.ranks().items()}


async def test_a_pong_match_replays_tick_for_tick_to_its_result():
    rng = random.Random(7)
    loop, hooks, _ = await seated(Pong, ["alice", "bob"], score_limit=2)
    live: dict[int, dict] = {}
    record = until_saved(loop, hooks, Pong, rng, live)
    assert record["status"] == "finished" and isinstance(record["replay"], bytes)
    frames = list(simulate(record["replay"]))
    assert len(frames) == record["ticks"] + 1 and [f.tick for f in frames] == list(range(record["ticks"] + 1))
    assert {k: frames[k].snapshot for k in live} == live  # every tick, exactly
    result = frames[-1].result
    assert result is not None and replayed_end(result) == end_of(record)
    assert result.winner == record["winner"] and result.reason == record["reason"]
    assert all(f.result is None for f in frames[:-1])


async def test_an_arena_match_with_a_drop_a_return_and_a_kick_replays():
    rng = random.Random(11)
    loop, hooks, people = await seated(Arena, ["host", "bob", "carol"], time_limit_s=15)
    (host, _), (bob, bob_conn), (carol, _) = people
    for _ in range(60):
        tick(loop, Arena, rng)
    loop.submit_leave(bob.id, bob_conn)  # bob lets go of his keys, mid-move
    for _ in range(30):
        tick(loop, Arena, rng)
    req, _ = request("bob")
    req.resume = bob.resume_token
    loop.submit_join(req)
    for _ in range(30):
        tick(loop, Arena, rng)
    loop.submit_command(host.id, "kick", {"target": carol.id})
    tick(loop, Arena, rng)
    kicked_at = loop.match.ticks  # evictions happen after the tick's step
    record = until_saved(loop, hooks, Arena, rng)
    assert record["reason"] == "time_up" and record["ticks"] == 15 * 20
    log = decode(record["replay"]).log
    neutral = [e for e in log if len(e) == 3 and e[2] == list(Arena.neutral_input())]
    assert [e[1] for e in neutral] == [bob.id]  # random inputs are never exactly neutral
    assert [e for e in log if len(e) == 2] == [(kicked_at, carol.id)]
    assert replayed_end(replay_result(record["replay"])) == end_of(record)


async def test_a_player_gone_for_good_forfeits_in_the_replay_too():
    rng = random.Random(3)
    loop, hooks, people = await seated(Pong, ["alice", "bob"])
    loop.grace_s = 0.5
    (_, _), (bob, bob_conn) = people
    for _ in range(40):
        tick(loop, Pong, rng)
    loop.submit_leave(bob.id, bob_conn)
    record = until_saved(loop, hooks, Pong, rng)
    assert record["reason"] == "forfeit" and record["winner"] != bob.id
    result = replay_result(record["replay"])
    assert result.reason == "forfeit" and replayed_end(result) == end_of(record)


async def test_an_aborted_match_replays_up_to_where_it_stopped():
    loop, clock, hooks = make_loop(game_cls=Pong, max_players=2)
    loop.start()
    futures = [loop.submit_join(request(name, creator=name == "alice")[0]) for name in ("alice", "bob")]
    await clock.advance(DT)
    alice, bob = (f.result() for f in futures)
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    await clock.advance(0.5)
    for input_seq in range(30):
        loop.submit_input(alice, input_seq, Pong.parse_input({"my": 1}))
        await clock.advance(DT)
    loop.submit_command(alice.id, "close", {})
    await clock.advance(DT * 3)
    assert loop.task.done()
    record = hooks.saved[-1]
    assert record["status"] == "aborted" and record["ticks"] > 30
    frames = list(simulate(record["replay"]))
    assert len(frames) == record["ticks"] + 1
    assert frames[-1].snapshot["e"][f"p{alice.id}"]["y"] > frames[0].snapshot["e"][f"p{alice.id}"]["y"]
    assert replayed_end(frames[-1].result) == end_of(record)


def test_a_recorder_that_never_started_ignores_calls_and_encodes_nothing():
    recorder = ReplayRecorder()
    recorder.input(3, 1, 0.5)
    recorder.removed(4, 1)
    assert recorder.encode(ticks=5, result=Result({}, [], None, "aborted")) is None


def small_match(ticks: int = 50, seed: int = 5) -> bytes:
    """A pong match recorded by hand: two players, inputs on every tick, ``ticks`` steps."""
    players = [PlayerInfo(1, "a"), PlayerInfo(2, "b")]
    game, recorder, rng = Pong(seed=seed, players=players, settings={}), ReplayRecorder(), random.Random(seed)
    recorder.start(game=Pong, seed=seed, settings=game.settings, players=players, tick_rate=20)
    for tick_ in range(ticks):
        for pid in (1, 2):
            cleaned = Pong.parse_input(payload(Pong, rng))
            game.apply_input(pid, cleaned)
            recorder.input(tick_, pid, cleaned)
        game.step(1 / 20)
    blob = recorder.encode(ticks=ticks, result=game.result())
    assert blob is not None and recorder.encode(ticks=ticks, result=game.result()) is None  # once
    return blob


def test_a_recorder_that_outgrows_its_limit_gives_up(monkeypatch, caplog):
    monkeypatch.setattr(replay_module, "MAX_BLOB_BYTES", 200)
    players = [PlayerInfo(1, "a"), PlayerInfo(2, "b")]
    recorder = ReplayRecorder()
    recorder.start(game=Arena, seed=1, settings={}, players=players, tick_rate=20)
    rng = random.Random(1)
    for tick_ in range(200):
        recorder.input(tick_, 1, Arena.parse_input(payload(Arena, rng)))
    assert recorder.encode(ticks=200, result=Result({1: 0, 2: 0}, [1, 2], None, "time_up")) is None
    assert "not recorded" in caplog.text


def test_an_arena_input_comes_back_as_the_same_controls():
    players = [PlayerInfo(1, "a"), PlayerInfo(2, "b")]
    game, recorder = Arena(seed=9, players=players, settings={}), ReplayRecorder()
    recorder.start(game=Arena, seed=9, settings=game.settings, players=players, tick_rate=30)
    cleaned = Arena.parse_input({"mx": 0.1, "my": -1, "aim": 2.5, "fire": True})
    game.apply_input(1, cleaned)
    recorder.input(0, 1, cleaned)
    game.step(1 / 30)
    blob = recorder.encode(ticks=1, result=game.result())
    frames = list(simulate(blob))
    assert frames[-1].snapshot == game.snapshot()
    assert any(e["o"] == 1 for eid, e in frames[-1].snapshot["e"].items() if eid.startswith("b"))  # it fired
    assert isinstance(Controls._make(decode(blob).log[0][2]), Controls)


def rewrite(blob: bytes, change) -> bytes:
    """The blob with its msgpack values passed through ``change`` (a valid zlib stream)."""
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(zlib.decompress(blob))
    values = change(list(unpacker))
    return zlib.compress(b"".join(msgpack.packb(v, use_bin_type=True) for v in values))


@pytest.mark.parametrize("damage", [
    pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
    pytest.param(lambda b: b[:-3], id="missing-checksum"),
    pytest.param(lambda b: b[:20] + bytes([b[20] ^ 0xFF]) + b[21:], id="flipped-byte"),
    pytest.param(lambda b: b + b"junk", id="trailing-bytes"),
    pytest.param(lambda b: b"not a replay at all", id="garbage"),
    pytest.param(lambda b: b"", id="empty"),
    pytest.param(lambda b: rewrite(b, lambda v: v[:-1]), id="no-trailer"),
    pytest.param(lambda b: rewrite(b, lambda v: [{**v[0], "v": 99}, *v[1:]]), id="other-version"),
    pytest.param(lambda b: rewrite(b, lambda v: [{**v[0], "game": "chess"}, *v[1:]]), id="unknown-game"),
    pytest.param(lambda b: rewrite(b, lambda v: [v[0], [0, 9, 1.0], *v[1:]]), id="unknown-player"),
    pytest.param(lambda b: rewrite(b, lambda v: [v[0], [-1, 1, 1.0], *v[1:]]), id="tick-backwards"),
    pytest.param(lambda b: rewrite(b, lambda v: [*v[:-1], [0, 1, "up"], v[-1]]), id="input-the-rules-cannot-take"),
    pytest.param(lambda b: rewrite(b, lambda v: [v[0], [0, 1, 1, 2, 3], *v[1:]]), id="bad-entry"),
    pytest.param(lambda b: rewrite(b, lambda v: [*v[:-1], {**v[-1], "ticks": 10**9}]), id="endless"),
])
def test_a_damaged_replay_is_refused_with_a_replay_error(damage):
    with pytest.raises(ReplayError):
        replay_result(damage(small_match()))


def test_a_doctored_log_or_result_does_not_pass_for_the_recorded_match():
    blob = small_match()
    removed_b = rewrite(blob, lambda v: [v[0], [0, 2], *v[1:]])  # as if b had left at once
    with pytest.raises(ReplayMismatch, match="ends with"):
        replay_result(removed_b)
    b_wins = rewrite(blob, lambda v: [*v[:-1], {**v[-1], "end": {**v[-1]["end"], "winner": 2}}])
    with pytest.raises(ReplayMismatch):
        replay_result(b_wins)
    assert replay_result(blob).reason == "aborted"  # the untouched record: a match cut short


def test_a_replay_of_other_rules_is_refused(monkeypatch):
    blob = small_match()
    monkeypatch.setattr(Pong, "rules_version", 2, raising=False)
    with pytest.raises(ReplayMismatch, match="rules version 0"):
        replay_result(blob)


def test_a_replay_inflating_beyond_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(replay_module, "MAX_DECODED_BYTES", 64)
    with pytest.raises(ReplayError, match="too large"):
        decode(small_match())
