"""Attacks in frames, from a socket that joined a lobby: malformed frames, oversized frames,
ping floods (one frame a write, and 20,000 in one write), a reader that stops reading, and
a spectator or non-host player giving orders."""

from __future__ import annotations

import asyncio
import time

import msgpack

from game.hostile.client import TCP_ESTABLISHED, Probe, bare_header, masked_frame, open_joined, pack
from game.hostile.outcome import Context, Verdict
from game.loadtest.wire import OP_BINARY, OP_TEXT
from game.protocol import PROTOCOL_VERSION

FATAL_CLOSES = (1006, 1011, 4500)  # the server failed or dropped the socket


async def joined(ctx: Context, which: str, query: str, **options) -> Probe:
    return await open_joined(ctx.target, ctx.lobby(which).code, query, **options)


def _fact(probe: Probe, **more) -> dict:
    return {"close": probe.close_code if probe.close_code is not None else (1006 if probe.gone else None),
            "errors": sorted(set(probe.errors)), **more}


# -- malformed frames -----------------------------------------------------------------------

MALFORMED = {
    "frames-bad-msgpack": ([b"\xc1", b"\x85\xa1v", b"\xde\xad\xbe\xef", msgpack.packb([1, 2, 3]),
                            msgpack.packb("ping")], ["bad_frame"]),
    "frames-wrong-types": ([pack("ping", id="x", ct=0), pack("ping", id=-1, ct=0), pack("chat", text=5),
                            pack("input", input_seq="1", d={}), pack("ready", ready="yes"), pack("kick", target="1"),
                            msgpack.packb({"v": True, "k": "ping", "id": 1, "ct": 0}),
                            msgpack.packb({"v": 1, "k": "ping", "id": 1, "ct": 0})], ["bad_field", "bad_version"]),
    "frames-unknown-kind": ([pack("teleport"), pack(5), msgpack.packb({"v": PROTOCOL_VERSION}), pack("welcome"),
                             pack("full", tick=1)], ["unknown_kind"]),
}


def malformed_attack(name: str):
    frames, expected = MALFORMED[name]

    async def run(ctx: Context) -> dict:
        probe = await joined(ctx, "victim", f"role=spectator&name={name[7:]}")
        try:
            for frame in frames:
                probe.send(frame)
            if name == "frames-bad-msgpack":
                probe.write_raw(masked_frame(OP_TEXT, b"not binary"))
            await probe.wait(lambda: set(expected) <= set(probe.errors) or probe.close_code is not None, 3)
            return _fact(probe, sent=len(frames), expected_errors=expected)
        finally:
            probe.abort()
    return run


def judge_malformed(facts: dict) -> Verdict:
    missing = [code for code in facts["expected_errors"] if code not in facts["errors"]]
    got = "errors " + (", ".join(facts["errors"]) or "none")
    if facts["close"] is not None:
        got += f"; close {facts['close']}"
    return Verdict(not missing and facts["close"] not in FATAL_CLOSES, got)


# -- oversized frames -----------------------------------------------------------------------

async def oversized_frame(ctx: Context) -> dict:
    probe = await joined(ctx, "observer", "role=spectator&name=big")
    try:
        probe.write_raw(masked_frame(OP_BINARY, b"\x00" * (70 * 1024)))
        await probe.wait_closed(5)
        return _fact(probe, size=70 * 1024)
    finally:
        probe.abort()


async def huge_header(ctx: Context) -> dict:
    probe = await joined(ctx, "observer", "role=spectator&name=header")
    try:
        probe.write_raw(bare_header(1 << 20))
        await probe.wait_closed(3)
        return _fact(probe, announced=1 << 20, waited_s=3)
    finally:
        probe.abort()


def judge_close_1009(facts: dict) -> Verdict:
    got = f"close {facts['close']}" if facts["close"] is not None else "still open"
    if facts["errors"]:
        got += "; errors " + ", ".join(facts["errors"])
    if facts["close"] is None and "waited_s" in facts:
        got += f" after {facts['waited_s']} s"
    return Verdict(facts["close"] == 1009, got)


# -- ping floods ----------------------------------------------------------------------------

async def ping_flood_single(ctx: Context) -> dict:
    probe = await joined(ctx, "victim", "role=spectator&name=pinger")
    try:
        started, sent = time.monotonic(), 0
        for index in range(300):  # one frame a write, as fast as the loop goes
            if probe.closing:
                break
            probe.send(pack("ping", id=index, ct=0.0))
            sent += 1
            await asyncio.sleep(0)
        await probe.wait_closed(5)
        return _fact(probe, sent=sent, after_s=round((probe.closed_at or time.monotonic()) - started, 2))
    finally:
        probe.abort()


PIPELINED = 20_000


async def ping_flood_pipelined(ctx: Context) -> dict:
    flood = masked_frame(OP_BINARY, pack("ping", id=1, ct=0.0)) * PIPELINED  # built before it is sent
    probe = await joined(ctx, "observer", "role=spectator&name=flood")
    try:
        started = time.monotonic()
        probe.write_raw(flood)
        await probe.wait_closed(5)
        return _fact(probe, sent=PIPELINED, bytes=len(flood),
                     after_s=round((probe.closed_at or time.monotonic()) - started, 2))
    finally:
        probe.abort()


def judge_flood(facts: dict) -> Verdict:
    got = f"close {facts['close']} after {facts['after_s']} s" if facts["close"] is not None else "still open after 5 s"
    if "rate_limited" in facts["errors"]:
        got += ", rate_limited"
    return Verdict(facts["close"] == 4029, got)


# -- a reader that stops reading ------------------------------------------------------------

SLOW_RCVBUF = 4096  # a phone's socket that fills at once: the server's writes are what back up

async def slow_reader(ctx: Context) -> dict:
    probe = await joined(ctx, "victim", "role=spectator&name=stuck", rcvbuf=SLOW_RCVBUF)
    probe.transport.pause_reading()
    try:
        started, cut_after = time.monotonic(), None
        while time.monotonic() - started < ctx.plan.slow_reader_s:
            await asyncio.sleep(0.25)
            state = probe.tcp_state()
            if state is not None and state != TCP_ESTABLISHED:
                cut_after = round(time.monotonic() - started, 1)
                break
        held = round(time.monotonic() - started, 1)
        live = ctx.victim.host.last_tick  # read again: did the server drop it while we held?
        probe.transport.resume_reading()
        await probe.wait(lambda: probe.close_code is not None or probe.gone or probe.last_tick >= live, 10)
        return _fact(probe, held_s=held, cut_after_s=cut_after, caught_up=probe.last_tick >= live,
                     frames=probe.state_frames)
    finally:
        probe.abort()


def judge_slow_reader(facts: dict) -> Verdict:
    if facts["close"] == 4008:
        return Verdict(True, "close 4008" + (f", cut at {facts['cut_after_s']} s" if facts["cut_after_s"] else ""))
    if facts["cut_after_s"] is not None:
        return Verdict(True, f"connection cut at {facts['cut_after_s']} s (close {facts['close']})")
    if facts["caught_up"]:
        return Verdict(False, f"never dropped in {facts['held_s']:.0f} s (then read on)")
    return Verdict(False, f"close {facts['close']} after {facts['held_s']:.0f} s" if facts["close"] is not None
                   else f"no answer after {facts['held_s']:.0f} s")


# -- orders from those who may not give them ------------------------------------------------

async def spectator_input(ctx: Context) -> dict:
    probe = await joined(ctx, "victim", "role=spectator&name=sneaky")
    try:
        probe.send(pack("input", input_seq=1, d={"mx": 1, "my": 0, "aim": 0.0, "fire": True}))
        probe.send(pack("ready", ready=True))
        wanted = {("forbidden", "input"), ("forbidden", "ready")}
        await probe.wait(lambda: wanted <= probe.error_refs or probe.close_code is not None, 3)
        return _fact(probe, wanted=sorted(ref for _c, ref in wanted),
                     forbidden=sorted(ref for code, ref in probe.error_refs if code == "forbidden"))
    finally:
        probe.abort()


async def non_host_commands(ctx: Context) -> dict:
    victim = ctx.victim
    try:
        probe, role = await joined(ctx, "victim", "role=player&name=usurper"), "player"
    except RuntimeError:  # no seat for us: a spectator gives the same orders
        probe, role = await joined(ctx, "victim", "role=spectator&name=usurper"), "spectator"
    orders = [("start", {}), ("kick", {"target": victim.guest_id}), ("ban", {"target": victim.host_id}),
              ("close", {}), ("lock", {}), ("transfer", {"target": probe.welcome["you"]}),
              ("settings", {"settings": {"name": "taken"}})]
    try:
        for kind, fields in orders:
            probe.send_kind(kind, **fields)
        wanted = {("forbidden", kind) for kind, _f in orders}
        await probe.wait(lambda: wanted <= probe.error_refs or probe.close_code is not None, 3)
        return _fact(probe, role=role, wanted=sorted(k for k, _f in orders),
                     forbidden=sorted(ref for code, ref in probe.error_refs if code == "forbidden"))
    finally:
        probe.abort()
        await probe.wait(lambda: probe.gone, 2)


def judge_forbidden(facts: dict) -> Verdict:
    missing = [kind for kind in facts["wanted"] if kind not in facts["forbidden"]]
    got = f"forbidden {len(facts['wanted']) - len(missing)}/{len(facts['wanted'])}"
    if missing:
        got += " (not: " + ", ".join(missing) + ")"
    others = [code for code in facts["errors"] if code != "forbidden"]
    if others:
        got += "; errors " + ", ".join(others)
    if facts["close"] is not None:
        got += f"; close {facts['close']}"
    return Verdict(not missing and facts["close"] not in FATAL_CLOSES, got)
