"""The games as every page's scripts find them: each registered game's name, title and
browser module, the registry rendered into the page as JSON (``{% game_modules %}``, read by
frontend/src/registry.js), so the browser keeps no list of games of its own.

A game's browser module is ``frontend/src/games/<name>.js``, served as the static file
``frontend/games/<name>.js``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.html import json_script
from django.utils.safestring import SafeString

from game.i18n import game_title
from game.rules import default_game as first_game
from game.rules import game_catalog

register = template.Library()


def browser_module(name: str) -> str:
    """The static path of game ``name``'s browser module."""
    return f"frontend/games/{name}.js"


def browser_games() -> list[dict[str, Any]]:
    """``[{name, title (in the page's language), module (its URL)}]`` in registration order."""
    return [{"name": g["name"], "title": game_title(g["name"]), "module": static(browser_module(g["name"]))}
            for g in game_catalog()]


@register.simple_tag
def game_modules() -> SafeString:
    """``<script id="game-modules" type="application/json">[...]</script>``."""
    return json_script(browser_games(), "game-modules")


@register.simple_tag
def default_game() -> str:
    """The first registered game's name (where the leaderboards link goes first)."""
    return first_game()
