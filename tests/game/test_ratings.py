"""Glicko-2 against the published example (Glickman 2013, section "Example")."""

from __future__ import annotations

import pytest

from game.ratings import Rating, match_updates, update


def test_the_published_example():
    player = Rating(1500, 200, 0.06)
    results = [(Rating(1400, 30), 1.0), (Rating(1550, 100), 0.0), (Rating(1700, 300), 0.0)]
    new = update(player, results)
    assert new.rating == pytest.approx(1464.06, abs=0.01)
    assert new.rd == pytest.approx(151.52, abs=0.01)
    assert new.volatility == pytest.approx(0.05999, abs=1e-5)


def test_a_player_who_did_not_play_grows_less_certain():
    new = update(Rating(1500, 50, 0.06), [])
    assert new.rating == 1500 and new.rd > 50


def test_the_winner_of_a_match_gains_and_the_loser_loses():
    ratings = {1: Rating(), 2: Rating(), 3: Rating()}
    new = match_updates(ratings, [2, 1, 3])
    assert new[2].rating > 1500 > new[3].rating
    assert new[1].rating == pytest.approx(1500, abs=1e-6)
