"""The HTTP API as docs/api.md describes it: JSON for every answer under /api/ (404, 405, 400,
403, 500 too), bodies refused before or while parsing (too large, too deep, not JSON, not an
object, unknown fields, wrong types), settings refused with their bounds, and GET /api/games
publishing each setting's type, default and range."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import AsyncClient

from game import views
from game.engine.settings import MAX_TICK_RATE, MIN_TICK_RATE
from game.rules import GAMES

pytestmark = pytest.mark.django_db(transaction=True)


async def post_raw(body: bytes, client: AsyncClient | None = None, **extra) -> tuple[int, dict]:
    reply = await (client or AsyncClient()).post("/api/lobbies", data=body, content_type="application/json",
                                                 **extra)
    assert reply["Content-Type"] == "application/json", reply.content[:200]
    return reply.status_code, reply.json()


async def post(body) -> tuple[int, dict]:
    return await post_raw(json.dumps(body).encode())


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# -- item 2: settings refused, never clamped, with the bound named ---------------------------
@pytest.mark.parametrize("value", [2.5, 2.0, 0, 3601, 2**64 - 1, 10**400, "5", True, None])
async def test_a_setting_out_of_range_or_of_another_type_is_refused_with_its_bounds(value):
    status, reply = await post({"game": "arena", "settings": {"score_limit": value}})
    assert status == 400 and reply == {"error": "bad_field", "field": "settings",
                                       "msg": "score_limit must be an integer in [1, 3600]"}


async def test_settings_at_their_bounds_are_kept_as_sent():
    status, reply = await post({"game": "pong", "settings": {"score_limit": 1, "time_limit_s": 3600}})
    assert status == 201
    detail = (await AsyncClient().get(f"/api/lobbies/{reply['code']}")).json()
    assert detail["lobby"]["code"] == reply["code"]


async def test_games_publish_each_settings_type_default_and_range():
    games = {g["name"]: g for g in (await AsyncClient().get("/api/games")).json()["games"]}
    assert set(games) == set(GAMES)
    arena = games["arena"]
    assert arena["default_settings"] == {"score_limit": 10, "time_limit_s": 180}  # as before
    assert arena["settings"] == {"score_limit": {"type": "int", "default": 10, "min": 1, "max": 3600},
                                 "time_limit_s": {"type": "int", "default": 180, "min": 1, "max": 3600}}
    assert arena["bots"] is True
    lobby = arena["lobby_settings"]
    assert lobby["max_players"] == {"type": "int", "default": 8, "min": 2, "max": 8}
    assert lobby["tick_rate"] == {"type": "int", "default": 20, "min": MIN_TICK_RATE, "max": MAX_TICK_RATE}
    assert lobby["bot_difficulty"] == {"type": "enum", "default": "normal", "choices": ["easy", "normal", "hard"]}
    assert lobby["name"]["max_length"] == 40 and lobby["private"] == {"type": "bool", "default": False}
    assert games["pong"]["lobby_settings"]["max_players"] == {"type": "int", "default": 2, "min": 2, "max": 2}
    assert games["pong"]["input"] == {"my": {"type": "axis", "min": -1, "max": 1, "default": 0}}
    assert arena["input"]["fire"] == {"type": "flag", "default": False}


async def test_a_lobby_created_without_a_game_plays_the_first_registered():
    status, reply = await post({"name": "No game named"})
    assert status == 201
    detail = (await AsyncClient().get(f"/api/lobbies/{reply['code']}")).json()
    assert detail["lobby"]["game"] == next(iter(GAMES))


# -- item 4: JSON everywhere under /api/ ---------------------------------------------------
@pytest.mark.parametrize("path", ["/api/lobbies/ZZZZZZ", "/api/nothing", "/api/lobbies/", "/api/",
                                  "/api/matches/not-a-uuid/replay"])
async def test_not_found_is_json(path):
    reply = await AsyncClient().get(path)
    assert reply.status_code == 404 and reply["Content-Type"] == "application/json"
    assert reply.json()["error"] == "not_found" and reply.json()["msg"]


@pytest.mark.parametrize("method, path, allowed", [
    ("post", "/api/games", "GET"), ("delete", "/api/lobbies", "GET, POST"), ("put", "/api/lobbies/ABCDEF", "GET"),
    ("post", "/api/lobbies/ABCDEF/matches", "GET"), ("post", "/api/matches/x/replay", "GET"),
])
async def test_another_method_is_405_json_with_allow(method, path, allowed):
    reply = await getattr(AsyncClient(), method)(path)
    assert reply.status_code == 405 and reply["Allow"] == allowed
    assert reply.json()["error"] == "method_not_allowed"


async def test_a_fault_is_500_json_and_logged(monkeypatch, caplog):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "get_runtime", broken)
    reply = await AsyncClient(raise_request_exception=False).get("/api/lobbies")
    assert reply.status_code == 500 and reply.json() == {
        "error": "server_error", "msg": "the server failed to answer; try again"}
    assert "GET /api/lobbies failed" in caplog.text and "boom" in caplog.text  # the traceback is logged


@pytest.mark.parametrize("limit", ["0", "501", "abc", "-1", "1e3", "٣"])
async def test_a_bad_matches_limit_is_refused(limit):
    reply = await AsyncClient().get(f"/api/lobbies/ABCDEF/matches?limit={limit}")
    assert reply.status_code == 400 and reply.json()["field"] == "limit"


async def test_matches_answer_count_and_list():
    reply = await AsyncClient().get("/api/lobbies/ABCDEF/matches?limit=500")
    assert reply.status_code == 200 and reply.json() == {"count": 0, "matches": []}


async def test_a_logged_in_user_without_the_csrf_token_gets_403_json():
    await User.objects.acreate(username="ann")
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(await User.objects.aget(username="ann"))
    status, reply = await post_raw(b"{}", client)
    assert status == 403 and reply["error"] == "csrf_failed"


# -- item 5: bodies refused before or while parsing ----------------------------------------
@pytest.mark.parametrize("depth", [33, 500, 1000, 2048])
async def test_json_nested_too_deep_is_400_not_500(depth):
    status, reply = await post_raw(nested(depth))
    assert status == 400 and reply["error"] == "bad_json" and "32" in reply["msg"]


async def test_nesting_at_the_limit_is_parsed_and_judged_by_its_fields():
    settings = b'{"settings": {"score_limit": ' + nested(30) + b"}}"  # 32 levels in all
    status, reply = await post_raw(settings)
    assert status == 400 and reply["error"] == "bad_field" and reply["field"] == "settings"
    status, reply = await post_raw(b'{"name": "' + b"[" * 36 + b'\\"["}')  # brackets in a string count not
    assert status == 201 and reply["lobby"]["name"] == "[" * 36 + '"['


async def test_a_body_over_4096_bytes_is_refused_unread():
    status, reply = await post({"name": "x" * 5000})
    assert status == 400 and reply["error"] == "body_too_large"
    status, reply = await post_raw(b" " * 4096 + b"{}")
    assert status == 400 and reply["error"] == "body_too_large"


@pytest.mark.parametrize("body", [b"{nope", b"\xff\xfe{}", b'{"tick_rate": NaN}', b'{"tick_rate": Infinity}',
                                  b"{} {}", '{"name": "\ud800"}'.encode("utf-8", "surrogatepass")])
async def test_what_is_not_utf8_json_is_bad_json(body):
    status, reply = await post_raw(body)
    assert status == 400 and reply["error"] == "bad_json"


@pytest.mark.parametrize("body", [b"[]", b'"arena"', b"3", b"null", b"true"])
async def test_a_body_that_is_not_an_object_is_bad_body(body):
    status, reply = await post_raw(body)
    assert status == 400 and reply == {"error": "bad_body", "msg": "the body must be a JSON object"}


@pytest.mark.parametrize("body, field", [
    ({"mode": "ffa"}, "mode"), ({"Game": "arena"}, "Game"), ({"game": 1}, "game"), ({"game": None}, "game"),
    ({"name": 7}, "name"), ({"name": None}, "name"), ({"name": "x" * 41}, "name"),
    ({"max_players": 4.0}, "max_players"), ({"max_players": True}, "max_players"),
    ({"tick_rate": None}, "tick_rate"), ({"private": 0}, "private"), ({"settings": [1]}, "settings"),
    ({"settings": None}, "settings"), ({"settings": {"bots": 1}}, "settings"),
])
async def test_unknown_fields_and_wrong_types_are_bad_field(body, field):
    status, reply = await post(body)
    assert status == 400 and reply["error"] == "bad_field" and reply["field"] == field, reply


async def test_an_empty_body_creates_the_default_lobby():
    status, reply = await post_raw(b"")
    assert status == 201 and reply["lobby"] | {"game": "arena", "name": "Arena lobby", "max_players": 8,
                                               "tick_rate": 20, "private": False} == reply["lobby"]


async def test_a_name_is_cleaned_and_an_empty_one_takes_the_default():
    status, reply = await post({"game": "pong", "name": "  \u200bFri\x00day\n "})
    assert status == 201 and reply["lobby"]["name"] == "Friday"
    status, reply = await post({"game": "pong", "name": " \t "})
    assert status == 201 and reply["lobby"]["name"] == "Pong lobby"


async def test_a_refused_body_is_answered_400_even_at_the_lobby_limit_and_never_counts():
    client = AsyncClient()
    for _ in range(10):  # refused bodies take nothing from the client's allowance
        assert (await post_raw(nested(40), client))[0] == 400
    limit = views.django_settings.GAME["MAX_LOBBIES_PER_CLIENT"]
    for _ in range(limit):
        assert (await post_raw(b'{"game": "pong"}', client))[0] == 201
    status, reply = await post_raw(b'{"game": "chess"}', client)
    assert status == 400 and reply["field"] == "game"  # the body is judged first
    status, reply = await post_raw(b'{"game": "pong"}', client)
    assert status == 429 and reply["error"] == "too_many_lobbies"


@pytest.mark.parametrize("path", ["/api/lobbies/%C3%A9%C3%A9%C3%A9%C3%A9", "/api/lobbies/gs:lease:X",
                                  "/api/lobbies/" + "A" * 13, "/api/lobbies/ab/matches"])
async def test_a_path_that_is_no_lobby_code_is_a_json_404_and_reaches_no_lookup(path, monkeypatch):
    from game.runtime import get_runtime

    async def no_lookup(code):
        raise AssertionError(f"looked up {code!r}")

    monkeypatch.setattr(get_runtime(), "lobby_summary", no_lookup)
    reply = await AsyncClient().get(path)
    assert reply.status_code == 404 and reply.json()["error"] == "not_found"


def test_without_debug_a_foreign_host_under_api_is_a_json_400(settings, client):
    settings.DEBUG = False
    reply = client.get("/api/games", HTTP_HOST="evil.example")
    assert reply.status_code == 400 and reply.json()["error"] == "bad_request"
    page = client.get("/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and not page["Content-Type"].startswith("application/json")


# -- the lobby list: pages and filters from a snapshot ------------------------------------------
async def test_the_lobby_list_pages_by_cursor_and_filters_by_game_and_open_seats():
    client = AsyncClient()
    made = {}
    for game, max_players in (("pong", 2), ("arena", 4), ("pong", 2), ("arena", 3)):
        status, reply = await post_raw(json.dumps({"game": game, "max_players": max_players}).encode(), client)
        assert status == 201
        made[reply["code"]] = game
    first = (await client.get("/api/lobbies?limit=3")).json()
    assert first["total"] == 4 and len(first["lobbies"]) == 3 and first["next"] and first["age_ms"] >= 0
    rest = (await client.get(f"/api/lobbies?limit=3&cursor={first['next']}")).json()
    assert rest["next"] is None and len(rest["lobbies"]) == 1
    assert {s["code"] for s in first["lobbies"] + rest["lobbies"]} == set(made)
    pong = (await client.get("/api/lobbies?game=pong&open=1")).json()
    assert sorted(s["code"] for s in pong["lobbies"]) == sorted(c for c, g in made.items() if g == "pong")
    assert pong["total"] == 2 and pong["next"] is None


@pytest.mark.parametrize("query, field", [("game=chess", "game"), ("open=yes", "open"), ("limit=0", "limit"),
                                          ("limit=101", "limit"), ("limit=x", "limit"), ("cursor=nope", "cursor"),
                                          ("cursor=0.1.%20", "cursor")])
async def test_a_bad_lobby_list_query_is_refused(query, field):
    reply = await AsyncClient().get(f"/api/lobbies?{query}")
    assert reply.status_code == 400 and reply.json()["error"] == "bad_field" and reply.json()["field"] == field


async def test_the_lobby_list_is_built_once_per_period_however_often_it_is_asked():
    from game.runtime import get_runtime
    client = AsyncClient()
    await client.get("/api/lobbies")
    cache = get_runtime().lobby_list
    builds = cache.builds
    for _ in range(20):
        assert (await client.get("/api/lobbies")).status_code == 200
    assert cache.builds == builds  # nothing changed, the period has not passed: no rebuild


async def test_without_routing_creation_and_lookup_name_no_route():
    status, created = await post({"game": "pong"})
    assert status == 201 and created["route"] is None
    found = (await AsyncClient().get(f"/api/lobbies/{created['code']}")).json()
    assert found["route"] is None and "stats" in found


async def test_a_process_with_a_route_names_it_for_the_lobbies_it_runs(settings):
    settings.GAME_CLUSTER = {**settings.GAME_CLUSTER, "ROUTE": "a1"}
    status, created = await post({"game": "pong"})
    assert status == 201 and created["route"] == "a1"
    assert (await AsyncClient().get(f"/api/lobbies/{created['code']}")).json()["route"] == "a1"
