"""The HTTP API: create, list and inspect lobbies; pages render."""

from __future__ import annotations

import json

import pytest
from django.test import AsyncClient

pytestmark = pytest.mark.django_db(transaction=True)


async def post(client: AsyncClient, body) -> tuple[int, dict]:
    reply = await client.post("/api/lobbies", data=json.dumps(body), content_type="application/json")
    return reply.status_code, reply.json()


async def test_create_then_list_a_public_lobby():
    client = AsyncClient()
    status, created = await post(client, {"game": "arena", "name": "Friday", "max_players": 4, "tick_rate": 30})
    assert status == 201 and len(created["code"]) == 6 and created["host_token"]
    listed = (await client.get("/api/lobbies")).json()["lobbies"]
    assert [lobby["code"] for lobby in listed] == [created["code"]]
    assert listed[0] | {"name": "Friday", "max_players": 4, "tick_rate": 30, "phase": "waiting"} == listed[0]
    detail = (await client.get(f"/api/lobbies/{created['code'].lower()}")).json()
    assert detail["lobby"]["code"] == created["code"]


async def test_private_lobbies_are_not_listed():
    client = AsyncClient()
    status, created = await post(client, {"game": "pong", "private": True})
    assert status == 201
    assert (await client.get("/api/lobbies")).json()["lobbies"] == []
    assert (await client.get(f"/api/lobbies/{created['code']}")).status_code == 200


@pytest.mark.parametrize("body, error, field", [
    ({"game": "chess"}, "bad_field", "game"), ({"max_players": 99}, "bad_field", "max_players"),
    ({"max_players": "8"}, "bad_field", "max_players"), ({"tick_rate": 5}, "bad_field", "tick_rate"),
    ({"tick_rate": 61}, "bad_field", "tick_rate"), ({"private": "yes"}, "bad_field", "private"),
    ({"settings": {"bogus": 1}}, "bad_field", "settings"), ([1, 2], "bad_body", None),
])
async def test_bad_lobby_requests_are_refused(body, error, field):
    status, reply = await post(AsyncClient(), body)
    assert status == 400 and reply["error"] == error and reply.get("field") == field and reply["msg"]


async def test_malformed_json_is_refused():
    reply = await AsyncClient().post("/api/lobbies", data=b"{nope", content_type="application/json")
    assert reply.status_code == 400


async def test_unknown_lobby_is_404():
    assert (await AsyncClient().get("/api/lobbies/ZZZZZZ")).status_code == 404


def test_pages_render(client):
    assert client.get("/").status_code == 200
    assert client.get("/play/ABCDEF/").status_code == 200
    assert client.get("/api/games").json()["games"][0]["name"]
