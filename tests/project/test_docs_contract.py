"""docs/protocol.md and docs/api.md say what the code does: each game setting's type, range and
default; every HTTP error code the views answer; every /api/ path; every saved match reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from game import urls
from game.rules import GAMES

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
API = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("cls", GAMES.values(), ids=lambda c: c.name)
def test_protocol_md_gives_each_game_settings_type_range_and_default(cls):
    heading = re.search(rf"^### .*\(`{cls.name}`", PROTOCOL, re.M)
    assert heading, f"docs/protocol.md has no section for {cls.name}"
    section = PROTOCOL[heading.end():].split("\n### ")[0]
    for key, setting in cls.settings_schema.items():
        words = {"int": "integer", "float": "number", "bool": "bool"}[setting.kind]
        bounds = "" if setting.kind == "bool" else rf"(?: seconds)? {setting.lo}–{setting.hi}"
        pattern = rf"`{key}` \({words}{bounds}, default {setting.default}\)"
        assert re.search(pattern, section), f"docs/protocol.md: {cls.name} should say {pattern}"


@pytest.mark.parametrize("cls", [c for c in GAMES.values() if c.reasons], ids=lambda c: c.name)
def test_protocol_md_lists_a_game_s_own_reasons_in_its_section(cls):
    heading = re.search(rf"^### .*\(`{cls.name}`", PROTOCOL, re.M)
    assert heading, f"docs/protocol.md has no section for {cls.name}"
    listed = re.search(r"Reasons: ([^.]*)\.", PROTOCOL[heading.end():].split("\n### ")[0])
    assert listed and set(re.findall(r"`(\w+)`", listed.group(1))) >= set(cls.reasons), (
        f"docs/protocol.md: {cls.name}'s section should list its reasons (Reasons: ...)")


def error_codes_answered() -> set[str]:
    """The `error` codes game/views.py and views_replays.py can answer."""
    source = (ROOT / "game" / "views.py").read_text() + (ROOT / "game" / "views_replays.py").read_text()
    codes = set(re.findall(r'ApiError\(\d{3}, "([a-z_]+)"', source))
    codes |= set(re.findall(r'api_error\(\d{3}, "([a-z_]+)"', source))
    codes |= set(re.findall(r'\{"error": "([a-z_]+)"', source))
    return codes


def test_api_md_lists_every_error_code_the_api_answers():
    codes = error_codes_answered()
    assert {"bad_json", "bad_field", "not_found", "server_error", "method_not_allowed"} <= codes
    for code in codes:
        assert re.search(rf"^\| \d{{3}} \| `{code}` \|", API, re.M), f"docs/api.md does not list error {code}"


def test_api_md_documents_every_api_path():
    paths = {str(p.pattern) for p in urls.urlpatterns if str(p.pattern).startswith("api/")}
    for path in paths:
        documented = "/" + re.sub(r"<(?:str|int|lobbycode):(\w+)>", r"<\1>", path).replace("match_id", "id")
        assert f"`GET {documented}`" in API or f"`POST {documented}`" in API, f"docs/api.md lacks {documented}"
    assert "(api.md)" in PROTOCOL  # linked from the protocol


def saved_reasons() -> set[str]:
    """Every reason a match can be saved with, read from the code that saves them."""
    source = "".join(p.read_text() for p in (ROOT / "game").rglob("*.py"))
    closes = set(re.findall(r'\.close\("([a-z_]+)"', source)) - {"no_show"}  # no_show: before any match
    closes |= {"staff", "host"}  # cmd_close: "staff" if ... else "host"
    abandons = set(re.findall(r'\.abandon\("([a-z_]+)"', source))
    others = set(re.findall(r'"reason": "([a-z_]+)"', source)) - {"aborted"}
    game_reasons = set(re.findall(r'_finish\("([a-z_]+)"\)|self\.reason = True, "([a-z_]+)"', source))
    return ({f"lobby_{c}" for c in closes} | abandons | others
            | {r for pair in game_reasons for r in pair if r} | {"score_limit"})


def test_protocol_md_lists_every_saved_match_reason():
    reasons = saved_reasons()
    assert {"lobby_host", "lobby_staff", "lobby_server_error", "lobby_shutdown", "lease_lost", "owner_lost",
            "time_up", "forfeit"} <= reasons
    table = PROTOCOL[PROTOCOL.index("## Match-over reasons"):PROTOCOL.index("## Matchmaking")]
    for reason in reasons:
        assert f"`{reason}`" in table, f"docs/protocol.md's match-over reasons lack {reason}"
