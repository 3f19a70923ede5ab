"""/metrics reflects a running lobby and refuses anyone who is not staff."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import AsyncClient

from tests.game.test_consumers import join, make_lobby, start_match

pytestmark = pytest.mark.django_db(transaction=True)


async def test_metrics_refuse_guests_and_plain_users():
    client = AsyncClient()
    assert (await client.get("/metrics")).status_code == 403
    user = await sync_to_async(get_user_model().objects.create_user)("plain", password="pw-for-tests")
    await sync_to_async(client.force_login)(user)
    assert (await client.get("/metrics")).status_code == 403
    assert (await AsyncClient().get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 403


async def test_metrics_reflect_a_running_lobby(settings):
    settings.METRICS_TOKEN = "scrape-me"
    runtime, loop = await make_lobby()
    alice = await join(loop.lobby.code, "alice", token="secret-token")
    bob = await join(loop.lobby.code, "bob")
    eve = await join(loop.lobby.code, "eve", role="spectator")
    await start_match(alice, bob)
    await bob.until(lambda f: f["k"] == "delta")
    reply = await AsyncClient().get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert reply.status_code == 200
    text = reply.content.decode()
    assert 'game_lobbies{phase="playing"} 1.0' in text
    assert "game_players 2.0" in text and "game_spectators 1.0" in text
    assert f'game_lobby_ticks_total{{game="arena",lobby="{loop.lobby.code}"}}' in text
    # Tick time is a histogram: every tick so far is counted in it, for the lobby's game.
    count = next(float(line.split()[-1]) for line in text.splitlines()
                 if line.startswith('game_tick_seconds_count{game="arena"}'))
    assert count >= 1 and 'game_tick_seconds_bucket{game="arena",le="+Inf"}' in text
    frames = next(float(line.split()[-1]) for line in text.splitlines() if line.startswith("game_frames_sent_total"))
    assert frames > 0
    await asyncio.gather(alice.disconnect(), bob.disconnect(), eve.disconnect())


async def test_staff_sessions_may_read_metrics():
    client = AsyncClient()
    staff = await sync_to_async(get_user_model().objects.create_user)("ops", password="pw-for-tests", is_staff=True)
    await sync_to_async(client.force_login)(staff)
    assert (await client.get("/metrics")).status_code == 200
