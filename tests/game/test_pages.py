"""The server-rendered pages: leaderboard, player, replay, admin, as a first-time visitor reads them."""

from __future__ import annotations

import re
from html import escape

import pytest

from game.models import LobbyRecord
from game.rules import GAMES

pytestmark = pytest.mark.django_db


def text_of(html: str, tag: str) -> str:
    """The text of the first ``tag`` element, tags stripped, spaces collapsed."""
    found = re.search(rf"<{tag}[^>]*>(.*?)</{tag}>", html, re.S)
    assert found, f"no <{tag}>"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


@pytest.mark.parametrize(("game", "title"), [("arena", "Arena"), ("pong", "Pong")])
def test_the_leaderboard_names_its_game_and_links_the_other_games(client, game, title):
    html = client.get(f"/leaderboard/{game}/").content.decode()
    assert text_of(html, "h1") == f"{title} leaderboard"
    assert text_of(html, "title").startswith(f"{title} leaderboard")
    others = re.search(r'<p class="other-games">(.*?)</p>', html, re.S)
    assert others, "no line of other games"
    links = re.findall(r'<a href="(/leaderboard/[^"]+)">([^<]+)</a>', others.group(1))
    assert links == [(f"/leaderboard/{name}/", escape(cls.title)) for name, cls in GAMES.items() if name != game]


def test_the_admin_says_lobbies(admin_client):
    assert LobbyRecord._meta.verbose_name_plural == "lobbies"
    html = admin_client.get("/admin/").content.decode()
    assert "Lobbies" in html and "Lobbys" not in html


def test_pages_draw_icons_rather_than_emoji_a_system_may_lack(client):
    """🏆 and 🔒 are empty boxes without an emoji font: the pages draw inline SVG."""
    from game import services
    services.match_record(record={
        "match_id": "a" * 32, "lobby": "ABC234", "game": "arena", "seed": 1, "status": "finished",
        "reason": "score_limit", "ticks": 10, "winner": 1, "results": [
            {"id": 1, "name": "alice", "identity": "g:a", "score": 3, "rank": 1, "winner": True},
            {"id": 2, "name": "bob", "identity": "g:b", "score": 1, "rank": 2, "winner": False}]})
    from game.models import Player
    html = client.get(f"/players/{Player.objects.get(identity='g:a').id}/").content.decode()
    assert 'class="icon icon-trophy"' in html and "🏆" not in html
    assert "page narrow" in html and "panel" in html


@pytest.mark.parametrize("path", ["/", "/play/ABCDEF/", "/leaderboard/pong/"])
def test_every_page_lists_the_registered_games_and_their_browser_modules(client, path):
    """frontend/src/registry.js reads this list: each game's module, which exists."""
    import json

    from django.contrib.staticfiles import finders

    from game.rules import GAMES

    html = client.get(path).content.decode()
    found = re.search(r'<script id="game-modules" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no list of game modules"
    listed = json.loads(found.group(1))
    assert [g["name"] for g in listed] == list(GAMES)
    for game in listed:
        assert game["title"] == GAMES[game["name"]].title
        assert game["module"] == f"/static/frontend/games/{game['name']}.js"
        assert finders.find(f"frontend/games/{game['name']}.js"), f"{game['name']} has no browser module"
