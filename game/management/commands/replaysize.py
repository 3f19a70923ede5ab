"""`python manage.py replaysize`: what a replay costs, recorded three ways.

Plays simulated matches of every registered game with seeded random inputs that move like
people do (held keys, a drifting mouse, bursts of fire), records each with the engine's
own `ReplayRecorder`, then measures the same match as

- ``input log``: the replay blob the server stores (seed + input log, msgpack + zlib);
- ``keyframes``: every tick's full snapshot, msgpack (single floats, as the wire) + zlib;
- ``deltas``: the first snapshot, then each tick's delta (game.engine.delta), msgpack + zlib.

``--noise`` replaces the people with inputs drawn afresh every tick (the worst case for an
input log: nothing repeats). docs/replays.md quotes the output.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import statistics
import time
import zlib
from collections.abc import Callable
from typing import Any

import msgpack
from django.core.management.base import BaseCommand

from game.engine.delta import diff
from game.engine.replay import LEVEL, ReplayRecorder, simulate
from game.rules import GAMES
from game.rules.base import Game, MoveRefused, PlayerInfo

Sampler = Callable[[random.Random, dict[str, Any]], dict[str, Any]]


def person_arena(rng: random.Random, held: dict[str, Any]) -> dict[str, Any]:
    """Keys held for about 3/4 s, the mouse moving on half the ticks, fire in bursts."""
    if not held or rng.random() < 1 / 15:
        held["mx"], held["my"] = rng.choice((-1, 0, 1)), rng.choice((-1, 0, 1))
    if rng.random() < 0.5:
        held["aim"] = held.get("aim", 0.0) + rng.gauss(0.0, 0.15)
    if rng.random() < 0.1:
        held["fire"] = not held.get("fire", False)
    return {"mx": held["mx"], "my": held["my"], "aim": held.get("aim", 0.0), "fire": held.get("fire", False)}


def person_pong(rng: random.Random, held: dict[str, Any]) -> dict[str, Any]:
    """Up, down or still, held for about half a second."""
    if not held or rng.random() < 1 / 10:
        held["my"] = rng.choice((-1, 0, 1))
    return {"my": held["my"]}


def noise(rng: random.Random, held: dict[str, Any]) -> dict[str, Any]:
    """Every field drawn afresh each tick (games ignore the fields they do not know)."""
    return {"mx": rng.uniform(-1, 1), "my": rng.uniform(-1, 1), "aim": rng.uniform(-math.pi, math.pi),
            "fire": rng.random() < 0.3}


PEOPLE: dict[str, Sampler] = {"arena": person_arena, "pong": person_pong}


def play(game_cls: type[Game], *, players: int, tick_rate: int, seed: int, sampler: Sampler,
         settings: dict[str, Any] | None = None, max_ticks: int | None = None) -> tuple[bytes, int, dict[str, float]]:
    """One match from start to end with an input from every player every tick, recorded as
    the engine records it; returns the blob, the ticks it ran and what the recorder cost a
    tick in µs: ``mean``, ``p99`` and ``max`` over the ticks, and ``end`` (the encode). A game
    without a time limit stops after ``max_ticks``; a move the rules refuse is not recorded."""
    rng = random.Random(seed)
    seated = [PlayerInfo(i, f"player{i}") for i in range(1, players + 1)]
    settings = dict(settings or {})
    game = game_cls(seed=seed, players=seated, settings=settings)
    recorder = ReplayRecorder()
    recorder.start(game=game_cls, seed=seed, settings=settings, players=seated, tick_rate=tick_rate)
    held: dict[int, dict[str, Any]] = {p.id: {} for p in seated}
    ticks, dt, costs = 0, 1.0 / tick_rate, []
    while not game.finished and (max_ticks is None or ticks < max_ticks):
        spent = 0.0
        for p in seated:
            cleaned = game_cls.parse_input(sampler(rng, held[p.id]))
            try:
                game.apply_input(p.id, cleaned)
            except MoveRefused:
                continue
            began = time.perf_counter()
            recorder.input(ticks, p.id, cleaned)
            spent += time.perf_counter() - began
        game.step(dt)
        ticks += 1
        costs.append(spent * 1e6)
    began = time.perf_counter()
    blob = recorder.encode(ticks=ticks, result=game.result())
    end = (time.perf_counter() - began) * 1e6
    assert blob is not None
    costs.sort()
    return blob, ticks, {"mean": statistics.fmean(costs), "p99": costs[int(len(costs) * 0.99)], "max": costs[-1],
                         "end": end}


def pack(value: Any) -> bytes:
    """msgpack as state frames are packed (single floats)."""
    return msgpack.packb(value, use_bin_type=True, use_single_float=True)


def measure(blob: bytes) -> dict[str, int]:
    """The bytes of one match recorded each way (the frames come from re-running the blob)."""
    snapshots = [frame.snapshot for frame in simulate(blob)]
    deltas = [snapshots[0]] + [diff(a, b) for a, b in itertools.pairwise(snapshots)]
    return {"input_log": len(blob), "keyframes": len(zlib.compress(pack(snapshots), LEVEL)),
            "deltas": len(zlib.compress(pack(deltas), LEVEL)), "raw_keyframes": len(pack(snapshots))}


def survey(*, matches: int, tick_rate: int, seed: int, noisy: bool, seconds: int | None) -> list[dict[str, Any]]:
    """Median sizes per game and player count, over ``matches`` matches each."""
    rows = []
    for name, game_cls in GAMES.items():
        counts = sorted({game_cls.min_players, min(4, game_cls.max_players), game_cls.max_players})
        settings = {"time_limit_s": seconds} if seconds and "time_limit_s" in game_cls.default_settings else {}
        for players in counts:
            sampler = noise if noisy else PEOPLE.get(name, noise)
            runs = []
            for i in range(matches):
                blob, ticks, cost = play(game_cls, players=players, tick_rate=tick_rate, seed=seed + i,
                                         sampler=sampler, settings=settings,
                                         max_ticks=seconds * tick_rate if seconds and not settings else None)
                runs.append({"ticks": ticks, **{f"record_{k}_us": v for k, v in cost.items()}, **measure(blob)})
            median = {key: int(statistics.median(r[key] for r in runs)) for key in runs[0]}
            seconds_played = median["ticks"] / tick_rate
            rows.append({"game": name, "players": players, "tick_rate": tick_rate, "matches": matches, **median,
                         "input_log_bps": round(median["input_log"] / seconds_played),
                         "keyframes_bps": round(median["keyframes"] / seconds_played),
                         "deltas_bps": round(median["deltas"] / seconds_played)})
    return rows


class Command(BaseCommand):
    help = "Measure replay sizes: input log vs compressed keyframes vs compressed delta frames."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--matches", type=int, default=5, help="matches per game and player count")
        parser.add_argument("--tick-rate", type=int, default=20)
        parser.add_argument("--seconds", type=int, help="time limit of each match (the game's default if unset)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--noise", action="store_true", help="fresh random inputs every tick (worst case)")
        parser.add_argument("--json", action="store_true", help="print JSON rather than a table")

    def handle(self, *args, **opts) -> None:
        rows = survey(matches=opts["matches"], tick_rate=opts["tick_rate"], seed=opts["seed"],
                      noisy=opts["noise"], seconds=opts["seconds"])
        if opts["json"]:
            self.stdout.write(json.dumps(rows, indent=1))
            return
        self.stdout.write("| game | players | ticks | input log | keyframes | deltas | raw keyframes |"
                          " input log B/s | keyframes B/s | deltas B/s | recorder µs/tick mean · p99 · max |"
                          " encode µs |")
        self.stdout.write("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for r in rows:
            self.stdout.write(f"| {r['game']} | {r['players']} | {r['ticks']} | {r['input_log']:,} | "
                              f"{r['keyframes']:,} | {r['deltas']:,} | {r['raw_keyframes']:,} | "
                              f"{r['input_log_bps']:,} | {r['keyframes_bps']:,} | {r['deltas_bps']:,} | "
                              f"{r['record_mean_us']} · {r['record_p99_us']} · {r['record_max_us']:,} | "
                              f"{r['record_end_us']:,} |")
