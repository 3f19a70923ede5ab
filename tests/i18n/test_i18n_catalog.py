"""The browser modules say nothing to people outside their catalog (tests/i18n/i18n_js.py says how it
is read), and the catalog has words for what the server sends them: every registered game's
settings, every HTTP API refusal code and every reason a match can end with (a game's own in its
module's words), in each language.
tests/frontend/i18n.test.mjs checks the catalog itself (every key in both languages)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from game.rules import GAMES
from tests.i18n.i18n_js import ALLOWED, untranslated

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

DUMP = """
import { readdirSync } from 'node:fs';
import './tests/frontend/msgpack-resolve.mjs';
const I = await import('./frontend/src/i18n.js');
const { reasonText } = await import('./frontend/src/ui/results.js');
const { settingKey } = await import('./frontend/src/ui/labels.js');
for (const file of readdirSync('frontend/src/games').filter((f) => f.endsWith('.js'))) {
  await import(`./frontend/src/games/${file}`);
}
const [games, reasons, ownReasons] = JSON.parse(process.argv[1]);
const messages = Object.fromEntries(I.LANGUAGES.map((c) => [c, I.messages(c)]));
const out = { languages: I.LANGUAGES, messages, reasons: {}, ownReasons: {}, settings: {} };
for (const code of I.LANGUAGES) {
  I.setLanguage(code);
  out.reasons[code] = Object.fromEntries(reasons.map((r) => [r, reasonText(r)]));
  out.ownReasons[code] = Object.fromEntries(Object.entries(ownReasons).map(
    ([game, list]) => [game, Object.fromEntries(list.map((r) => [r, reasonText(r, game)]))]));
}
for (const [game, keys] of Object.entries(games)) {
  out.settings[game] = Object.fromEntries(keys.map((k) => [k, settingKey(k, game)]));
}
console.log(JSON.stringify(out));
"""


def reasons_in_docs() -> list[str]:
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = text[text.index("## Match-over reasons"):text.index("## Matchmaking")]
    return sorted({code for cell in re.findall(r"^\| `\w+` \| ([^|]+) \|", section, re.M)
                   for code in re.findall(r"`(\w+)`", cell)})


def own_reasons() -> dict[str, list[str]]:
    """Each registered game's own match-over reasons (its rules' ``reasons``)."""
    return {name: sorted(cls.reasons) for name, cls in GAMES.items()}


@pytest.fixture(scope="module")
def catalog() -> dict:
    if NODE is None:
        pytest.skip("node is not installed: the browser's catalog cannot be loaded")
    games = {name: [*cls.default_settings, "bots", "bot_difficulty", "tick_rate", "broadcast_rate",
                   "spectator_delay", "max_players"]
             for name, cls in GAMES.items()}
    asked = json.dumps([games, reasons_in_docs(), own_reasons()])
    done = subprocess.run([NODE, "--input-type=module", "-e", DUMP, asked],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_browser_modules_show_people_only_catalog_text() -> None:
    found = {}
    for path in sorted((ROOT / "frontend" / "src").rglob("*.js")):
        relative = path.relative_to(ROOT).as_posix()
        if pieces := untranslated(relative, path.read_text(encoding="utf-8")):
            found[relative] = pieces
    assert found == {}, ("put these in the catalog (frontend/src/locale/*.js, or the game's MESSAGES) and look them "
                         "up with t(); text that is no text for people goes in tests/i18n/i18n_js.py ALLOWED, with why")


def test_the_scan_refuses_text_and_passes_keys_code_and_catalogs() -> None:
    src = """
    const LABELS = { stick: 'Move', fire: 'Fire' };
    el('span', { className: 'badge not-ready', textContent: ready ? t('badge.ready') : 'not ready' });
    notify(`Could not load ${what}.`, { kind: 'warn' });
    button.title = 'Kick';
    if (role === 'spectator') icon('lock', 'locked');
    throw new ProtocolError('the server sent a text frame');
    const key = t(`phase.${phase}`);
    box.setAttribute('aria-label', 'Dismiss'); box.setAttribute('d', 'M6 2h12v2');
    """
    assert untranslated("frontend/src/x.js", src) == [
        "Move", "Fire", "not ready", "Could not load  .", "Kick", "locked", "Dismiss"]
    assert untranslated("frontend/src/locale/en.js", "export default { a: 'Some words' };") == []
    assert untranslated("frontend/src/games/x.js", "export const MESSAGES = { en: { help: 'Move it' } };") == []


def test_every_allowance_is_still_needed() -> None:
    sources = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
               for p in (ROOT / "frontend" / "src").rglob("*.js")}
    for (glob, fragment), why in ALLOWED.items():
        used = any(Path(path).match(glob) and fragment in text for path, text in sources.items())
        assert why and used, (glob, fragment)


def test_every_registered_game_setting_has_a_label_in_every_language(catalog: dict) -> None:
    for game, keys in catalog["settings"].items():
        for key, found in keys.items():
            assert found, f"{game}: no label for the setting {key} (setting.<key> in locale/, or the game's MESSAGES)"
            for code in catalog["languages"]:
                assert catalog["messages"][code].get(found), (game, key, code)


def test_every_api_refusal_code_has_words(catalog: dict) -> None:
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "game").glob("views*.py"))
    codes = set(re.findall(r"(?:ApiError|api_error)\(\d+, \"(\w+)\"", sources))
    codes |= set(re.findall(r"\"error\": \"(\w+)\"", sources))
    assert {"not_found", "bad_field", "too_many_lobbies"} <= codes
    for code in sorted(codes):
        for language in catalog["languages"]:
            assert catalog["messages"][language].get(f"api.{code}"), f"api.{code} ({language})"


def test_every_match_over_reason_reads_in_every_language(catalog: dict) -> None:
    reasons = reasons_in_docs()
    assert {"score_limit", "time_up", "forfeit", "lobby_host", "owner_lost"} <= set(reasons)
    for language, texts in catalog["reasons"].items():
        for reason, text in texts.items():
            assert text and text != reason.replace("_", " "), (language, reason)
        if language == "hi":
            assert all(re.search("[\u0900-\u097f]", text) for text in texts.values())


def test_a_game_s_own_reasons_read_in_its_words_in_every_language(catalog: dict) -> None:
    assert "last_standing" in own_reasons()["liars_dice"] and "last_standing" not in reasons_in_docs()
    for language in catalog["languages"]:
        assert "reason.last_standing" not in catalog["messages"][language], "a game's words are in its module"
        for game, texts in catalog["ownReasons"][language].items():
            for reason, text in texts.items():
                own = catalog["messages"][language].get(f"game.{game}.reason.{reason}")
                assert own and own == text, (language, game, reason)
                if language == "hi":
                    assert re.search("[\u0900-\u097f]", text), (game, reason)
