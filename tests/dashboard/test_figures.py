"""The staff dashboard's figures, without a socket: rates made from counters that only grow
(game.dashboard.figures.Sampler) and the other processes' figures added in (feed.merge)."""

from __future__ import annotations

from game.dashboard import figures as figures_module
from game.dashboard.feed import merge
from game.dashboard.figures import Sampler
from game.engine.outbox import Totals
from tests.engine.helpers import make_loop
from tests.engine.test_lifecycle import join


def sent(conn, frames: int, size: int) -> None:
    """What the connection's outbox has written so far (its counters only grow)."""
    conn.sent_frames, conn.sent_bytes = frames, size


async def test_rates_are_per_second_since_the_previous_sample_and_zero_at_the_first(monkeypatch):
    totals = Totals()  # the process's outbox totals, as the sampler reads them
    monkeypatch.setattr(figures_module, "TOTALS", totals)
    loop, _clock, _hooks = make_loop()
    _alice, a = await join(loop, "alice", creator=True)
    sent(a, 10, 1_000)
    totals.frames, totals.bytes = 100, 10_000
    sampler = Sampler()

    first = await sampler.sample(loops=[loop], connections=1, saved_matches=0, queues=[], now=10.0)
    assert first["process"]["frames_per_s"] == first["process"]["bytes_per_s"] == 0.0  # no interval yet
    assert first["lobbies"][0]["frames_per_s"] == 0.0
    assert first["process"]["frames_total"] == 100

    sent(a, 30, 3_000)
    _bob, b = await join(loop, "bob")
    sent(b, 4, 400)  # new since the last sample: all it sent, it sent since then
    totals.frames, totals.bytes = 140, 14_000
    second = await sampler.sample(loops=[loop], connections=2, saved_matches=0, queues=[], now=12.0)
    assert second["process"]["frames_per_s"] == 20.0 and second["process"]["bytes_per_s"] == 2_000.0
    (lobby,) = second["lobbies"]
    assert lobby["frames_per_s"] == (20 + 4) / 2 and lobby["bytes_per_s"] == (2_000 + 400) / 2
    assert lobby["players"] == 2 and {m["name"] for m in lobby["members"]} == {"alice", "bob"}


async def test_closed_lobbies_are_not_shown_and_the_phases_are_counted():
    loop, _clock, _hooks = make_loop()
    await join(loop, "alice", creator=True)
    gone, _clock, _hooks = make_loop()
    gone.lobby.close("test")
    figures = await Sampler().sample(loops=[loop, gone], connections=1, saved_matches=3,
                                     queues=[{"game": "pong", "waiting": 2}], now=1.0)
    process = figures["process"]
    assert [lobby["code"] for lobby in figures["lobbies"]] == [loop.lobby.code]
    assert process["lobbies"] == 1 and process["phases"]["waiting"] == 1 and process["phases"]["playing"] == 0
    assert process["queued"] == 2 and process["matches_saved"] == 3 and process["players"] == 1


def test_other_processes_figures_are_added_and_a_lobby_they_share_is_listed_once():
    def figures(pid: int, codes: list[str], players: int, p99: float) -> dict:
        return {"process": {"pid": pid, "lobbies": len(codes), "players": players, "frames_per_s": 10.0,
                            "phases": {"waiting": len(codes), "playing": 0}, "tick_p99_ms_max": p99},
                "lobbies": [{"code": code} for code in codes]}

    mine = figures(1, ["AAAAAA"], players=2, p99=3.0)
    merge(mine, [figures(2, ["AAAAAA", "BBBBBB"], players=5, p99=7.5), figures(3, [], players=0, p99=1.0)])
    process = mine["process"]
    assert process["processes"] == 3
    assert process["players"] == 7 and process["lobbies"] == 3 and process["frames_per_s"] == 30.0
    assert process["phases"] == {"waiting": 3, "playing": 0} and process["tick_p99_ms_max"] == 7.5
    # A lobby seen by two processes (its owner and one relaying it) is listed once, as the first saw it.
    assert mine["lobbies"] == [{"code": "AAAAAA"}, {"code": "BBBBBB", "pid": 2}]
