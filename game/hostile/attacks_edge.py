"""Attacks at the edge, before a socket speaks the game: hostile query strings, foreign
Origin and Host on the upgrade, handshakes never finished, and too many sockets from one
address."""

from __future__ import annotations

import asyncio
import time

from game.hostile.client import (
    HandshakeError,
    Probe,
    handshake_status,
    lobby_path,
    open_probe,
    peer_dropped,
    raw_connection,
    upgrade_status,
)
from game.hostile.outcome import Context, Verdict, close_text

# -- query strings --------------------------------------------------------------------------

QUERIES = {
    "query-non-ascii": (["role=spectator&v=2&resume=%C3%A9", "role=player&token=%C3%A9"], 4001),
    "query-bad-role": (["role=host"], 4001),
    "query-bad-version": (["role=spectator&v=99"], 4000),
    "query-huge-name": (["role=spectator&name=" + "x" * 2000], 4001),
    "query-many-fields": (["role=spectator&" + "&".join(f"f{i}=1" for i in range(40))], 4001),
}


async def socket_outcome(ctx: Context, path: str, timeout: float = 5.0) -> dict:
    """What one websocket to ``path`` got: ``{"close", "welcome"}``, or ``{"http"}`` when the
    upgrade was refused, or ``{"failed"}`` when the connection failed."""
    try:
        probe = await open_probe(ctx.target, path, timeout=timeout)
    except HandshakeError as exc:
        return {"http": handshake_status(exc) or None, "failed": str(exc)[:80]}
    except (OSError, TimeoutError) as exc:
        return {"failed": f"{type(exc).__name__}: {exc}"[:80]}
    try:
        code = await probe.wait_closed(timeout)
        return {"close": code, "welcome": probe.welcome is not None}
    finally:
        probe.abort()


def query_attack(name: str):
    queries, expected = QUERIES[name]

    async def run(ctx: Context) -> dict:
        cases = []
        for query in queries:
            fact = await socket_outcome(ctx, lobby_path(ctx.observer.code, query))
            cases.append({"query": query[:60], **fact})
        return {"expected_close": expected, "cases": cases}
    return run


def judge_query(facts: dict) -> Verdict:
    cases = facts["cases"]
    passed = all(c.get("close") == facts["expected_close"] and not c.get("welcome") for c in cases)
    return Verdict(passed, ", ".join(dict.fromkeys(close_text(c) for c in cases)))


# -- the upgrade's Origin and Host ----------------------------------------------------------

async def bad_origin(ctx: Context) -> dict:
    path = lobby_path(ctx.victim.code, "role=spectator&name=origin")
    return {"status": await upgrade_status(ctx.target, path, origin="http://evil.example")}


async def foreign_host(ctx: Context) -> dict:
    path = lobby_path(ctx.victim.code, "role=spectator&name=host")
    return {"status": await upgrade_status(ctx.target, path, origin=ctx.target.origin, host="evil.example")}


def judge_refused_upgrade(facts: dict) -> Verdict:
    status = facts["status"]
    got = "no answer" if not status else ("upgraded (HTTP 101)" if status == 101 else f"HTTP {status}")
    return Verdict(status in (400, 403), got)


# -- handshakes never finished --------------------------------------------------------------

def half_request(ctx: Context) -> bytes:
    """An upgrade request without its last line: the server waits for the rest, forever?"""
    return (f"GET {lobby_path(ctx.victim.code, 'role=spectator')} HTTP/1.1\r\nHost: {ctx.target.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n").encode()


async def unfinished_handshakes(ctx: Context) -> dict:
    count, deadline_s = ctx.plan.half_open, ctx.plan.handshake_deadline_s
    sockets, data = [], half_request(ctx)
    try:
        for _ in range(count):
            sock = await raw_connection(ctx.target)
            sockets.append(sock)
            sock.send(data)
        started = time.monotonic()
        dropped: dict[int, tuple[str, float]] = {}
        while len(dropped) < len(sockets) and time.monotonic() - started < deadline_s:
            await asyncio.sleep(0.2)
            for index, sock in enumerate(sockets):
                if index not in dropped and (how := peer_dropped(sock)) is not None:
                    dropped[index] = (how, round(time.monotonic() - started, 1))
        return {"sockets": len(sockets), "deadline_s": deadline_s, "open": len(sockets) - len(dropped),
                "dropped_after_s": max((t for _h, t in dropped.values()), default=None),
                "how": sorted({h for h, _t in dropped.values()})}
    finally:
        for sock in sockets:
            sock.close()


def judge_unfinished(facts: dict) -> Verdict:
    if facts["open"] == 0:
        return Verdict(True, f"all {facts['sockets']} dropped ({'/'.join(facts['how'])}) "
                             f"by {facts['dropped_after_s']} s")
    return Verdict(False, f"{facts['open']} of {facts['sockets']} still open after {facts['deadline_s']:.0f} s")


# -- too many sockets from one address ------------------------------------------------------

async def _spectator(ctx: Context, index: int) -> tuple[str, Probe | None]:
    path = lobby_path(ctx.victim.code, f"role=spectator&name=crowd{index}")
    try:
        probe = await open_probe(ctx.target, path)
    except HandshakeError as exc:
        return f"HTTP {handshake_status(exc)}", None
    except (OSError, TimeoutError) as exc:
        return type(exc).__name__, None
    await probe.wait(lambda: probe.welcome is not None or probe.close_code is not None or probe.gone, 5)
    if probe.welcome is not None and probe.close_code is None and not probe.gone:
        return "welcomed", probe
    probe.abort()
    return f"close {probe.close_code}" if probe.close_code is not None else "no welcome", None


async def many_sockets(ctx: Context) -> dict:
    limit, held = ctx.plan.max_connections, ctx.held
    attempts = min(limit - held + 8, 512)
    outcomes: dict[str, int] = {}
    probes: list[Probe] = []
    try:
        for first in range(0, attempts, 16):  # 16 handshakes at a time
            batch = await asyncio.gather(*(_spectator(ctx, i) for i in range(first, min(first + 16, attempts))))
            for outcome, probe in batch:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if probe is not None:
                    probes.append(probe)
            if outcomes.get("close 4030", 0) >= 3:
                break
    finally:
        for probe in probes:
            probe.close()
        await asyncio.gather(*(p.wait(lambda p=p: p.gone, 3) for p in probes))
    return {"limit": limit, "held": held, "attempts": sum(outcomes.values()), "outcomes": outcomes,
            "welcomed": outcomes.get("welcomed", 0), "refused_4030": outcomes.get("close 4030", 0)}


def judge_many_sockets(facts: dict) -> Verdict:
    room = facts["limit"] - facts["held"]
    others = {k: v for k, v in facts["outcomes"].items() if k not in ("welcomed", "close 4030")}
    got = f"{facts['welcomed']} welcomed, 4030 x{facts['refused_4030']}"
    if others:
        got += ", " + ", ".join(f"{k} x{v}" for k, v in sorted(others.items()))
    return Verdict(facts["refused_4030"] > 0 and facts["welcomed"] <= room, got)
