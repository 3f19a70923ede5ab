"""The lobby list snapshot: pages by cursor, filters by game and open seats, the order, the
shared form, and a cache that rebuilds once per period however many requests ask."""

from __future__ import annotations

import asyncio

import pytest

from game.lobbylist import BadCursor, LobbyList, LobbyListCache, decode_cursor, encode_cursor, order_key


def summary(code: str, *, game: str = "arena", players: int = 0, max_players: int = 4, locked: bool = False,
            private: bool = False, phase: str = "waiting") -> dict:
    return {"code": code, "name": code.lower(), "game": game, "phase": phase, "players": players, "bots": 0,
            "max_players": max_players, "spectators": 0, "locked": locked, "private": private, "tick_rate": 20}


def test_open_lobbies_come_first_then_the_fuller_then_by_code():
    snapshot = LobbyList([summary("AAAAAA", players=1), summary("BBBBBB", players=4),
                          summary("CCCCCC", players=3), summary("DDDDDD", players=1, locked=True),
                          summary("EEEEEE", players=1)])
    assert [s["code"] for s in snapshot.page()["lobbies"]] == ["CCCCCC", "AAAAAA", "EEEEEE", "BBBBBB", "DDDDDD"]


def test_private_and_closed_lobbies_are_never_listed():
    snapshot = LobbyList([summary("PUBLIC"), summary("SECRET", private=True), summary("CLOSED", phase="closed")])
    assert [s["code"] for s in snapshot.page()["lobbies"]] == ["PUBLIC"]


def test_pages_follow_each_other_by_cursor_and_cover_every_lobby_once():
    snapshot = LobbyList([summary(f"L{i:05d}", players=i % 5, game=("pong" if i % 3 else "arena"))
                          for i in range(1000)])
    for game, open_only in ((None, False), ("pong", False), ("arena", True), (None, True)):
        seen, cursor = [], None
        while True:
            page = snapshot.page(game=game, open_only=open_only, cursor=cursor, limit=37)
            seen += page["lobbies"]
            cursor = page["next"]
            if cursor is None:
                break
        expected = [s for s in snapshot.rows if (game is None or s["game"] == game)
                    and (not open_only or s["players"] < s["max_players"])]
        assert seen == expected and page["total"] == len(expected)


def test_a_cursor_still_leads_on_after_the_snapshot_changed():
    first = LobbyList([summary(f"L{i:03d}", players=1) for i in range(10)]).page(limit=4)
    changed = LobbyList([summary(f"L{i:03d}", players=1) for i in range(10) if i != 2])  # L002 closed
    assert [s["code"] for s in changed.page(cursor=first["next"], limit=3)["lobbies"]] == ["L004", "L005", "L006"]


def test_cursors_round_trip_and_garbage_is_refused():
    key = order_key(summary("K7QX2M", players=3))
    assert decode_cursor(encode_cursor(key)) == key
    for bad in ("", "x", "2.1.ABC", "0.1.", "0.-1.ABC", "0.1.AB CD", "0.1." + "A" * 17):
        with pytest.raises(BadCursor):
            decode_cursor(bad)


def test_a_snapshot_survives_its_shared_form():
    snapshot = LobbyList([summary("AAAAAA", players=2), summary("BBBBBB", game="pong")], built_ms=1234)
    again = LobbyList.from_bytes(snapshot.to_bytes())
    assert again.rows == snapshot.rows and again.built_ms == 1234
    assert again.page(game="pong") == snapshot.page(game="pong")


async def test_the_cache_builds_once_per_period_however_many_ask():
    now = [0.0]
    builds = []

    async def build():
        builds.append(now[0])
        await asyncio.sleep(0)
        return LobbyList([summary(f"L{len(builds):05d}")])

    cache = LobbyListCache(build, refresh_s=2.0, clock=lambda: now[0])
    got = await asyncio.gather(*(cache.get() for _ in range(50)))
    assert len(builds) == 1 and all(g is got[0] for g in got)  # concurrent requests share one build
    now[0] = 1.9
    assert await cache.get() is got[0] and len(builds) == 1
    now[0] = 2.0
    await cache.get()
    assert len(builds) == 2
    cache.invalidate()  # a local change: rebuilt soon, not at once
    now[0] = 2.1
    await cache.get()
    assert len(builds) == 2
    now[0] = 2.3
    await cache.get()
    assert len(builds) == 3


async def test_a_failed_refresh_keeps_the_last_list():
    now = [0.0]
    fail = [False]

    async def build():
        if fail[0]:
            raise ConnectionError("redis down")
        return LobbyList([summary("AAAAAA")])

    cache = LobbyListCache(build, refresh_s=1.0, clock=lambda: now[0])
    first = await cache.get()
    fail[0], now[0] = True, 5.0
    assert await cache.get() is first
    assert cache.current is first
