"""Words the server writes into pages in the reader's language (docs/i18n.md): a game's title,
a saved match's status and the reason it ended (the shared reasons' words are here, a game's
own come with its rules: ``reasons``, as its ``titles`` do). The templates' own text is translated where it
stands ({% translate %}); these come from data, so they are looked up here.

The language is Django's active one: the language cookie, else the browser's Accept-Language
(django.middleware.locale.LocaleMiddleware).
"""

from __future__ import annotations

from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from game.rules import GAMES

#: A saved match's status (game.models.Match.Status), as a page shows it.
STATUSES = {"finished": pgettext_lazy("match status", "finished"), "aborted": pgettext_lazy("match status", "aborted")}

#: Why a match ended, for every game (game.rules.base.SHARED_REASONS, docs/protocol.md), as a
#: page shows it; a reason of one game's own is worded by its rules (`match_reason`).
REASONS = {
    "score_limit": _("score limit reached"),
    "time_up": _("time is up"),
    "forfeit": _("won by forfeit"),
    "aborted": _("match aborted"),
    "lease_expired": _("the lobby moved to another server"),
    "lease_lost": _("the lobby moved to another server"),
    "handover": _("the lobby moved to another server"),
    "owner_lost": _("the server running the match was lost"),
}
#: A match cut short by its lobby's close: reason ``lobby_<why the lobby closed>``.
LOBBY_CLOSED = _("the lobby closed during the match")


def _code(language: str | None) -> str:
    return (language or get_language() or "en").split("-")[0]


def game_title(name: str, language: str | None = None) -> str:
    """Game ``name``'s title in ``language`` (the active one unless told): its rules' ``titles``,
    else its English ``title``; a game no longer registered is shown by its name."""
    cls = GAMES.get(name)
    if cls is None:
        return name.replace("_", " ").capitalize()
    return cls.titles.get(_code(language), cls.title)


def match_status(status: str) -> str:
    return str(STATUSES.get(status, status))


def match_reason(reason: str, game: str | None = None, language: str | None = None) -> str:
    """Why a match of ``game`` ended, in ``language`` (the active one unless told): the game's
    own words when its rules declare ``reason`` (their English when they lack the language),
    else the shared ones; a reason nobody words reads as itself, spaced."""
    own = GAMES[game].reasons.get(reason) if game in GAMES else None
    if own:
        return own.get(_code(language), own["en"])
    if reason.startswith("lobby_"):
        return str(LOBBY_CLOSED)
    return str(REASONS.get(reason, reason.replace("_", " ")))
