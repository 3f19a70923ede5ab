"""A matchmaking queue of one game: tickets in, groups of similar rating out. Pure: no
Django, no asyncio, no clock of its own (every call takes ``now``, in seconds).

The rule (docs/matchmaking.md has the reasoning and the figures):

- a ticket's *window* is how far from its own rating it accepts others; it starts at
  ``max(base_window, rd)`` (a rating known only to ±350 is no reason to refuse a 300-point
  gap) and widens by ``widen_per_s`` for every second of waiting, up to ``max_window``;
- a group is acceptable when its rating spread (highest minus lowest) is within the window of
  *every* member: everyone in it accepts everyone else;
- groups are formed oldest ticket first: each unmatched ticket in turn, by joining time, is the
  *anchor* and takes its nearest-rated unmatched neighbours (nearest first, older first on ties)
  while the group stays acceptable, up to ``size``; a group of fewer (at least ``min_size``)
  forms only once its anchor has waited ``fill_wait_s``.

`MatchQueue.form_matches` costs O(n log n): one sort by rating, then a walk over a linked list
in rating order from which matched tickets are unlinked in O(1); each anchor looks at no more
than ``size`` accepted plus ``max_skips`` refused neighbours on each side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Ticket:
    """One player waiting: who, their rating and deviation, and since when."""

    identity: str
    name: str
    rating: float
    rd: float
    joined_at: float


@dataclass(frozen=True)
class QueuePolicy:
    """How a queue groups tickets; `for_game` gives a game's defaults."""

    size: int  # the lobby size a group is formed at when enough players are close in rating
    min_size: int  # the smallest group formed, once its anchor waited fill_wait_s
    base_window: float = 100.0
    widen_per_s: float = 50.0
    max_window: float = 1000.0
    fill_wait_s: float = 10.0
    max_skips: int = 8  # refused neighbours each side an anchor looks past (bounds the work)

    def __post_init__(self) -> None:
        if not 1 <= self.min_size <= self.size:
            raise ValueError(f"need 1 <= min_size ({self.min_size}) <= size ({self.size})")
        if self.base_window < 0 or self.widen_per_s < 0 or self.max_window < self.base_window:
            raise ValueError("windows must be >= 0 and max_window >= base_window")
        if self.fill_wait_s < 0 or self.max_skips < 0:
            raise ValueError("fill_wait_s and max_skips must be >= 0")

    @classmethod
    def for_game(cls, *, min_players: int, max_players: int, **overrides: float) -> QueuePolicy:
        """Full lobbies of ``max_players``; at least ``min_players`` after ``fill_wait_s``."""
        values = {"size": max_players, "min_size": min_players, **overrides}
        values["min_size"] = max(min_players, min(int(values["min_size"]), int(values["size"])))
        return cls(**values)

    def window(self, ticket: Ticket, now: float) -> float:
        """The rating gap ``ticket`` accepts at ``now``."""
        waited = max(0.0, now - ticket.joined_at)
        start = max(self.base_window, ticket.rd if math.isfinite(ticket.rd) else self.max_window)
        return min(self.max_window, start + self.widen_per_s * waited)


class DuplicateTicket(Exception):
    """That identity is in the queue already."""


class MatchQueue:
    """The tickets of one game waiting for a match, in joining order."""

    def __init__(self, policy: QueuePolicy, *, max_tickets: int = 10_000) -> None:
        self.policy = policy
        self.max_tickets = max_tickets
        self._tickets: dict[str, Ticket] = {}  # identity -> ticket, in joining order

    def __len__(self) -> int:
        return len(self._tickets)

    def __contains__(self, identity: object) -> bool:
        return identity in self._tickets

    def get(self, identity: str) -> Ticket | None:
        return self._tickets.get(identity)

    def tickets(self) -> list[Ticket]:
        """Every waiting ticket, oldest first."""
        return sorted(self._tickets.values(), key=_age_key)

    @property
    def full(self) -> bool:
        return len(self._tickets) >= self.max_tickets

    def add(self, ticket: Ticket) -> None:
        """Queue ``ticket``; raises DuplicateTicket for an identity already waiting, and
        OverflowError when the queue holds ``max_tickets``."""
        if ticket.identity in self._tickets:
            raise DuplicateTicket(ticket.identity)
        if self.full:
            raise OverflowError("the queue is full")
        if not (math.isfinite(ticket.rating) and math.isfinite(ticket.joined_at)):
            raise ValueError("rating and joined_at must be finite")
        self._tickets[ticket.identity] = ticket

    def remove(self, identity: str) -> Ticket | None:
        return self._tickets.pop(identity, None)

    def positions(self) -> dict[str, int]:
        """Each identity's place in the queue, 1 for the one waiting longest."""
        return {t.identity: i for i, t in enumerate(self.tickets(), start=1)}

    def form_matches(self, now: float) -> list[list[Ticket]]:
        """Take every group that can form at ``now`` out of the queue; each group is listed
        in rating order, the groups in the order their anchors joined."""
        if len(self._tickets) < self.policy.min_size:
            return []
        ring = _RatingList(self._tickets.values(), self.policy, now)
        groups: list[list[Ticket]] = []
        for anchor in sorted(self._tickets.values(), key=_age_key):
            if ring.taken(anchor):
                continue
            group = ring.group_around(anchor, now)
            if group is not None:
                groups.append(group)
        for group in groups:
            for ticket in group:
                del self._tickets[ticket.identity]
        return groups


def _age_key(ticket: Ticket) -> tuple[float, str]:
    return (ticket.joined_at, ticket.identity)


def _rating_key(ticket: Ticket) -> tuple[float, float, str]:
    return (ticket.rating, ticket.joined_at, ticket.identity)


class _RatingList:
    """The unmatched tickets as a doubly linked list in rating order (O(1) unlinking)."""

    def __init__(self, tickets, policy: QueuePolicy, now: float) -> None:
        ordered = sorted(tickets, key=_rating_key)
        self.policy = policy
        self.tickets = ordered
        self.index = {t.identity: i for i, t in enumerate(ordered)}
        self.window = [policy.window(t, now) for t in ordered]
        self.prev = list(range(-1, len(ordered) - 1))
        self.next = list(range(1, len(ordered) + 1))
        self.gone = [False] * len(ordered)

    def taken(self, ticket: Ticket) -> bool:
        return self.gone[self.index[ticket.identity]]

    def _unlink(self, i: int) -> None:
        p, n = self.prev[i], self.next[i]
        if p >= 0:
            self.next[p] = n
        if n < len(self.tickets):
            self.prev[n] = p
        self.gone[i] = True

    def group_around(self, anchor: Ticket, now: float) -> list[Ticket] | None:
        """The group ``anchor`` forms now, unlinked from the list; None when it forms none."""
        policy, tickets, window = self.policy, self.tickets, self.window
        a = self.index[anchor.identity]
        members = [a]
        low = high = anchor.rating
        accepts = window[a]  # the narrowest window in the group so far
        left, right = self.prev[a], self.next[a]
        skips = {"left": 0, "right": 0}
        while len(members) < policy.size:
            pick = self._nearest(anchor, left, right, skips)
            if pick is None:
                break
            side, i = pick
            ticket = tickets[i]
            spread = max(high, ticket.rating) - min(low, ticket.rating)
            if spread <= min(accepts, window[i]):
                members.append(i)
                low, high = min(low, ticket.rating), max(high, ticket.rating)
                accepts = min(accepts, window[i])
            else:
                skips[side] += 1
            if side == "left":
                left = self.prev[i]
            else:
                right = self.next[i]
        waited = now - anchor.joined_at
        enough = len(members) == policy.size or (
            len(members) >= policy.min_size and waited >= policy.fill_wait_s)
        if not enough:
            return None
        for i in members:
            self._unlink(i)
        return sorted((tickets[i] for i in members), key=_rating_key)

    def _nearest(self, anchor: Ticket, left: int, right: int, skips: dict[str, int]) -> tuple[str, int] | None:
        """The closer in rating of the next candidates on each side (older first on ties);
        a side is done past the anchor's window or after ``max_skips`` refusals."""
        limit = self.window[self.index[anchor.identity]]  # no member can be farther than this
        options = []
        if left >= 0 and skips["left"] <= self.policy.max_skips:
            gap = anchor.rating - self.tickets[left].rating
            if gap <= limit:
                options.append((gap, _age_key(self.tickets[left]), "left", left))
        if right < len(self.tickets) and skips["right"] <= self.policy.max_skips:
            gap = self.tickets[right].rating - anchor.rating
            if gap <= limit:
                options.append((gap, _age_key(self.tickets[right]), "right", right))
        if not options:
            return None
        _gap, _age, side, i = min(options)
        return side, i
