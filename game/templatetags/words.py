"""Template filters for words that come from data, in the reader's language (game/i18n.py):
``{{ name|game_title }}``, ``{{ match.status|match_status }}``,
``{{ match.reason|match_reason:match.game }}`` (a game's own reasons are worded by its rules)."""

from __future__ import annotations

from django import template

from game import i18n

register = template.Library()

register.filter("game_title", i18n.game_title)
register.filter("match_status", i18n.match_status)
register.filter("match_reason", i18n.match_reason)
