"""The server's own work for one lobby, in-process, with no sockets: what each stage of a tick
costs, and what one input costs from its bytes to the lobby's queue.

    python -m game.loadtest.tickbench [--game arena] [--players 8] [--tick-rate 60] [--seconds 60]
    python -m game.loadtest.tickbench --lobbies 100 [--tick-rate 20] [--seconds 10]

One lobby of ``--players`` players plays for ``--seconds`` of game time. Each tick, every
player's input arrives as the load tester's bots send it (the same bytes) and goes through the
lobby consumer's `on_bytes`, as the server's read callback calls it; then the loop runs its
tick and writes the frames to each member's `Outbox`, whose ``send_now`` only counts them. It
prints µs per tick for each stage and µs per frame (one frame out and one input in, the unit
of docs/benchmarks.md), without the kernel's socket calls and the event loop. A benchmark,
not a test: figures move with the machine; compare runs on one machine, one after the other.

With ``--lobbies N`` it plays N such lobbies in real time instead, on the event loop (uvloop
where installed) and the monotonic clock, started as the server starts them (`LobbyLoop.start`),
so the scheduling of the ticks is counted too: one timer feeds every player's input once a tick
period (half a period after the tick grid; the bytes are made beforehand), and the figure is
the process's CPU time per frame over the window (`scheduled`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from game.loadtest import inproc


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")
    import django

    django.setup()


class _Timed:
    """Wraps a callable and adds its run time (ns) to ``spent[name]``."""

    def __init__(self, spent: dict[str, int], name: str, fn: Callable[..., Any]) -> None:
        self.spent, self.name, self.fn = spent, name, fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter_ns()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.spent[self.name] += time.perf_counter_ns() - began


async def _lobby(game: str, players: int, tick_rate: int, spent: dict[str, int], spectators: int = 0,
                 spectator_delay_s: int = 0):
    from game.engine.lobby import JoinRequest
    from game.engine.outbox import Outbox
    from game.rules import GAMES

    game_cls = GAMES[game]
    limit = {"arena": {"score_limit": 10**6, "time_limit_s": 10**6}}.get(game, {})
    loop = inproc.lobby_loop(game_cls, players, tick_rate,
                             {**limit, **({"spectator_delay": spectator_delay_s} if spectator_delay_s else {})})

    class TimedOutbox(Outbox):
        """The outbox, its `push_state` timed once the match plays (it has slots: no attribute to wrap)."""

        __slots__ = ()
        timing = False

        def push_state(self, data: bytes, *, full: bool) -> None:
            if not TimedOutbox.timing:
                return super().push_state(data, full=full)
            began = time.perf_counter_ns()
            try:
                return super().push_state(data, full=full)
            finally:
                spent["fan-out"] += time.perf_counter_ns() - began

    consumers = inproc.seat(loop, players, tick_rate, _SINK, TimedOutbox)
    for i in range(spectators):  # watchers: their frames go to a sink of their own
        loop.submit_join(JoinRequest(name=f"w{i}", role="spectator", identity=f"w:{i}",
                                     conn=TimedOutbox(inproc.never, inproc.never, send_now=_SPECTATOR_SINK.send_now)))
    loop.step_tick(1.0 / tick_rate)
    inproc.start(loop, consumers, tick_rate)
    # Time the stages: each wraps the one below it, so the report subtracts.
    game_obj = loop.match.game
    for name, owner, attr in (("tick", loop, "step_tick"), ("play", loop, "_play"),
                              ("broadcast", loop, "_broadcast_state"), ("step", game_obj, "step"),
                              ("snapshot", game_obj, "snapshot")):
        setattr(owner, attr, _Timed(spent, name, getattr(owner, attr)))
    from game import protocol
    from game.engine import broadcast
    for module, attr, name in ((broadcast, "diff", "diff"), (protocol, "encode_delta", "encode"),
                               (protocol, "encode_full", "encode")):
        original = getattr(module, attr)
        setattr(module, attr, _Timed(spent, name, original))
        _RESTORE.append((module, attr, original))
    loop.match.recorder = _TimedRecorder(loop.match.recorder, spent)
    TimedOutbox.timing = True
    return loop, consumers


class _TimedRecorder:
    """The match's replay recorder, its `input` and `inputs` timed (it has slots: no attribute to wrap)."""

    def __init__(self, recorder: Any, spent: dict[str, int]) -> None:
        self._recorder = recorder
        self.input = _Timed(spent, "replay log", recorder.input)
        if hasattr(recorder, "inputs"):  # (a tick's inputs in one call)
            self.inputs = _Timed(spent, "replay log", recorder.inputs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._recorder, name)


_RESTORE: list[tuple[Any, str, Any]] = []  # module attributes the bench wrapped, to put back


_SINK = inproc.Sink()  # the players' frames
_SPECTATOR_SINK = inproc.Sink()  # the watchers' frames


def run(game: str = "arena", players: int = 8, tick_rate: int = 60, seconds: float = 60.0, seed: int = 1,
        spectators: int = 0, spectator_delay_s: int = 0) -> dict:
    """Play one lobby for ``seconds`` of game time, watched by ``spectators`` (through the delayed
    feed when ``spectator_delay_s`` is set); returns µs per tick by stage, and the process's CPU."""
    _setup_django()
    from game.loadtest.bots import SHOTS_PER_S, encode_input

    spent: dict[str, int] = defaultdict(int)
    rng = random.Random(seed)

    async def main() -> dict:
        loop, consumers = await _lobby(game, players, tick_rate, spent, spectators, spectator_delay_s)
        dt = 1.0 / tick_rate
        ticks = int(seconds * tick_rate)
        fire_chance = min(1.0, SHOTS_PER_S * dt)
        moves = [(rng.choice((-1, 0, 1)), rng.choice((-1, 0, 1))) for _ in consumers]
        frames_before, watched_before, cpu_before = _SINK.frames, _SPECTATOR_SINK.frames, time.process_time_ns()
        for input_seq in range(1, ticks + 1):
            inputs = []
            for i, _consumer in enumerate(consumers):
                if rng.random() < 0.05:
                    moves[i] = (rng.choice((-1, 0, 1)), rng.choice((-1, 0, 1)))
                aim, fire = (rng.random() - 0.5) * 6.28, rng.random() < fire_chance
                inputs.append(encode_input(input_seq, *moves[i], aim, fire))
            began = time.perf_counter_ns()
            for consumer, data in zip(consumers, inputs, strict=True):
                consumer.on_bytes(data)
            spent["inputs in"] += time.perf_counter_ns() - began
            loop.clock.burn(dt)
            loop.step_tick(dt)
        cpu_ns = time.process_time_ns() - cpu_before
        frames = _SINK.frames - frames_before
        assert frames == ticks * len(consumers), f"{frames} frames in {ticks} ticks: inputs were refused?"
        return {"ticks": ticks, "frames": frames, "inputs": ticks * len(consumers),
                "spectator_frames": _SPECTATOR_SINK.frames - watched_before, "cpu_us_per_tick": cpu_ns / ticks / 1000}

    try:
        counts = asyncio.run(main())
    finally:
        while _RESTORE:
            module, attr, original = _RESTORE.pop()
            setattr(module, attr, original)
    ticks = counts["ticks"]
    per_tick = {name: ns / ticks / 1000 for name, ns in spent.items()}
    own = {
        "inputs in (bytes to the lobby's queue)": per_tick["inputs in"],
        "inputs applied and logged": per_tick["play"] - per_tick["step"],
        "  of which the replay log": per_tick["replay log"],
        "game step": per_tick["step"],
        "snapshot": per_tick["snapshot"],
        "delta": per_tick["diff"],
        "encode": per_tick["encode"],
        "fan-out to the outboxes": per_tick["fan-out"],
        "rest of the tick": per_tick["tick"] - per_tick["play"] - per_tick["broadcast"],
        "rest of the broadcast": (per_tick["broadcast"] - per_tick["snapshot"] - per_tick["diff"]
                                  - per_tick["encode"] - per_tick["fan-out"]),
    }
    total = per_tick["inputs in"] + per_tick["tick"]
    return {"per_tick_us": own, "total_us_per_tick": total, "us_per_frame": total * ticks / counts["frames"],
            **counts}


def scheduled(game: str = "arena", players: int = 8, tick_rate: int = 20, seconds: float = 10.0, lobbies: int = 100,
              seed: int = 1, warmup_s: float = 2.0, use_uvloop: bool = True) -> dict:
    """``lobbies`` lobbies of ``players`` played in real time for ``seconds`` (after ``warmup_s``),
    each player's input through its consumer's `on_bytes` once a tick period; returns the
    process's CPU per frame and how many ticks ran against how many were due."""
    _setup_django()
    from game.engine.clock import MonotonicClock
    from game.engine.lobby import Lobby, LobbyConfig
    from game.engine.loop import LobbyLoop
    from game.loadtest.bots import SHOTS_PER_S, encode_input
    from game.rules import GAMES

    game_cls = GAMES[game]
    limit = {"arena": {"score_limit": 10**6, "time_limit_s": 10**6}}.get(game, {})
    rng = random.Random(seed)
    dt = 1.0 / tick_rate
    feeds = int((seconds + warmup_s + 2) * tick_rate)
    sink = inproc.Sink()

    def inputs() -> list[bytes]:
        move, out, fire_chance = (0, 0), [], min(1.0, SHOTS_PER_S * dt)
        for seq in range(1, feeds + 1):
            if rng.random() < 0.05:
                move = (rng.choice((-1, 0, 1)), rng.choice((-1, 0, 1)))
            out.append(encode_input(seq, *move, (rng.random() - 0.5) * 6.28, rng.random() < fire_chance))
        return out

    async def main() -> dict:
        clock, loop = MonotonicClock(), asyncio.get_running_loop()
        lobby_loops, seated = [], []
        for i in range(lobbies):
            lobby = Lobby(LobbyConfig(code=f"B{i:05d}", name="bench", game_cls=game_cls, max_players=players,
                                      tick_rate_hz=tick_rate, settings={**game_cls.default_settings, **limit}))
            lobby_loop = LobbyLoop(lobby, clock=clock, hooks=inproc.Hooks(), countdown_s=0.0)
            consumers = inproc.seat(lobby_loop, players, tick_rate, sink)
            lobby_loop.step_tick(dt)
            inproc.start(lobby_loop, consumers, tick_rate)
            lobby_loops.append(lobby_loop)
            seated += [(consumer.on_bytes, inputs()) for consumer in consumers]
        fed = {"n": 0}

        def feed(at: float) -> None:
            n = fed["n"]
            if n < feeds:
                for on_bytes, data in seated:
                    on_bytes(data[n])
                fed["n"] = n + 1
            loop.call_at(at + dt, feed, at + dt)

        first = (int(loop.time() / dt) + 1.5) * dt
        loop.call_at(first, feed, first)
        for lobby_loop in lobby_loops:
            lobby_loop.start()
        await asyncio.sleep(warmup_s)
        ticks_before = sum(lp.tick for lp in lobby_loops)
        frames_before, cpu_before, wall_before = sink.frames, time.process_time_ns(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu_ns, wall = time.process_time_ns() - cpu_before, time.perf_counter() - wall_before
        frames, ticks = sink.frames - frames_before, sum(lp.tick for lp in lobby_loops) - ticks_before
        for lobby_loop in lobby_loops:
            lobby_loop.task.cancel()
        await asyncio.gather(*(lp.task for lp in lobby_loops), return_exceptions=True)
        return {"lobbies": lobbies, "tick_rate": tick_rate, "seconds": round(wall, 2), "frames": frames,
                "ticks_ran_per_due": round(ticks / (wall * tick_rate * lobbies), 4),
                "cpu_share": round(cpu_ns / 1e9 / wall, 3), "us_per_frame": round(cpu_ns / 1000 / max(frames, 1), 2)}

    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            use_uvloop = False
    runner = asyncio.Runner(loop_factory=uvloop.new_event_loop) if use_uvloop else asyncio.Runner()
    with runner:
        return {**runner.run(main()), "event_loop": "uvloop" if use_uvloop else "asyncio"}


def spectator_cost(game: str, players: int, tick_rate: int, seconds: float, spectators: int,
                   spectator_delay_s: int = 0) -> dict:
    """The lobby alone, then watched: the CPU a spectator frame adds, against a player's frame
    (one frame out and one input in, the simulation shared), both in-process (no socket calls)."""
    alone = run(game, players, tick_rate, seconds)
    watched = run(game, players, tick_rate, seconds, spectators=spectators, spectator_delay_s=spectator_delay_s)
    added = (watched["cpu_us_per_tick"] - alone["cpu_us_per_tick"]) * watched["ticks"]
    player = alone["cpu_us_per_tick"] / players
    spectator = added / watched["spectator_frames"] if watched["spectator_frames"] else float("nan")
    return {"spectators": spectators, "feed": "delayed" if spectator_delay_s else "live",
            "ticks": watched["ticks"], "spectator_frames": watched["spectator_frames"],
            "cpu_us_per_tick_alone": round(alone["cpu_us_per_tick"], 1),
            "cpu_us_per_tick_watched": round(watched["cpu_us_per_tick"], 1),
            "us_per_player_frame": round(player, 2), "us_per_spectator_frame": round(spectator, 2),
            "spectator_over_player": round(spectator / player, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--game", default="arena")
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--tick-rate", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=60.0, help="game time to play")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spectators", type=int, default=0,
                        help="also play the lobby watched by this many spectators, and print what a spectator frame "
                             "costs against a player's")
    parser.add_argument("--spectator-delay", type=int, default=0, help="seconds: the spectators watch the delayed feed")
    parser.add_argument("--lobbies", type=int, default=0,
                        help="play this many lobbies in real time on the event loop instead (CPU per frame, the "
                             "scheduling of ticks included)")
    parser.add_argument("--no-uvloop", action="store_true", help="with --lobbies: asyncio's own event loop")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.lobbies:
        out = scheduled(args.game, args.players, args.tick_rate, args.seconds, args.lobbies, args.seed,
                        use_uvloop=not args.no_uvloop)
        print(json.dumps(out) if args.json else "\n".join(f"  {k:24} {v}" for k, v in out.items()))
        return
    if args.spectators:
        out = spectator_cost(args.game, args.players, args.tick_rate, args.seconds, args.spectators,
                             args.spectator_delay)
        print(json.dumps(out) if args.json else "\n".join(f"  {k:38} {v}" for k, v in out.items()))
        return
    out = run(args.game, args.players, args.tick_rate, args.seconds, args.seed)
    if args.json:
        print(json.dumps(out))
        return
    print(f"{args.game}, {args.players} players, {args.tick_rate} Hz, {out['ticks']} ticks, "
          f"{out['frames']} frames, {out['inputs']} inputs")
    for name, us in out["per_tick_us"].items():
        print(f"  {name:42} {us:7.1f} µs a tick")
    print(f"  {'all (the timers included)':42} {out['total_us_per_tick']:7.1f} µs a tick, "
          f"{out['us_per_frame']:.2f} µs a frame")


if __name__ == "__main__":
    main()
