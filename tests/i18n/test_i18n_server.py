"""The pages in every language (docs/i18n.md): no template text outside the translate tags, every
msgid translated in each language's catalog, the committed .mo files what their .po say, the
language taken from the cookie or Accept-Language, and the words from data (game titles,
match statuses and reasons) translated too."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from game import i18n
from game.models import Match
from game.po import catalog, parse_po
from game.rules import GAMES
from game.rules.base import SHARED_REASONS, Game
from tests.i18n.i18n_templates import msgids, templates, untranslated

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "game" / "locale"
OTHER_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def po_file(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def po_catalog(language: str) -> dict[str, str]:
    return catalog(parse_po(po_file(language).read_text(encoding="utf-8"), str(po_file(language))))


def test_templates_have_no_text_outside_the_translate_tags() -> None:
    found = {str(path.relative_to(ROOT)): untranslated(path.read_text(encoding="utf-8")) for path in templates(ROOT)}
    assert {path: pieces for path, pieces in found.items() if pieces} == {}, (
        "wrap these in {% translate %} or {% blocktranslate %} and translate them in game/locale (docs/i18n.md)")


def test_the_scan_finds_text_attributes_and_ignores_what_is_no_text() -> None:
    text = ('{% load i18n %}<p title="Hello there">{% translate "Fine" %} Loose words</p><span>{{ n }} · –:––</span>'
            '<input placeholder="{% translate \'Ok\' %}" aria-label="Bare label"><script>const x = "no text";</script>'
            '{% blocktranslate %}Held {{ n }}{% endblocktranslate %}<th>p50</th>')
    assert untranslated(text) == ["Hello there", "Bare label", "Loose words"]


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_template_msgid_is_translated(language: str) -> None:
    messages = po_catalog(language)
    missing = []
    for path in templates(ROOT):
        for m in msgids(path.read_text(encoding="utf-8")):
            key = m.text if m.plural is None else f"{m.text}\0{m.plural}"
            key = key if m.context is None else f"{m.context}\x04{key}"
            if not messages.get(key):
                missing.append(f"{path.relative_to(ROOT)}: {key!r}")
    assert missing == [], f"not translated in {po_file(language).relative_to(ROOT)} (makemessages, then translate)"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_po_entry_is_translated_and_none_is_fuzzy(language: str) -> None:
    entries = [e for e in parse_po(po_file(language).read_text(encoding="utf-8")) if e.msgid]
    assert entries
    assert [e.msgid for e in entries if not e.translated or e.fuzzy] == []


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_the_committed_mo_says_what_the_po_says(language: str) -> None:
    """The .mo is compiled from the .po (manage.py compilepo) and committed: no GNU gettext needed."""
    with (po_file(language).with_suffix(".mo")).open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    source = po_catalog(language)
    header = source.pop("")
    messages = {key: value for key, value in compiled._catalog.items() if key != ""}
    wanted = {}
    for key, value in source.items():
        msgid, _, _plural = key.partition("\0")
        forms = value.split("\0")
        wanted |= {(msgid, i): form for i, form in enumerate(forms)} if _plural else {key: value}
    assert messages == wanted, f"run `.venv/bin/python manage.py compilepo` and commit {language}'s django.mo"
    assert compiled.info()["plural-forms"] in header


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_words_from_data_and_game_titles_are_translated(language: str) -> None:
    with translation.override(language):
        for table in (i18n.STATUSES, i18n.REASONS):
            for code, words in table.items():
                assert str(words) != str(translation.override("en")(lambda w=words: str(w))()), code
        assert i18n.match_reason("lobby_host") != "the lobby closed during the match"
    for cls in GAMES.values():
        assert cls.titles.get(language), f"{cls.name}: no title in {language} (its rules' titles)"
        assert i18n.game_title(cls.name, language) == cls.titles[language]
    assert i18n.game_title("gone_game", language) == "Gone game"


@pytest.mark.django_db
def test_the_page_language_comes_from_the_cookie_else_accept_language(client) -> None:
    english = client.get("/", HTTP_HOST="localhost").content.decode()
    assert '<html lang="en">' in english and "Public lobbies" in english
    hindi = client.get("/", HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="hi-IN,hi;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="hi">' in hindi and "सार्वजनिक लॉबियाँ" in hindi and "Public lobbies" not in hindi
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    chosen = client.get("/", HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="hi">' in chosen and 'value="hi" lang="hi" selected' in chosen


@pytest.mark.django_db
def test_the_switcher_without_scripts_sets_the_cookie(client) -> None:
    reply = client.post("/i18n/setlang/", {"language": "hi", "next": "/"}, HTTP_HOST="localhost")
    assert reply.status_code == 302 and reply.cookies[settings.LANGUAGE_COOKIE_NAME].value == "hi"


def test_the_shared_reasons_are_worded_here_and_a_game_s_own_by_its_rules() -> None:
    assert set(i18n.REASONS) == SHARED_REASONS
    declared = {reason: cls for cls in GAMES.values() for reason in cls.reasons}
    assert "last_standing" in declared and "last_standing" not in i18n.REASONS
    for reason, cls in declared.items():
        for code, _name in settings.LANGUAGES:
            words = cls.reasons[reason].get(code)
            assert words, f"{cls.name}: no words for its reason {reason} in {code} (its rules' reasons)"
            assert i18n.match_reason(reason, cls.name, code) == words
        assert i18n.match_reason(reason) == reason.replace("_", " "), "a game's reason is not the site's"


@pytest.mark.django_db
@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_replay_page_shows_a_game_s_own_reason_in_its_words(client, monkeypatch, language) -> None:
    """A made-up game declares a reason of its own; its match's page says it in the reader's
    language, from the rules alone (no catalog of the site's has these words)."""
    words = {"en": "every star taken", "hi": "सारे तारे ले लिए गए"}
    game = type("Stars", (Game,), {"name": "stars_i18n", "title": "Stars", "titles": {"hi": "तारे"},
                                   "reasons": {"all_stars": words}})
    monkeypatch.setitem(GAMES, game.name, game)
    match = Match.objects.create(lobby_code="ABCD", game=game.name, seed=1, status="finished", reason="all_stars",
                                 ended_at=timezone.now(), replay=b"\x00")
    page = client.get(f"/replays/{match.id.hex}/", HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert page.status_code == 200 and f'<html lang="{language}">' in html
    assert f" · {words[language]} · " in html
    assert all(other not in html for code, other in words.items() if code != language)
