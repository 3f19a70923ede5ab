"""Hypothesis feeds random bytes, random msgpack and hostile well-formed frames to the
consumer: nothing escapes it, every connection stays up, and the lobby keeps ticking."""

from __future__ import annotations

import asyncio

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game import protocol
from game.engine.lobby import LobbyConfig
from game.rules import get_game
from game.runtime import get_runtime
from tests.waits import ready_frame, until
from tests.wsclient import Client

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=50),
                    st.binary(max_size=50))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=30)
hostile_frames = st.fixed_dictionaries(
    {"v": st.sampled_from([1, 1, 1, 0, 2, "1", None, True]),
     "k": st.sampled_from([*sorted(protocol.CLIENT_KINDS), "", "nope", "welcome"])},
    optional={"input_seq": values, "d": st.one_of(values, st.fixed_dictionaries(
        {}, optional={"mx": values, "my": values, "aim": values, "fire": values})),
              "id": values, "ct": values, "text": st.text(max_size=400), "ready": values,
              "target": values, "settings": values})
frames = st.one_of(
    st.binary(max_size=6000),
    values.map(lambda v: msgpack.packb(v, use_bin_type=True)),
    hostile_frames.map(lambda v: msgpack.packb(v, use_bin_type=True)),
    st.text(max_size=100),
)


class Harness:
    """One lobby with a host, a fuzzing player and a fuzzing spectator, in one event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def setup(self) -> None:
        self.runtime = get_runtime()
        config = LobbyConfig(code=self.runtime.registry.new_code(), name="fuzz", game_cls=get_game("arena"),
                             max_players=8, tick_rate_hz=20, host_token="host-token")
        self.lobby_loop = self.runtime.registry.create(config)
        code = config.code
        self.host = await self._join(code, "role=player&name=host&token=host-token")
        self.player = await self._join(code, "role=player&name=fuzzer")
        self.spectator = await self._join(code, "role=spectator&name=watcher")
        await self.player.send("ready", ready=True)
        await self.host.until(ready_frame())
        await self.host.send("start")
        await self.host.event("match_start")

    async def teardown(self) -> None:
        for client in (self.host, self.player, self.spectator):
            await client.disconnect()
        await self.runtime.shutdown()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _join(self, code: str, query: str) -> Client:
        client = await Client(code, query).connect()
        await client.until(lambda f: f["k"] == "welcome")
        return client

    async def feed(self, data) -> None:
        for client in (self.player, self.spectator):
            if isinstance(data, str):
                await client.send_raw(text=data)
            else:
                await client.send_raw(data)
        await asyncio.sleep(0)
        for client in (self.host, self.player, self.spectator):
            client.drain()
            client.frames.clear()


@pytest.fixture(scope="module")
def harness(django_db_setup, django_db_blocker):
    from django.conf import settings as django_settings
    original = django_settings.GAME
    django_settings.GAME = {**original, "ERROR_BUDGET": 10**9}  # keep the fuzzers connected
    h = Harness()
    with django_db_blocker.unblock():
        h.run(h.setup())
        yield h
        h.run(h.teardown())
    django_settings.GAME = original
    h.loop.close()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=frames)
def test_random_frames_never_escape_the_consumer(harness, data):
    harness.run(harness.feed(data))
    for client in (harness.host, harness.player, harness.spectator):
        assert not client.comm.future.done(), client.comm.future.exception()
        assert client.close_code is None


def test_lobby_kept_ticking_through_the_fuzzing(harness):
    before = harness.lobby_loop.tick
    harness.run(until(lambda: harness.lobby_loop.tick > before + 3, "the lobby ticks on"))
    assert not harness.lobby_loop.task.done()
    assert harness.lobby_loop.lobby.phase in ("playing", "finished")
    # Memory stays bounded: queues never exceed their limits, outboxes hold no backlog.
    loop = harness.lobby_loop
    assert len(loop.commands) <= loop.max_commands
    assert len(loop.inputs) <= loop.max_pending_inputs * len(loop.lobby.members)
    assert all(m.conn.pending_frames <= 2 for m in loop.lobby.members.values())
