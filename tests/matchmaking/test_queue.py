"""The pure matchmaking queue: windows, grouping, fairness and its properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.matchmaking.queue import DuplicateTicket, MatchQueue, QueuePolicy, Ticket

PAIRS = QueuePolicy(size=2, min_size=2)
ARENA = QueuePolicy(size=8, min_size=2, fill_wait_s=10.0)


def ticket(identity: str, rating: float, joined_at: float = 0.0, rd: float = 50.0) -> Ticket:
    return Ticket(identity=identity, name=identity, rating=rating, rd=rd, joined_at=joined_at)


def queue_of(policy: QueuePolicy, *tickets: Ticket) -> MatchQueue:
    queue = MatchQueue(policy)
    for t in tickets:
        queue.add(t)
    return queue


def names(groups: list[list[Ticket]]) -> list[list[str]]:
    return [[t.identity for t in group] for group in groups]


# -- the window ------------------------------------------------------------------------------
def test_the_window_starts_at_the_base_and_widens_with_waiting_up_to_the_cap():
    t = ticket("a", 1500, joined_at=100.0)
    assert PAIRS.window(t, 100.0) == 100.0
    assert PAIRS.window(t, 104.0) == 300.0
    assert PAIRS.window(t, 1000.0) == PAIRS.max_window


def test_an_uncertain_rating_starts_with_a_window_as_wide_as_its_deviation():
    assert PAIRS.window(ticket("new", 1500, rd=350.0), 0.0) == 350.0
    assert PAIRS.window(ticket("new", 1500, rd=350.0), 2.0) == 450.0


def test_policy_for_a_game_clamps_the_minimum_between_the_games_bounds():
    assert QueuePolicy.for_game(min_players=2, max_players=2) == QueuePolicy(size=2, min_size=2)
    arena = QueuePolicy.for_game(min_players=2, max_players=8, min_size=4, fill_wait_s=5.0)
    assert (arena.size, arena.min_size, arena.fill_wait_s) == (8, 4, 5.0)
    assert QueuePolicy.for_game(min_players=2, max_players=8, min_size=1).min_size == 2
    with pytest.raises(ValueError):
        QueuePolicy(size=2, min_size=3)


# -- grouping --------------------------------------------------------------------------------
def test_two_close_players_are_paired_at_once():
    queue = queue_of(PAIRS, ticket("a", 1500), ticket("b", 1560))
    assert names(queue.form_matches(0.0)) == [["a", "b"]]
    assert len(queue) == 0


def test_a_gap_wider_than_both_windows_waits_until_the_windows_grow():
    queue = queue_of(PAIRS, ticket("a", 1500), ticket("b", 1800))
    assert queue.form_matches(0.0) == [] and len(queue) == 2
    assert queue.form_matches(3.9) == []  # windows are 295 after 3.9 s
    assert names(queue.form_matches(4.0)) == [["a", "b"]]


def test_everyone_in_a_group_must_accept_the_gap_not_only_the_one_who_waited():
    queue = queue_of(PAIRS, ticket("old", 1500, joined_at=0.0), ticket("new", 1800, joined_at=9.0))
    # old's window is 550 by now, new's only 100: new does not accept a 300-point gap yet.
    assert queue.form_matches(9.0) == []
    assert names(queue.form_matches(13.0)) == [["old", "new"]]


def test_the_oldest_ticket_is_served_first_with_its_nearest_rating():
    queue = queue_of(PAIRS, ticket("c", 1530, joined_at=2.0), ticket("a", 1500, joined_at=0.0),
                     ticket("b", 1450, joined_at=1.0), ticket("d", 1600, joined_at=3.0))
    # a (oldest) takes its nearest: c (30 away) before b (50 away); b and d pair with what is left.
    assert names(queue.form_matches(5.0)) == [["a", "c"], ["b", "d"]]


def test_equal_gaps_go_to_the_older_ticket():
    queue = queue_of(PAIRS, ticket("anchor", 1500, joined_at=0.0), ticket("low", 1450, joined_at=2.0),
                     ticket("high", 1550, joined_at=1.0))
    assert names(queue.form_matches(3.0)) == [["anchor", "high"]]


def test_arena_forms_a_full_lobby_at_once_and_a_smaller_one_only_after_the_fill_wait():
    queue = queue_of(ARENA, *(ticket(f"p{i}", 1500 + i, joined_at=0.0) for i in range(3)))
    assert queue.form_matches(9.9) == []
    assert [len(g) for g in queue.form_matches(10.0)] == [3]
    full = queue_of(ARENA, *(ticket(f"p{i}", 1500 + i, joined_at=0.0) for i in range(10)))
    groups = full.form_matches(0.0)
    assert [len(g) for g in groups] == [8] and len(full) == 2


def test_groups_are_listed_in_rating_order():
    queue = queue_of(PAIRS, ticket("hi", 1550, joined_at=0.0), ticket("lo", 1500, joined_at=1.0))
    assert names(queue.form_matches(1.0)) == [["lo", "hi"]]


def test_duplicates_and_a_full_queue_are_refused():
    queue = MatchQueue(PAIRS, max_tickets=1)
    queue.add(ticket("a", 1500))
    with pytest.raises(DuplicateTicket):
        queue.add(ticket("a", 1600))
    with pytest.raises(OverflowError):
        queue.add(ticket("b", 1500))
    assert queue.remove("a").rating == 1500 and queue.remove("a") is None


def test_positions_count_from_the_longest_waiting():
    queue = queue_of(PAIRS, ticket("b", 1000, joined_at=2.0), ticket("a", 3000, joined_at=1.0))
    assert queue.positions() == {"a": 1, "b": 2}


def test_the_same_queue_gives_the_same_groups():
    tickets = [ticket(f"p{i}", 1500 + (i * 37) % 400, joined_at=i * 0.1) for i in range(40)]
    first = names(queue_of(ARENA, *tickets).form_matches(12.0))
    again = names(queue_of(ARENA, *reversed(tickets)).form_matches(12.0))
    assert first == again and first


# -- properties ------------------------------------------------------------------------------
ratings = st.floats(min_value=500, max_value=2500, allow_nan=False)
tickets_st = st.lists(st.tuples(ratings, st.floats(min_value=0, max_value=60), st.floats(min_value=30, max_value=350)),
                      max_size=60)
policies = st.builds(lambda size, low, fill: QueuePolicy(size=size, min_size=min(low, size), fill_wait_s=fill),
                     st.integers(1, 8), st.integers(1, 8), st.floats(min_value=0, max_value=20))


def build(policy: QueuePolicy, rows: list[tuple[float, float, float]]) -> MatchQueue:
    return queue_of(policy, *(ticket(f"p{i}", r, joined_at=j, rd=rd) for i, (r, j, rd) in enumerate(rows)))


@given(policies, tickets_st, st.floats(min_value=60, max_value=120))
def test_nobody_is_matched_twice_and_every_group_fits_every_members_window(policy, rows, now):
    queue = build(policy, rows)
    before = {t.identity for t in queue.tickets()}
    groups = queue.form_matches(now)
    matched = [t.identity for g in groups for t in g]
    assert len(matched) == len(set(matched))
    assert set(matched) | {t.identity for t in queue.tickets()} == before
    assert not set(matched) & {t.identity for t in queue.tickets()}
    for group in groups:
        assert policy.min_size <= len(group) <= policy.size
        spread = max(t.rating for t in group) - min(t.rating for t in group)
        assert all(spread <= policy.window(t, now) for t in group)
        anchor = min(group, key=lambda t: (t.joined_at, t.identity))
        assert len(group) == policy.size or now - anchor.joined_at >= policy.fill_wait_s


@given(policies, tickets_st)
def test_once_every_window_is_at_the_cap_everybody_is_matched_but_a_remainder(policy, rows):
    queue = build(policy, rows)
    wide = policy.max_window  # ratings span 2000 at most: let the cap cover them
    wide_policy = QueuePolicy(size=policy.size, min_size=policy.min_size, fill_wait_s=policy.fill_wait_s,
                              max_window=max(wide, 2000.0))
    queue.policy = wide_policy
    later = 60.0 + (wide_policy.max_window / wide_policy.widen_per_s) + wide_policy.fill_wait_s
    groups = queue.form_matches(later)
    assert len(queue) < wide_policy.min_size
    assert sum(len(g) for g in groups) == len(rows) - len(queue)


@given(tickets_st)
def test_matching_is_deterministic(rows):
    first = names(build(ARENA, rows).form_matches(30.0))
    assert names(build(ARENA, rows).form_matches(30.0)) == first
