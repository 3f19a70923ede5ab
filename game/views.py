"""HTTP: the pages, and a small JSON API for lobbies (list, create, inspect, results)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from game import protocol, selectors
from game.engine.lobby import LobbyConfig
from game.engine.settings import MAX_TICK_RATE, MIN_TICK_RATE
from game.engine.tokens import same_token
from game.engine.registry import RegistryFull
from game.rules import game_catalog, get_game
from game.rules.base import InvalidInput
from game.runtime import Draining, get_runtime


class BadRequest(Exception):
    pass


def _ensure_guest(request: HttpRequest) -> str:
    """Give the browser a stable guest key in its session (its identity for bans and results)."""
    if not request.session.get("guest"):
        request.session["guest"] = secrets.token_hex(8)
    return request.session["guest"]


@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    _ensure_guest(request)
    return render(request, "game/index.html", {"games": game_catalog()})


@ensure_csrf_cookie
def play(request: HttpRequest, code: str) -> HttpResponse:
    _ensure_guest(request)
    return render(request, "game/play.html", {"code": code.upper()})


@require_GET
def leaderboard(request: HttpRequest, game: str) -> HttpResponse:
    try:
        game_cls = get_game(game)
    except KeyError:
        raise Http404("no such game") from None
    return render(request, "game/leaderboard.html", {
        "game": game_cls, "games": game_catalog(), "ratings": selectors.leaderboard(game=game_cls.name)})


@require_GET
def player(request: HttpRequest, player_id: int) -> HttpResponse:
    profile = selectors.player_profile(player_id=player_id)
    if profile is None:
        raise Http404("no such player")
    return render(request, "game/player.html", profile)


@require_GET
def games(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"games": game_catalog()})


def _lobby_config(data: Any, *, code: str, creator_identity: str | None) -> LobbyConfig:
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    try:
        game_cls = get_game(str(data.get("game", "arena")))
    except KeyError:
        raise BadRequest("unknown game") from None
    name = protocol.clean_text(str(data.get("name", "")))[:40] or f"{game_cls.title} lobby"
    max_players = data.get("max_players", game_cls.max_players)
    tick_rate = data.get("tick_rate", 20)
    private = data.get("private", False)
    if not isinstance(max_players, int) or not game_cls.min_players <= max_players <= game_cls.max_players:
        raise BadRequest(f"max_players must be in [{game_cls.min_players}, {game_cls.max_players}]")
    if not isinstance(tick_rate, int) or not MIN_TICK_RATE <= tick_rate <= MAX_TICK_RATE:
        raise BadRequest(f"tick_rate must be in [{MIN_TICK_RATE}, {MAX_TICK_RATE}]")
    if not isinstance(private, bool):
        raise BadRequest("private must be true or false")
    settings = data.get("settings", {})
    try:
        settings = game_cls.clean_settings(settings if isinstance(settings, dict) else {"?": settings})
    except InvalidInput as exc:
        raise BadRequest(str(exc)) from None
    return LobbyConfig(code=code, name=name, game_cls=game_cls, max_players=max_players, private=private,
                       tick_rate_hz=tick_rate, settings=settings, creator_identity=creator_identity,
                       host_token=secrets.token_urlsafe(16))


@csrf_exempt
@require_http_methods(["GET", "POST"])
async def lobbies(request: HttpRequest) -> JsonResponse:
    """GET: the public lobbies. POST: create a lobby; the reply's host_token makes you host."""
    runtime = get_runtime()
    if request.method == "GET":
        return JsonResponse({"lobbies": await runtime.public_lobbies()})
    user = await request.auser()
    if user.is_authenticated:  # session-authenticated writes must carry the CSRF token
        reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if reason is not None:
            return reason
        identity, creator_name = f"u:{user.pk}", user.get_username()
    else:
        guest = await sync_to_async(_ensure_guest)(request)
        identity, creator_name = f"g:{guest}", ""
    if runtime.lobbies_created_by(identity) >= django_settings.GAME["MAX_LOBBIES_PER_CLIENT"]:
        return JsonResponse({"error": "too_many_lobbies",
                             "msg": "close one of your open lobbies before creating another"}, status=429)
    try:
        data = json.loads(request.body or b"{}")
        config = _lobby_config(data, code=runtime.registry.new_code(), creator_identity=identity)
    except (ValueError, BadRequest) as exc:
        return JsonResponse({"error": "bad_request", "msg": str(exc)}, status=400)
    try:
        loop = await runtime.create_lobby(config=config, created_by_id=user.pk if user.is_authenticated else None,
                                          creator_name=creator_name)
    except RegistryFull:
        return JsonResponse({"error": "full", "msg": "this server runs all the lobbies it can"}, status=503)
    except Draining:
        return JsonResponse({"error": "draining", "msg": "this server process is shutting down; try again"},
                            status=503, headers={"Retry-After": "1"})
    return JsonResponse({"lobby": loop.lobby.summary(), "code": loop.lobby.code,
                         "host_token": config.host_token}, status=201)


@require_GET
async def lobby_detail(request: HttpRequest, code: str) -> JsonResponse:
    found = await get_runtime().lobby_summary(code)
    if found is None:
        raise Http404("no such lobby")
    return JsonResponse(found)


@require_GET
def lobby_matches(request: HttpRequest, code: str) -> JsonResponse:
    try:
        limit = min(500, max(1, int(request.GET.get("limit", 20))))
    except ValueError:
        limit = 20
    matches = selectors.match_list(lobby_code=code.upper(), limit=limit)
    return JsonResponse({"count": selectors.match_count(lobby_code=code.upper()),
                         "matches": [selectors.match_as_dict(m) for m in matches]})


@require_GET
async def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; for staff sessions or ``Authorization: Bearer $METRICS_TOKEN``."""
    token = django_settings.METRICS_TOKEN
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    user = await request.auser()
    if not (user.is_staff or (token and bearer and same_token(bearer, token))):
        return HttpResponse("staff only\n", status=403, content_type="text/plain")
    from game.metrics import render
    return HttpResponse(render(get_runtime()), content_type="text/plain; version=0.0.4")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
