"""A hostile run: set up the observer and the victim, measure a quiet baseline, play the
catalogue one attack (or group) at a time with an observer window each, check our lobbies
after each (replacing one that was harmed, so later verdicts stand on their own), clean up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from game.hostile.catalogue import select
from game.hostile.cpu import Sampler, server_pids
from game.hostile.measure import Recorder, clock_offset, window_stats
from game.hostile.outcome import Attack, Context, Plan, Result, Verdict
from game.hostile.report import Report
from game.hostile.stage import Match, SetupError, Stage
from game.hostile.target import Target, is_loopback

REPAIRS = 2  # replacements of a harmed lobby per run, at most
RETRY_UNDER_S = 5.0  # an attack this short whose only failure is the observer's loss is tried once more
GRACE_S = 5.0  # an attack begun in time may run this much past the run's time limit


def batches(attacks: list[Attack]) -> list[list[Attack]]:
    """Consecutive attacks of one group together; every other attack alone."""
    out: list[list[Attack]] = []
    for attack in attacks:
        if attack.group and out and out[-1][0].group == attack.group:
            out[-1].append(attack)
        else:
            out.append([attack])
    return out


async def attempt(ctx: Context, attack: Attack, left: float = float("inf")) -> tuple[Verdict, dict, float]:
    """Run one attack within its budget (and the ``left`` seconds of the run, and a few more):
    its verdict, facts and run time."""
    started, budget = time.monotonic(), min(attack.budget_s(ctx.plan), left + GRACE_S)
    try:
        facts = await asyncio.wait_for(attack.run(ctx), budget)
        verdict = attack.judge(facts)
    except TimeoutError:
        facts, verdict = {}, Verdict(False, f"did not finish in {budget:.0f} s")
    except Exception as exc:
        facts, verdict = {"exception": repr(exc)[:300]}, Verdict(False, f"could not attack: {exc}"[:120])
    return verdict, facts, round(time.monotonic() - started, 2)


def _difference(after: int | None, before: int | None) -> int:
    return after - before if after is not None and before is not None and after >= before else 0


def _only_observer_loss(results: list[Result]) -> bool:
    """Every expectation met, no harm, yet the observer lost frames, in a short window."""
    return (all(r.verdict.passed and not r.harm for r in results) and not all(r.observer_ok for r in results)
            and max(r.seconds for r in results) < RETRY_UNDER_S)


class Run:
    def __init__(self, target: Target, plan: Plan, progress: Callable[[str], None] | None = None) -> None:
        self.target, self.plan = target, plan
        self.progress = progress or (lambda text: None)
        self.recorder = Recorder()
        self.stage = Stage()
        self.repairs = {"observer": 0, "victim": 0}
        self.notes: list[str] = []
        self.matches: list[Match] = []  # every lobby of ours, closed at the end
        self.offset, self.rate = 0.0, 20  # server time -> our clock (from the baseline); the tick rate
        self.sampler: Sampler | None = None  # the server's CPU, when it runs on this machine

    async def start_match(self, label: str, recorder: Recorder | None) -> Match:
        match = Match(self.target, label, recorder)
        self.matches.append(match)
        return await self.stage.call(match.start())

    async def play(self, ctx: Context, batch: list[Attack], left: float) -> list[Result]:
        self.progress(" + ".join(a.name for a in batch))
        observer = ctx.observer
        before = observer.skipped if observer.skipped is not None else await observer.skipped_ticks()
        before_at, start = observer.skipped_at, time.monotonic()
        outcomes = await asyncio.gather(*(attempt(ctx, attack, left) for attack in batch))
        await asyncio.sleep(max(0.0, start + self.plan.min_window_s - time.monotonic()))
        end = time.monotonic()
        harm = await observer.intact(end) + await ctx.victim.intact(end)  # (reads the skipped ticks again)
        await observer.frames_after(observer.skipped_at)  # the frames of ticks run until that read
        window = self.window(start, end, _difference(observer.skipped, before), (before_at, observer.skipped_at))
        results = [Result(a.name, a.lobby, a.expected, verdict, facts, start, end, seconds, harm=list(harm),
                          window=window) for a, (verdict, facts, seconds) in zip(batch, outcomes, strict=True)]
        try:
            for which in ("observer", "victim"):
                if any(problem.startswith(which) or ctx.lobby(which).code in problem for problem in harm):
                    await self.replace(ctx, which, batch[0].name)
        except SetupError as exc:
            self.notes.append(f"stopped: {exc}")
        return results

    async def replace(self, ctx: Context, which: str, after: str) -> None:
        """Replace a harmed lobby with a fresh one (SetupError when it cannot be)."""
        if self.repairs[which] >= REPAIRS:
            raise SetupError(f"the {which} was harmed again (after {after}); stopping")
        self.repairs[which] += 1
        old = ctx.lobby(which)
        await self.stage.call(old.close())
        fresh = await self.start_match(which, old.recorder)
        setattr(ctx, which, fresh)
        self.notes.append(f"the {which} lobby {old.code} was harmed by {after}; replaced by {fresh.code}")

    async def run(self) -> Report:
        attacks = select(self.plan)
        began = time.monotonic()
        results: list[Result] = []
        try:
            await self.watch_cpu()
            self.progress("setting up the observer and the victim")
            observer = await self.start_match("observer", self.recorder)
            victim = await self.start_match("victim", None)
            ctx = Context(self.target, self.plan, observer, victim)
            baseline = await self.baseline(observer)
            for batch in batches(attacks):
                results += await self._next(ctx, batch, began)
        finally:
            await self._clean_up()
        return Report(url=self.target.origin, plan=self.plan, baseline=baseline, results=results,
                      seconds=round(time.monotonic() - began, 1), notes=self.notes, tick_rate=self.rate)

    async def baseline(self, observer: Match) -> dict:
        """The quiet window (measured again, once, if it lost frames: nothing attacks yet)."""
        self.rate = observer.tick_rate
        for _try in range(2):
            self.progress(f"baseline ({self.plan.baseline_s:.1f} s)")
            skipped, start = await observer.skipped_ticks(), time.monotonic()
            before_at = observer.skipped_at
            await asyncio.sleep(self.plan.baseline_s)
            end = time.monotonic()
            skipped = _difference(await observer.skipped_ticks(), skipped)
            span = (before_at, observer.skipped_at)
            await observer.intact(end)  # frames after the window are in
            await observer.frames_after(observer.skipped_at)
            self.offset = clock_offset([r for r in self.recorder.records if start <= r[1] < end])
            window = self.window(start, end, skipped, span)
            if window["lost"] == 0:
                break
            self.notes.append(f"the first baseline lost {window['lost']} frames; measured again")
        return window

    def window(self, start: float, end: float, skipped: int, span: tuple[float, float] | None = None) -> dict:
        samples = list(self.sampler.samples) if self.sampler is not None else None
        return window_stats(list(self.recorder.records), start, end, rate=self.rate, offset=self.offset,
                            skipped=skipped, samples=samples, span=span).as_dict()

    async def watch_cpu(self) -> None:
        """Sample the server's CPU when it runs here (a loopback target whose processes we may
        read), to tell ticks it skipped for want of a CPU from those an attack cost it."""
        where = f"{self.target.host}:{self.target.port}"
        if not await asyncio.to_thread(is_loopback, self.target.host):
            self.notes.append(f"the server's CPU is not read ({self.target.host} is not a loopback address): "
                              "every tick it skips counts as lost frames")
            return
        pids = await asyncio.to_thread(server_pids, self.target.port)
        try:
            self.sampler = Sampler(pids).start() if pids else None
        except OSError:
            self.sampler = None
        if self.sampler is None:
            self.notes.append(f"the server's CPU is not read (no process of ours listens on {where}, or /proc "
                              "cannot be read): every tick it skips counts as lost frames")
        else:
            self.notes.append(f"the server's CPU is read from /proc (process {', '.join(map(str, pids))}): "
                              "ticks it skipped while starved of a CPU are put down to machine load")

    async def _next(self, ctx: Context, batch: list[Attack], began: float) -> list[Result]:
        left = self.plan.time_limit_s - (time.monotonic() - began)
        stopped = next((note for note in self.notes if note.startswith("stopped")), None)
        if left < self.plan.min_window_s or stopped:
            reason = stopped or f"not run: the run's {self.plan.time_limit_s:.0f} s were spent"
            now = time.monotonic()
            return [Result(a.name, a.lobby, a.expected, Verdict(False, reason), {}, now, now, 0.0, ran=False)
                    for a in batch]
        results = await self.play(ctx, batch, left)
        if not _only_observer_loss(results) or time.monotonic() - began + RETRY_UNDER_S > self.plan.time_limit_s:
            return results
        first = results[0].window
        results = await self.play(ctx, batch, self.plan.time_limit_s - (time.monotonic() - began))
        for result in results:
            result.facts["first_try_observer"] = first
        second = "it lost frames again" if not all(r.observer_ok for r in results) else "it lost none (not counted)"
        self.notes.append(f"{' + '.join(a.name for a in batch)}: the observer lost {first['lost']} frames "
                          f"({first['skipped']} ticks skipped) on the first try; tried once more: {second}")
        return results

    async def _clean_up(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()
        try:
            await asyncio.wait_for(asyncio.gather(*(self.stage.call(m.close()) for m in self.matches)), 10)
        except (TimeoutError, OSError):
            self.notes.append("our lobbies could not all be closed; they close by themselves once empty")
        finally:
            self.stage.stop()



async def run(target: Target, plan: Plan, progress: Callable[[str], None] | None = None) -> Report:
    return await Run(target, plan, progress).run()
