"""Liar's Dice: a turn-based game of hidden dice and bluffing, for 2 to 4 players.

Each player rolls their dice under a cup: they see their own, nobody sees the others'. In
turn, players bid on all the dice on the table ("at least 5 fours"): each bid names more
dice than the last, or as many of a higher face. Instead of bidding, a player may call the
last bid a lie: the cups lift. With ``wild_ones``, ones count as any face (except in a bid
on ones). When the table holds at least the bid, the caller loses a die, otherwise the
bidder does; that player opens the next round, everyone rolls again. A player without dice
is out; the last one with dice wins.

Every turn has a clock (``turn_time``); a player whose clock runs out calls the last bid,
or when there is none, bids one of their first die's face. While the cups are lifted
(``REVEAL_S``) every view shows every die.

The state as each player sees it is ``view(seat)``: their own entity has ``d`` (their dice),
the others only ``k`` (how many they hold). Spectators (``view(None)``) see no dice until a
reveal. ``snapshot()`` has everyone's dice: replays show it once the match is over.
"""

from __future__ import annotations

from typing import Any, ClassVar

from game.rules.base import (
    Event,
    Flag,
    Game,
    InputField,
    MoveRefused,
    Number,
    PlayerInfo,
    Result,
    Rng,
    Setting,
    Snapshot,
    player_key,
)

REVEAL_S = 4.0  # how long the lifted cups show before the next round
US = 1_000_000  # the clock counts microseconds
FACES = 6


def counts(dice: list[int], face: int, wild_ones: bool) -> int:
    """How many of ``dice`` count as ``face`` (ones as any face when wild, unless face 1)."""
    return sum(1 for d in dice if d == face or (wild_ones and face != 1 and d == 1))


def raises(q: int, f: int, bid_q: int, bid_f: int) -> bool:
    """Whether the bid (q, f) is higher than (bid_q, bid_f): more dice, or as many of a higher face."""
    return q > bid_q or (q == bid_q and f > bid_f)


class LiarsDice(Game):
    name = "liars_dice"
    title = "Liar's Dice"
    titles: ClassVar[dict[str, str]] = {"hi": "झूठा पासा"}
    min_players = 2
    max_players = 4
    rules_version = 1
    turn_based = True
    volatile: ClassVar[frozenset[str]] = frozenset({"tl"})
    settings_schema: ClassVar[dict[str, Setting]] = {
        "dice": Setting(5, lo=1, hi=6),
        "turn_time": Setting(30, lo=5, hi=120),
        "wild_ones": Setting(True),
    }
    input_schema: ClassVar[dict[str, InputField]] = {
        "bq": Number(0, 30, 0),  # bid: how many dice (0: no bid)
        "bf": Number(0, 6, 0),  # bid: which face
        "call": Flag(),  # call the last bid a lie
    }
    events: ClassVar[dict[str, str]] = {
        "bid": "player `id` bid `q` dice of face `f`",
        "call": "player `id` called the bid of `bidder` (`q` × `f`): `count` on the table; `loser` loses a die",
        "timeout": "player `id` ran out of time (the rules moved for them)",
        "out": "player `id` lost their last die",
    }
    refusals: ClassVar[dict[str, str]] = {
        "not_your_turn": "it is another player's turn",
        "not_bidding": "the cups are lifted: the next round has not begun",
        "bad_face": "a bid names a face from 1 to 6",
        "bad_quantity": "a bid names from 1 to all the dice on the table",
        "too_low": "a bid must name more dice, or as many of a higher face",
        "nothing_to_call": "there is no bid to call yet",
    }
    #: The match ends when one player is left with dice (docs/protocol.md: Liar's Dice).
    reasons: ClassVar[dict[str, dict[str, str]]] = {
        "last_standing": {"en": "last one standing", "hi": "आख़िरी बचे खिलाड़ी की जीत"},
    }

    def __init__(self, *, seed: int, players: list[PlayerInfo], settings: dict[str, Any]):
        super().__init__(seed=seed, players=players, settings=settings)
        self.rng = Rng(seed)
        self.names = {p.id: p.name for p in players}
        self.seats = [p.id for p in players]
        self.dice: dict[int, list[int]] = {p.id: [] for p in players}
        self.held = {p.id: int(self.settings["dice"]) for p in players}  # dice each player has
        self.out_order: list[int] = []  # players out, first out first
        self.turn = self.seats[0]
        self.bid: tuple[int, int, int] | None = None  # (quantity, face, bidder)
        # Microseconds left of this turn (or of the reveal): an integer, so that many steps at
        # once (`skip`) end exactly where as many single steps would.
        self.left_us = US * int(self.settings["turn_time"])
        self.alive = len(self.seats)  # players holding dice
        self.revealed: dict[str, Any] | None = None  # while the cups are lifted
        self.round = 0
        self.pending: list[Event] = []
        self._roll()

    # -- the table -------------------------------------------------------------------------
    def _alive(self) -> list[int]:
        return [p for p in self.seats if self.held.get(p, 0) > 0]

    def _roll(self) -> None:
        self.round += 1
        for pid in self.seats:  # those out hold none (their last die shows only at its call)
            self.dice[pid] = sorted(self.rng.randint(1, FACES) for _ in range(self.held.get(pid, 0)))
        self.bid, self.revealed = None, None
        self.left_us = US * int(self.settings["turn_time"])

    def _next(self, pid: int) -> int:
        alive = self._alive()
        order = self.seats
        i = order.index(pid)
        for k in range(1, len(order) + 1):
            cand = order[(i + k) % len(order)]
            if cand in alive:
                return cand
        return pid

    def _table(self) -> int:
        return sum(self.held[p] for p in self._alive())

    # -- moves -----------------------------------------------------------------------------
    def apply_input(self, player: int, cleaned: Any) -> None:
        q, f, call = int(cleaned["bq"]), int(cleaned["bf"]), cleaned["call"]
        if not call and q == 0:
            return  # an empty input: no move
        if self.finished or self.held.get(player, 0) == 0:
            return  # out of the game: nothing to do
        if self.revealed is not None:
            raise MoveRefused("not_bidding")
        if player != self.turn:
            raise MoveRefused("not_your_turn")
        if call:
            if self.bid is None:
                raise MoveRefused("nothing_to_call")
            self._call(player)
            return
        if not 1 <= f <= FACES:
            raise MoveRefused("bad_face")
        if not 1 <= q <= self._table():
            raise MoveRefused("bad_quantity")
        if self.bid is not None and not raises(q, f, self.bid[0], self.bid[1]):
            raise MoveRefused("too_low")
        self._bid(player, q, f)

    def _bid(self, player: int, q: int, f: int) -> None:
        self.bid = (q, f, player)
        self.pending.append({"type": "bid", "id": player, "q": q, "f": f})
        self.turn = self._next(player)
        self.left_us = US * int(self.settings["turn_time"])

    def _call(self, player: int) -> None:
        q, f, bidder = self.bid
        wild = bool(self.settings["wild_ones"])
        count = sum(counts(self.dice[p], f, wild) for p in self._alive())
        loser = player if count >= q else bidder
        self.pending.append({"type": "call", "id": player, "bidder": bidder, "q": q, "f": f,
                             "count": count, "loser": loser})
        self.revealed = {"q": q, "f": f, "by": player, "bidder": bidder, "count": count, "loser": loser}
        self.held[loser] -= 1
        if self.held[loser] == 0:
            self._knock_out(loser)
        self.turn = loser if self.held[loser] > 0 else self._next(loser)
        self.left_us = int(US * REVEAL_S)

    def _knock_out(self, pid: int) -> None:
        self.alive -= 1
        self.out_order.append(pid)
        self.pending.append({"type": "out", "id": pid})

    def remove_player(self, player: int) -> None:
        if self.held.get(player, 0) > 0:
            self.held[player] = 0
            self.dice[player] = []
            self._knock_out(player)
            if self.turn == player:
                self.turn = self._next(player)
                if self.revealed is None:
                    self.left_us = US * int(self.settings["turn_time"])
            if self.bid is not None and self.bid[2] == player and self.revealed is None:
                self.bid = None  # nobody can lose a die for a bid of someone gone
        if self.alive <= 1:
            self.finished = True

    def step(self, dt: float) -> list[Event]:
        if self.finished:
            return []
        self.tick += 1
        self.left_us -= round(dt * US)
        if self.left_us <= 0:
            if self.revealed is not None:
                if self.alive <= 1:
                    self.finished = True
                else:
                    self._roll()
            else:
                self._timeout()
        if self.alive <= 1 and self.revealed is None:
            self.finished = True
        if not self.pending:
            return []
        events, self.pending = self.pending, []
        return events

    def skip(self, steps: int, dt: float) -> list[Event]:
        """Steps in which no move came, at once: only the clock moves (as ``steps`` steps
        would move it) until the step that runs it out, which is taken as one."""
        spent = round(dt * US)
        quiet = min(steps, (self.left_us - 1) // spent) if spent > 0 and not self.pending else 0
        if quiet > 0 and not self.finished:
            self.tick += quiet
            self.left_us -= quiet * spent
        return super().skip(steps - max(0, quiet), dt)

    def _timeout(self) -> None:
        """The timeout action: call the last bid, or open with one die of the first face held."""
        player = self.turn
        self.pending.append({"type": "timeout", "id": player})
        if self.bid is not None:
            self._call(player)
        else:
            self._bid(player, 1, self.dice[player][0] if self.dice[player] else 1)

    def wake_in(self) -> float | None:
        return None if self.finished else max(0.0, self.left_us / US)

    # -- what each one sees ----------------------------------------------------------------
    def _globals(self) -> dict[str, Any]:
        g: dict[str, Any] = {"tu": self.turn, "tl": round(max(0, self.left_us) / US, 1),
                             "tt": self.settings["turn_time"], "rd": self.round, "tot": self._table(),
                             "wo": bool(self.settings["wild_ones"])}
        if self.bid is not None:
            g["bq"], g["bf"], g["bb"] = self.bid
        if self.revealed is not None:
            g["rv"] = self.revealed
        return g

    def _entity(self, pid: int, show: bool) -> dict[str, Any]:
        held = self.held.get(pid, 0)
        e: dict[str, Any] = {"n": self.names[pid], "s": held, "k": held, "seat": self.seats.index(pid)}
        if show and self.dice[pid]:
            e["d"] = list(self.dice[pid])  # a loser's last die too, while the cups are lifted
        return e

    def view(self, seat: int | None) -> Snapshot:
        lifted = self.revealed is not None or self.finished
        return {"g": self._globals(),
                "e": {player_key(p): self._entity(p, lifted or p == seat) for p in self.seats if p in self.names}}

    def snapshot(self) -> Snapshot:
        return {"g": self._globals(), "e": {player_key(p): self._entity(p, True) for p in self.seats}}

    def result(self) -> Result:
        alive = sorted(self._alive(), key=lambda p: (-self.held[p], self.seats.index(p)))
        ranking = alive + list(reversed(self.out_order))
        ranking += [p for p in self.seats if p not in ranking]
        reason = "last_standing" if self.finished and len(alive) == 1 else "aborted"
        return Result(scores=dict(self.held), ranking=ranking,
                      winner=ranking[0] if len(alive) == 1 else None, reason=reason)
