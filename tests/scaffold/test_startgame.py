"""`manage.py startgame NAME`, run in a copy of the project: it writes the game's own files and
its register line, and what it wrote passes its own tests, the contract every game owes, the
rule that no game's name leaks into shared code, and the browser registry's checks.
(tests/browser/test_new_game.py plays the new game in the browser.)"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from game.scaffold import NewGame, ScaffoldError, check_name, document, register
from tests.scaffold.newgame import project_with_new_game, run_in

NAME = "star_dash"
OWN_FILES = [f"game/rules/{NAME}.py", f"frontend/src/games/{NAME}.js", f"game/bots/{NAME}.py",
             f"tests/rules/test_{NAME}.py", f"tests/bots/test_{NAME}.py"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_with_new_game(tmp_path_factory.mktemp("startgame") / "project", NAME, "--title", "Star dash")


def test_startgame_writes_the_game_s_files_and_one_register_line(project):
    for path in OWN_FILES:
        assert (project / path).is_file(), path
    registry = (project / "game/rules/__init__.py").read_text()
    assert registry.splitlines()[-1] == "register(star_dash.StarDash)"
    assert re.search(r"^from game\.rules import (\w+, )+star_dash$", registry, re.M)
    assert "### Star dash (`star_dash`, 2–8 players)" in (project / "docs/protocol.md").read_text()


def test_the_new_game_is_listed_with_its_settings_input_and_bots(project):
    code = ("from game.rules import get_game; from game.bots import has_policy; g = get_game('star_dash'); "
            "print(g.title, g.describe_settings()['score_limit'], sorted(g.describe_input()), has_policy(g.name))")
    done = run_in(project, "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("Star dash {'type': 'int', 'default': 5, 'min': 1, 'max': 100} "
                                   "['mx', 'my', 'tx', 'ty'] True")


def test_the_new_game_passes_its_tests_the_contract_and_the_name_rule(project):
    done = run_in(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"tests/rules/test_{NAME}.py",
                  f"tests/bots/test_{NAME}.py", "tests/rules/test_contract.py", "tests/rules/test_registry.py",
                  "tests/project/test_game_names.py",
                  "tests/project/test_docs_contract.py::test_protocol_md_gives_each_game_settings_type_range_and_default",
                  "tests/bots/test_policies.py::test_policy_modules_import_nothing_impure")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_browser_registry_takes_the_new_game_s_module(project):
    done = run_in(project, "-c", "import subprocess, sys; sys.exit(subprocess.call(['node', '--test', "
                                 "'tests/frontend/registry.test.mjs']))")
    assert done.returncode == 0, done.stdout[-3000:]


def test_startgame_refuses_a_taken_or_bad_name_and_writes_nothing(project):
    before = sorted(p.relative_to(project) for p in (project / "game").rglob("*.py"))
    for name, why in (("arena", "registered already"), (NAME, "registered already"), ("Star-Dash", "cannot name"),
                      ("class", "cannot name"), ("base", "cannot name")):
        done = run_in(project, "manage.py", "startgame", name)
        assert done.returncode != 0 and why in done.stderr, (name, done.stderr)
    assert sorted(p.relative_to(project) for p in (project / "game").rglob("*.py")) == before


def test_a_file_in_the_way_stops_the_scaffold(tmp_path):
    (tmp_path / "game/bots").mkdir(parents=True)
    (tmp_path / "game/bots/dots.py").write_text("")
    with pytest.raises(ScaffoldError, match=r"game/bots/dots\.py exists"):
        check_name("dots", tmp_path, {"arena"})


def test_registering_adds_the_import_and_a_register_line_after_the_others():
    text = "from game.rules import arena, pong\n\nGAMES = {}\n\nregister(arena.Arena)\nregister(pong.Pong)\n"
    assert register(text, NewGame("tic_tac_toe", "Tic tac toe")) == (
        "from game.rules import arena, pong, tic_tac_toe\n\nGAMES = {}\n\n"
        "register(arena.Arena)\nregister(pong.Pong)\nregister(tic_tac_toe.TicTacToe)\n")
    with pytest.raises(ScaffoldError, match="by hand"):
        register("GAMES = {}\n", NewGame("dots", "Dots"))


def test_the_game_s_section_goes_at_the_end_of_the_games_section():
    text = "# Protocol\n\n## Games\n\n### Old (`old`)\n\nold.\n\n## Later\n\nlater.\n"
    out = document(text, NewGame("dots", "Dots"))
    assert out.index("### Old") < out.index("### Dots (`dots`") < out.index("## Later")
    assert document("# Protocol\n", NewGame("dots", "Dots")).startswith("# Protocol\n\n## Games\n\n### Dots")
