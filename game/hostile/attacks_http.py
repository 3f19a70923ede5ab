"""Attacks on the lobby API: bodies no client should send to POST /api/lobbies, and lobbies
made one after another by a client without cookies (each request a new stranger)."""

from __future__ import annotations

import asyncio
import json

from game.hostile.client import open_joined
from game.hostile.http import Reply, lobby_body, post_lobby
from game.hostile.outcome import Context, Verdict

DEPTH = 1000
HUGE = 4 << 20  # bytes: over any sane request body limit

BODIES: dict[str, list[bytes]] = {
    "http-deep-json": [('{"game": "arena", "settings": ' + '{"a": ' * DEPTH + "1" + "}" * DEPTH + "}").encode(),
                       ("[" * DEPTH + "]" * DEPTH).encode()],
    "http-not-json": [b"\xff\xfe not json {", b"game=arena&name=x", b'{"game": "arena",'],
    "http-huge-body": [b'{"game": "arena", "name": "' + b"x" * HUGE + b'"}'],
    "http-wrong-types": [json.dumps(body).encode() for body in (
        [], "arena", 5, {"game": 5}, {"game": ["arena"]}, {"max_players": "8"}, {"max_players": 4.5},
        {"tick_rate": True}, {"tick_rate": 1e309}, {"private": "yes"}, {"settings": [1, 2]},
        {"settings": {"score_limit": "10"}}, {"settings": {"score_limit": None}},
        {"settings": {"time_limit_s": {"a": 1}}})],
}


async def close_lobby(ctx: Context, reply: Reply) -> None:
    """A lobby a request should not have made (or one we made to count): close it as its host."""
    try:
        created = reply.json()
        probe = await open_joined(ctx.target, created["code"], f"name=cleanup&token={created['host_token']}")
    except (ValueError, KeyError, OSError, RuntimeError, TimeoutError):
        return
    probe.send_kind("close")
    await probe.wait(lambda: probe.gone or probe.close_code is not None, 3)
    probe.abort()


def body_attack(name: str):
    bodies = BODIES[name]

    async def run(ctx: Context) -> dict:
        replies = []
        for body in bodies:
            reply = await post_lobby(ctx.target, body, timeout=15)
            replies.append({"status": reply.status, "json": reply.is_json, "error": reply.error,
                            "body": reply.body[:120].decode("utf-8", "replace")})
            if reply.status == 201:
                await close_lobby(ctx, reply)
        return {"replies": replies}
    return run


def judge_bodies(facts: dict) -> Verdict:
    replies = facts["replies"]
    good = [400 <= r["status"] < 500 and r["json"] for r in replies]
    words = []
    for r in replies:
        text = f"{r['status']}" if r["status"] else (r["error"] or "no reply")
        if r["status"] and not r["json"]:
            text += " (not JSON)"
        words.append(text)
    counts = {w: words.count(w) for w in dict.fromkeys(words)}
    return Verdict(all(good), ", ".join(w if n == 1 else f"{w} x{n}" for w, n in counts.items()))


async def lobby_flood(ctx: Context) -> dict:
    """POST valid lobbies until a 429 (and one more, to see it stays), at most limit + 1."""
    statuses, made = [], []
    try:
        for index in range(ctx.plan.lobby_limit + 1):
            reply = await post_lobby(ctx.target, lobby_body(f"flood {index}"))
            statuses.append(reply.status)
            if reply.status == 201:
                made.append(reply)
            elif reply.status == 429:
                statuses.append((await post_lobby(ctx.target, lobby_body("flood again"))).status)
                break
        json_429 = reply.status != 429 or reply.is_json
    finally:
        await asyncio.gather(*(close_lobby(ctx, r) for r in made))
    return {"limit": ctx.plan.lobby_limit, "statuses": statuses, "created": len(made), "json_429": json_429}


def judge_lobby_flood(facts: dict) -> Verdict:
    statuses = facts["statuses"]
    got = f"{facts['created']} created" + (f", then {statuses[-1]}" if statuses and statuses[-1] != 201 else "")
    refused = 429 in statuses
    if refused and not facts["json_429"]:
        got += " (not JSON)"
    return Verdict(refused and statuses[-1] == 429 and facts["created"] <= facts["limit"] and facts["json_429"], got)
