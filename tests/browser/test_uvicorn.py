"""The browser client against uvicorn as `make run-uvicorn` starts it (the game's websocket
protocol class, frames handed to the consumer inside the server's read callback), with
Chromium's own websocket (which offers per-message deflate, refused by the server here).

The tests are the daphne ones, imported so that they run again against this module's server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..liveserver import live_server
from .test_game import (  # noqa: F401  (collected again, against uvicorn)
    test_a_reload_during_a_match_takes_the_same_seat_back,
    test_refusals_read_as_messages_and_chat_is_plain_text,
    test_the_host_kicks_a_player_who_is_told_so,
    test_two_players_see_each_other_move_and_a_spectator_sees_the_same,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn on a fresh SQLite with a short countdown; yields its base URL."""
    with live_server(tmp_path_factory.mktemp("browser-uvicorn"), "uvicorn", GAME_COUNTDOWN_S="0.5") as base:
        yield base
