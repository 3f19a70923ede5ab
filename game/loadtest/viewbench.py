"""What per-player views and turn-based play cost the server: two figures, printed (a
benchmark, not a test; docs/benchmarks.md, "Views and turns").

    python manage.py viewbench views [--players 8] [--tick-rate 20] [--rounds 6]
    python manage.py viewbench idle [--lobbies 1000] [--players 4] [--seconds 35]

``views``: one lobby of ``--players`` arena players, in-process as `tickbench` plays it (each
tick every player's input arrives as bytes through the consumer's `on_bytes`, the loop ticks
and writes the frames to each member's `Outbox`), once as the arena is (one view shared by
all) and once with fog of war (`FogArena`: each player sees the arena within ``FOG_PX`` of
themselves, so 8 players are 8 distinct views, each computed, diffed and encoded for its own
socket). The two run in interleaved segments of the same seed and inputs; it prints the CPU
(process time) per tick of each and their ratio.

``idle``: ``--lobbies`` Liar's Dice lobbies of ``--players`` connected players, in one server
process (uvicorn, started here) and real websockets from a client process (the load tester's
client), every match started and waiting for a move; it prints the server's CPU over three
windows of ``--seconds`` while nobody moves: no application message, then each client pinging
as the game page does for this game, then as it does by default (game.loadtest.idlebench).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time

from game.loadtest import inproc

FOG_PX = 500.0  # how far a FogArena player sees


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")
    import django

    django.setup()


def fog_arena() -> type:
    """The arena with fog of war: a player sees their own entity, and the players, bullets and
    pickups within ``FOG_PX``; spectators see everything."""
    from game.rules.arena import Arena

    class FogArena(Arena):
        name = "fog_arena"

        def view(self, seat: int | None) -> dict:
            whole = self._whole()
            if seat is None:
                return whole
            me = whole["e"].get(f"p{seat}")
            if me is None:
                return whole
            x, y, r2 = me["x"], me["y"], FOG_PX * FOG_PX
            seen = {}
            for eid, e in whole["e"].items():
                dx, dy = e["x"] - x, e["y"] - y
                if dx * dx + dy * dy <= r2 or (eid[0] == "p" and eid == f"p{seat}"):
                    seen[eid] = e
            return {"g": whole["g"], "e": seen}

        def _whole(self) -> dict:
            cached = getattr(self, "_cached", None)
            if cached is None or cached[0] != self.tick:
                cached = self._cached = (self.tick, self.snapshot())
            return cached[1]

    return FogArena


def _lobby(game_cls: type, players: int, tick_rate: int, sink: inproc.Sink):
    loop = inproc.lobby_loop(game_cls, players, tick_rate, {"score_limit": 3600, "time_limit_s": 3600})
    consumers = inproc.seat(loop, players, tick_rate, sink)
    inproc.start(loop, consumers, tick_rate)
    return loop, consumers


def views(players: int = 8, tick_rate: int = 20, rounds: int = 6, segment_ticks: int = 600, seed: int = 3) -> dict:
    """CPU per tick of one lobby with one shared view and with ``players`` distinct views."""
    _setup_django()
    from game.loadtest.bots import SHOTS_PER_S, encode_input
    from game.rules.arena import Arena

    kinds = {"shared": Arena, "views": fog_arena()}

    async def main() -> dict:
        sink = inproc.Sink()
        lobbies = {name: _lobby(cls, players, tick_rate, sink) for name, cls in kinds.items()}
        rngs = {name: random.Random(seed) for name in kinds}
        seqs = dict.fromkeys(kinds, 0)
        spent: dict[str, list[float]] = {name: [] for name in kinds}
        frames: dict[str, int] = dict.fromkeys(kinds, 0)
        dt = 1.0 / tick_rate
        fire_chance = min(1.0, SHOTS_PER_S * dt)
        for _ in range(rounds):
            for name in kinds:  # interleaved: A, B, A, B...
                loop, consumers = lobbies[name]
                rng = rngs[name]
                moves = [(rng.choice((-1, 0, 1)), rng.choice((-1, 0, 1))) for _ in consumers]
                before_frames = sink.frames
                began = time.process_time_ns()
                for _tick in range(segment_ticks):
                    seqs[name] += 1
                    for i, consumer in enumerate(consumers):
                        if rng.random() < 0.05:
                            moves[i] = (rng.choice((-1, 0, 1)), rng.choice((-1, 0, 1)))
                        consumer.on_bytes(encode_input(seqs[name], *moves[i], (rng.random() - 0.5) * 6.28,
                                                       rng.random() < fire_chance))
                    loop.clock.burn(dt)
                    loop.step_tick(dt)
                spent[name].append((time.process_time_ns() - began) / segment_ticks / 1000)
                frames[name] += sink.frames - before_frames
        return {"us_per_tick": {name: round(statistics.median(v), 1) for name, v in spent.items()},
                "segments_us": spent, "frames": frames, "ticks": rounds * segment_ticks}

    out = asyncio.run(main())
    us = out["us_per_tick"]
    out["ratio"] = round(us["views"] / us["shared"], 2)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    v = sub.add_parser("views")
    v.add_argument("--players", type=int, default=8)
    v.add_argument("--tick-rate", type=int, default=20)
    v.add_argument("--rounds", type=int, default=6)
    i = sub.add_parser("idle")
    i.add_argument("--lobbies", type=int, default=1000)
    i.add_argument("--players", type=int, default=4)
    i.add_argument("--seconds", type=float, default=35.0, help="each of three windows (all within the turn clock)")
    i.add_argument("--port", type=int, default=8765)
    for p in (v, i):
        p.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.what == "views":
        out = views(args.players, args.tick_rate, args.rounds)
        if args.json:
            print(json.dumps(out))
            return
        us = out["us_per_tick"]
        print(f"one lobby, {args.players} arena players, {args.tick_rate} Hz, {out['ticks']} ticks each, "
              f"interleaved segments")
        frames = out["frames"]
        print(f"  one shared view:          {us['shared']:8.1f} µs CPU a tick ({frames['shared']} frames)")
        print(f"  {args.players} distinct views (fog): {us['views']:8.1f} µs CPU a tick ({frames['views']} frames)")
        print(f"  ratio: {out['ratio']}x")
    else:
        from game.loadtest.idlebench import idle

        out = idle(args.lobbies, args.players, args.seconds, args.port)
        print(json.dumps(out) if args.json else "\n".join(f"  {k}: {v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
