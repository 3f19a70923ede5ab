"""Replays end to end on the server side: a match played through the tick loop is saved with
its replay, re-simulated from the database to the saved result, served over HTTP, linked
from the pages; damaged replays are refused cleanly."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import random
import uuid

import msgpack
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.template.defaultfilters import filesizeformat

from game import selectors, services, views_replays
from game.engine.replay import ReplayError, ReplayMismatch, replay_result
from game.models import Match, Result
from game.rules.pong import Pong
from tests.engine.helpers import make_loop, request

pytestmark = pytest.mark.django_db(transaction=True)
DT = 1 / 20


@pytest.fixture(autouse=True)
def empty_cache():
    views_replays.CACHE.clear()
    yield
    views_replays.CACHE.clear()


async def play_pong(*, seed: int = 1, score_limit: int = 2) -> dict:
    """A pong match of two people on the real loop task and a fake clock, from the host's
    start to the saved record; both press random keys every tick."""
    loop, clock, hooks = make_loop(game_cls=Pong, max_players=2)
    loop.start()
    futures = [loop.submit_join(request(name, creator=name == "alice")[0]) for name in ("alice", "bob")]
    await clock.advance(DT)
    alice, bob = (f.result() for f in futures)
    loop.submit_command(alice.id, "settings", {"settings": {"score_limit": score_limit}})
    loop.submit_command(bob.id, "ready", {"ready": True})
    loop.submit_command(alice.id, "start", {})
    rng = random.Random(seed)
    for input_seq in range(60 * 20 * 3):
        if hooks.saved:
            break
        for member in (alice, bob):
            loop.submit_input(member, input_seq, Pong.parse_input({"my": rng.choice((-1, 0, 1))}))
        await clock.advance(DT)
    loop.task.cancel()
    assert hooks.saved, "the match did not end"
    return hooks.saved[0]


@pytest.fixture
def saved() -> dict:
    """A finished pong match, played and saved as the server does."""
    record = asyncio.run(play_pong())
    assert services.match_record(record=record) is True
    return record


def test_a_match_saved_from_the_loop_replays_to_its_saved_result(saved):
    match = Match.objects.get(id=uuid.UUID(saved["match_id"]))
    assert bytes(match.replay) == saved["replay"] and match.epoch == 0
    assert selectors.match_replay_check(match_id=saved["match_id"]) == []
    result = replay_result(bytes(match.replay))
    rows = list(match.results.order_by("rank"))
    assert [(r.nickname, r.score, r.is_winner) for r in rows] == [
        ({1: "alice", 2: "bob"}[pid], result.scores[pid], pid == result.winner) for pid in result.ranking]
    assert match.winner.nickname == rows[0].nickname and match.status == "finished"


def test_a_truncated_stored_replay_is_refused_cleanly(saved, client):
    Match.objects.update(replay=saved["replay"][:-12])
    with pytest.raises(ReplayError):
        selectors.match_replay_check(match_id=saved["match_id"])
    reply = client.get(f"/api/matches/{saved['match_id']}/replay")
    assert reply.status_code == 410 and reply.json()["error"] == "replay_unplayable"


def test_a_stored_replay_of_another_match_does_not_pass(saved):
    other = asyncio.run(play_pong(seed=99))
    Match.objects.update(replay=other["replay"])  # a well-formed replay, of the wrong match
    try:
        problems = selectors.match_replay_check(match_id=saved["match_id"])
    except ReplayMismatch:
        return  # refused outright is as good
    assert problems, "a different match's replay must not pass for this one"


def test_results_changed_in_the_database_are_reported(saved):
    Result.objects.filter(rank=2).update(score=99)
    problems = selectors.match_replay_check(match_id=saved["match_id"])
    assert len(problems) == 1 and problems[0].startswith("results:")


def test_the_replay_api_answers_one_snapshot_per_tick_in_msgpack(saved, client):
    url = f"/api/matches/{saved['match_id']}/replay"
    reply = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert reply.status_code == 200 and reply["Content-Type"] == "application/msgpack"
    assert reply["Content-Encoding"] == "gzip" and "immutable" in reply["Cache-Control"]
    data = msgpack.unpackb(gzip.decompress(reply.content), raw=False, strict_map_key=False)
    assert data["v"] == 1 and data["game"] == "pong" and data["tick_rate"] == 20
    assert data["match"] == saved["match_id"] and data["status"] == "finished"
    assert [p["name"] for p in data["players"]] == ["alice", "bob"]
    assert len(data["frames"]) == saved["ticks"] + 1
    assert set(data["frames"][-1]["e"]) == {"p1", "p2", "ball"}
    assert data["result"]["winner"] == saved["winner"] and data["result"]["reason"] == "score_limit"
    assert {r["id"]: r["score"] for r in saved["results"]} == data["result"]["scores"]
    assert any(e["type"] == "point" for _, events in data["events"] for e in events)
    assert views_replays.CACHE.get(uuid.UUID(saved["match_id"]).hex) is not None
    plain = client.get(url)  # no gzip asked for: the same reply, inflated (from the cache)
    assert "Content-Encoding" not in plain and plain.content == gzip.decompress(reply.content)


@pytest.mark.parametrize("match_id", [uuid.uuid4().hex, "not-a-uuid", "0" * 32],
                         ids=["unknown", "not-a-uuid", "zeros"])  # the same test ids in every xdist worker
def test_no_replay_for_an_unknown_match(client, match_id):
    reply = client.get(f"/api/matches/{match_id}/replay")
    assert reply.status_code == 404 and reply.json()["error"] == "not_found"
    assert client.get(f"/replays/{match_id}/").status_code == 404


def test_a_match_saved_without_a_replay_has_none_to_show(saved, client):
    bare = {**saved, "match_id": uuid.uuid4().hex}
    del bare["replay"]  # as a cluster saves a match whose owner vanished
    services.match_record(record=bare)
    assert client.get(f"/api/matches/{bare['match_id']}/replay").status_code == 404
    assert client.get(f"/replays/{bare['match_id']}/").status_code == 404
    with pytest.raises(LookupError):
        selectors.match_replay_check(match_id=bare["match_id"])


def test_the_replay_page_shows_the_match_and_loads_the_viewer(saved, client):
    hex_id = uuid.UUID(saved["match_id"]).hex
    page = client.get(f"/replays/{uuid.UUID(hex_id)}/")  # the dashed form works too
    html = page.content.decode()
    assert page.status_code == 200 and f'data-match="{hex_id}"' in html and 'data-page="replay"' in html
    assert "frontend/pages/replay.js" in html and "alice" in html and "bob" in html


def test_player_pages_and_match_lists_link_to_replays(saved, client):
    bare = {**saved, "match_id": uuid.uuid4().hex, "lobby": "OTHER1"}
    del bare["replay"]
    services.match_record(record=bare)
    alice = Result.objects.filter(nickname="alice").first().player
    page = client.get(f"/players/{alice.id}/").content.decode()
    assert f'href="/replays/{uuid.UUID(saved["match_id"]).hex}/"' in page
    assert f"/replays/{uuid.UUID(bare['match_id']).hex}/" not in page
    listed = client.get(f"/api/lobbies/{saved['lobby']}/matches").json()["matches"]
    assert [m["replay"] for m in listed] == [True]
    assert client.get("/api/lobbies/OTHER1/matches").json()["matches"][0]["replay"] is False


def test_admin_shows_the_replay_size_not_the_blob(saved, client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    size = str(filesizeformat(len(saved["replay"])))
    listing = client.get("/admin/game/match/").content.decode()
    assert size in listing
    change = client.get(f"/admin/game/match/{uuid.UUID(saved['match_id'])}/change/").content.decode()
    assert size in change and 'name="replay"' not in change


def test_the_lease_epoch_is_stored_with_the_match(saved):
    record = {**saved, "match_id": uuid.uuid4().hex, "epoch": 7}
    services.match_record(record=record)
    assert Match.objects.get(id=uuid.UUID(record["match_id"])).epoch == 7


def test_replaysize_compares_the_three_recordings():
    out = io.StringIO()
    call_command("replaysize", matches=1, seconds=3, json=True, stdout=out)
    rows = {(r["game"], r["players"]): r for r in json.loads(out.getvalue())}
    assert {("arena", 2), ("arena", 4), ("arena", 8), ("pong", 2)} <= set(rows)
    for row in rows.values():
        assert row["input_log"] < row["deltas"] < row["keyframes"] < row["raw_keyframes"]
        assert row["ticks"] <= 3 * 20
