"""A stalled reader never delays its lobby's tick, and costs the others nothing."""

from __future__ import annotations

import asyncio

from game import protocol
from game.engine.lobby import JoinRequest
from game.engine.outbox import Outbox

from .helpers import make_loop


class Peer:
    def __init__(self, stalled: bool = False) -> None:
        self.frames: list[dict] = []
        self.stalled = stalled
        self.forever = asyncio.Event()

    async def send(self, data: bytes) -> None:
        if self.stalled:
            await self.forever.wait()  # a reader that never reads again
        self.frames.append(protocol.decode_server(data))

    async def close(self, code: int) -> None:
        pass


async def test_a_paused_reader_does_not_slow_the_tick_or_the_other_players():
    loop, clock, hooks = make_loop(tick_rate=20)
    loop.start()
    peers, members = [], []
    for name, stalled in [("host", False), ("ok", False), ("stuck", True)]:
        peer = Peer(stalled=stalled)
        future = loop.submit_join(JoinRequest(name=name, role="player", identity=f"g:{name}",
                                              conn=Outbox(peer.send, peer.close)))
        await clock.advance(0.05)
        peers.append(peer)
        members.append(future.result())
    host, ok, stuck = members
    loop.submit_command(ok.id, "ready", {"ready": True})
    loop.submit_command(stuck.id, "ready", {"ready": True})
    await clock.advance(0.05)
    loop.submit_command(host.id, "start", {})
    await clock.advance(0.05)
    ticks_before = loop.tick
    await clock.advance(10.0)
    assert loop.tick - ticks_before == 200  # 10 s at 20 Hz, on time
    assert loop.stats.overruns == 0
    states = [f for f in peers[1].frames if f["k"] in ("full", "delta")]
    ticks = [f["tick"] for f in states]
    assert ticks == list(range(ticks[0], ticks[0] + len(ticks)))  # not one frame missed
    assert len(states) >= 195
    stuck_box = stuck.conn
    assert stuck_box.dropped_states > 0 and stuck_box.pending_frames <= 1  # no backlog builds up
    assert len(peers[2].frames) == 0
    loop.task.cancel()
