"""HTTP for replays: a saved match played again on the server, and the page that shows it.

``GET /api/matches/<id>/replay`` answers ``application/msgpack``: the replay re-simulated
from its input log into one snapshot per tick (docs/replays.md has every field). Replays
never change, so each response is built once, gzipped, and kept in a small in-process LRU; at
most one replay is simulated at a time per process, in a worker thread, so a burst of
requests for long matches neither blocks the event loop nor piles up CPU.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import uuid
from collections import OrderedDict

import msgpack
from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from game import selectors
from game.engine.lobby import RESERVED_EVENTS
from game.engine.replay import ReplayError, decode, simulate
from game.models import Match

RESPONSE_FORMAT_VERSION = 1
CACHE_BYTES = 48 * 1024 * 1024
#: One simulation at a time per process: the others wait for it (and often find its response).
_SIMULATING = threading.Lock()


class ResponseCache:
    """Gzipped replay responses (the HTTP body of GET /api/matches/<id>/replay) by match id, least
    recently used first out, within ``max_bytes``.
    Changed from the event loop's thread only (worker threads merely look)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        body = self.items.get(key)
        if body is not None:
            self.items.move_to_end(key)
        return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 4 or key in self.items:
            return  # a giant response would evict everything else for one reader
        self.items[key] = body
        self.size += len(body)
        while self.size > self.max_bytes:
            _, old = self.items.popitem(last=False)
            self.size -= len(old)

    def clear(self) -> None:
        self.items.clear()
        self.size = 0


CACHE = ResponseCache(CACHE_BYTES)


def replay_response(match: Match, blob: bytes) -> dict:
    """The response body: the match re-simulated (ReplayError when it cannot be)."""
    replay = decode(blob)
    frames, events, last = [], [], None
    for frame in simulate(replay):
        frames.append(frame.snapshot)
        shown = [e for e in frame.events if e.get("type") not in RESERVED_EVENTS]
        if shown:
            events.append([frame.tick, shown])
        last = frame
    assert last is not None and last.result is not None
    outcome = last.result
    return {"v": RESPONSE_FORMAT_VERSION, "match": match.id.hex, "game": replay.game, "lobby": match.lobby_code,
            "status": match.status, "reason": match.reason, "ended_at": match.ended_at.isoformat(),
            "tick_rate": replay.tick_rate, "settings": replay.settings,
            "players": [{"id": p.id, "name": p.name} for p in replay.players],
            "frames": frames, "events": events,
            "result": {"scores": outcome.scores, "ranking": outcome.ranking, "winner": outcome.winner,
                       "reason": outcome.reason}}


def _build(match: Match, blob: bytes, key: str) -> bytes:
    """Runs in a worker thread: simulate, pack (single floats, as state frames), gzip."""
    with _SIMULATING:
        cached = CACHE.items.get(key)  # built by the request this one waited for
        if cached is not None:
            return cached
        packed = msgpack.packb(replay_response(match, blob), use_bin_type=True, use_single_float=True)
        return gzip.compress(packed, 6)


@require_GET
async def replay_data(request: HttpRequest, match_id: str) -> HttpResponse:
    """The replay of a saved match: 404 for an unknown match or one without a replay, 410
    for a replay that can no longer be played (damaged, or recorded under other rules)."""
    try:
        key = uuid.UUID(match_id).hex
    except ValueError:
        key = None
    body = CACHE.get(key) if key else None
    if body is None:
        found = await sync_to_async(selectors.match_replay)(match_id=match_id) if key else None
        if found is None:
            return JsonResponse({"error": "not_found", "msg": "no replay of that match"}, status=404)
        match, blob = found
        try:
            body = await asyncio.to_thread(_build, match, blob, key)
        except ReplayError as exc:
            return JsonResponse({"error": "replay_unplayable", "msg": str(exc)}, status=410)
        CACHE.put(key, body)
    headers = {"Cache-Control": "public, max-age=86400, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        return HttpResponse(body, content_type="application/msgpack", headers={**headers, "Content-Encoding": "gzip"})
    return HttpResponse(gzip.decompress(body), content_type="application/msgpack", headers=headers)


@require_GET
def replay_page(request: HttpRequest, match_id: str) -> HttpResponse:
    """The replay viewer of a saved match (frontend/src/pages/replay.js)."""
    match = selectors.match_get(match_id=match_id)
    if match is None or match.replay_bytes is None:
        raise Http404("no replay of that match")
    return render(request, "game/replay.html", {"match": match, "results": match.results.order_by("rank", "id")})
