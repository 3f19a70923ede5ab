"""Glicko-2 ratings (Glickman, "Example of the Glicko-2 system", 2013). Pure: no Django.

Glicko-2 rather than Elo: it tracks how sure it is of each rating (the deviation ``rd``),
so new and returning players move fast and settled ones slowly, and a free-for-all
match is scored as a set of pairwise results against every opponent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SCALE = 173.7178
DEFAULT_RATING, DEFAULT_RD, DEFAULT_VOLATILITY = 1500.0, 350.0, 0.06
TAU = 0.5  # system constant: how much volatility may change
EPSILON = 1e-6


@dataclass(frozen=True)
class Rating:
    rating: float = DEFAULT_RATING
    rd: float = DEFAULT_RD
    volatility: float = DEFAULT_VOLATILITY


def _g(phi: float) -> float:
    return 1.0 / math.sqrt(1.0 + 3.0 * phi * phi / (math.pi * math.pi))


def _e(mu: float, mu_j: float, phi_j: float) -> float:
    return 1.0 / (1.0 + math.exp(-_g(phi_j) * (mu - mu_j)))


def _new_volatility(sigma: float, phi: float, v: float, delta: float, tau: float) -> float:
    """Step 5 of the paper: the Illinois algorithm for the new volatility."""
    a = math.log(sigma * sigma)

    def f(x: float) -> float:
        ex = math.exp(x)
        return ex * (delta * delta - phi * phi - v - ex) / (2 * (phi * phi + v + ex) ** 2) - (x - a) / (tau * tau)

    big_a = a
    if delta * delta > phi * phi + v:
        big_b = math.log(delta * delta - phi * phi - v)
    else:
        k = 1
        while f(a - k * tau) < 0:
            k += 1
        big_b = a - k * tau
    f_a, f_b = f(big_a), f(big_b)
    while abs(big_b - big_a) > EPSILON:
        big_c = big_a + (big_a - big_b) * f_a / (f_b - f_a)
        f_c = f(big_c)
        if f_c * f_b <= 0:
            big_a, f_a = big_b, f_b
        else:
            f_a /= 2
        big_b, f_b = big_c, f_c
    return math.exp(big_a / 2)


def update(player: Rating, results: list[tuple[Rating, float]], *, tau: float = TAU) -> Rating:
    """The player's rating after one rating period of ``results``: (opponent, score) pairs
    with score 1 for a win, 0.5 for a draw, 0 for a loss."""
    mu, phi = (player.rating - DEFAULT_RATING) / SCALE, player.rd / SCALE
    if not results:
        return Rating(player.rating, min(DEFAULT_RD, SCALE * math.sqrt(phi * phi + player.volatility ** 2)),
                      player.volatility)
    terms = [((o.rating - DEFAULT_RATING) / SCALE, o.rd / SCALE, s) for o, s in results]
    v = 1.0 / sum(_g(pj) ** 2 * _e(mu, mj, pj) * (1 - _e(mu, mj, pj)) for mj, pj, _s in terms)
    delta = v * sum(_g(pj) * (s - _e(mu, mj, pj)) for mj, pj, s in terms)
    sigma = _new_volatility(player.volatility, phi, v, delta, tau)
    phi_star = math.sqrt(phi * phi + sigma * sigma)
    phi_new = 1.0 / math.sqrt(1.0 / (phi_star * phi_star) + 1.0 / v)
    mu_new = mu + phi_new * phi_new * sum(_g(pj) * (s - _e(mu, mj, pj)) for mj, pj, s in terms)
    return Rating(DEFAULT_RATING + SCALE * mu_new, SCALE * phi_new, sigma)


def match_updates(ratings: dict[int, Rating], ranking: list[int] | dict[int, int]) -> dict[int, Rating]:
    """New ratings after one match: each player against every other. ``ranking`` is the
    finishing order (earlier beats later) or each player's place, where players who share
    a place score the 0.5 of a draw against each other."""
    places = ranking if isinstance(ranking, dict) else {pid: i for i, pid in enumerate(ranking)}
    out = {}
    for pid, place in places.items():
        results = [(ratings[other], _score(place, theirs)) for other, theirs in places.items() if other != pid]
        out[pid] = update(ratings[pid], results)
    return out


def _score(place: int, theirs: int) -> float:
    return 1.0 if place < theirs else 0.5 if place == theirs else 0.0
