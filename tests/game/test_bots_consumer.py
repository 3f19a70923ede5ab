"""Bots over the real consumer: a host sets bots with a settings frame and starts; the state
frames show the bots moving, and the saved match has their results but no ratings."""

from __future__ import annotations

import asyncio

import pytest

from game.engine.lobby import LobbyConfig
from game.models import Player, Rating, Result
from game.rules import get_game
from game.runtime import get_runtime
from tests.wsclient import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def arena_lobby():
    runtime = get_runtime()
    config = LobbyConfig(code=runtime.registry.new_code(), name="bots", game_cls=get_game("arena"),
                         max_players=4, tick_rate_hz=20, host_token="host-token")
    return runtime, await runtime.create_lobby(config=config, created_by_id=None, creator_name="")


async def test_host_sets_bots_starts_and_the_state_shows_them_moving():
    runtime, loop = await arena_lobby()
    code = loop.lobby.code
    host = await Client(code, "role=player&name=host&token=host-token").connect()
    welcome = await host.until(lambda f: f["k"] == "welcome")
    eve = await Client(code, "role=spectator&name=eve").connect()
    await eve.until(lambda f: f["k"] == "welcome")

    await host.send("settings", settings={"bots": 5})
    refused = await host.error()
    assert refused["code"] == "bad_field" and refused["ref"] == "settings"  # 3 free seats of 4
    await host.send("settings", settings={"bots": 3, "bot_difficulty": "hard", "time_limit_s": 3})
    changed = await host.event("settings")
    assert changed["changes"] == {"bots": 3, "bot_difficulty": "hard", "time_limit_s": 3}
    await host.send("start")
    await host.event("match_start")

    lobby = [f for f in host.frames if f["k"] == "lobby"][-1]["lobby"]
    bots = {m["id"]: m for m in lobby["members"] if m["bot"]}
    assert sorted(m["name"] for m in bots.values()) == ["Bot 1 (hard)", "Bot 2 (hard)", "Bot 3 (hard)"]
    assert all(m["role"] == "player" and m["in_match"] for m in bots.values())
    assert lobby["players"] == 1 and lobby["bots"] == 3 and lobby["host"] == welcome["you"]

    start = await eve.until(lambda f: f["k"] == "full")  # the spectator's first state: the spawn points
    first = eve.history[start["tick"]]
    await eve.until(lambda f: f["k"] in ("full", "delta") and f["tick"] > start["tick"] + 20)
    later = eve.snapshot
    moved = [b for b in bots if (first["e"][f"p{b}"]["x"], first["e"][f"p{b}"]["y"])
             != (later["e"][f"p{b}"]["x"], later["e"][f"p{b}"]["y"])]
    assert moved == list(bots)
    acked = [f for f in eve.frames if f["k"] in ("full", "delta")][-1]["last_processed_input"]
    assert all(acked[b] >= 0 for b in bots) and acked[welcome["you"]] == -1  # the host sent nothing

    over = await host.event("match_over", timeout=10)
    assert over["status"] == "finished" and {r["id"] for r in over["results"]} == set(bots) | {welcome["you"]}
    await runtime.flush()
    saved = [r async for r in Result.objects.filter(match_id=over["match"]).select_related("player")]
    assert sorted(r.player.identity for r in saved if r.player.identity.startswith("bot:")) == [
        f"bot:{code}:1", f"bot:{code}:2", f"bot:{code}:3"]
    assert all(r.rating_before is None and r.rating_after is None for r in saved)
    assert await Rating.objects.acount() == 0  # one person and three bots: nobody to rate against
    frames_after = len(host.frames)
    await host.until(lambda f: f["k"] == "lobby" and not any(m["bot"] for m in f["lobby"]["members"]))
    assert len(host.frames) > frames_after  # a lobby frame with the bots gone
    assert await Player.objects.filter(identity__startswith="bot:").acount() == 3
    await asyncio.gather(host.disconnect(), eve.disconnect())
