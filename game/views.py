"""HTTP: the pages, and a small JSON API for lobbies (list, create, inspect, results).

Everything under /api/ answers JSON, refusals and faults included: ``{"error": code, "msg":
text}`` (and ``"field"`` when one field is to blame), as docs/api.md lists them.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings as django_settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET

from game import protocol, selectors
from game.bots import has_policy
from game.engine.lobby import LobbyConfig
from game.engine.registry import RegistryFull
from game.engine.settings import (
    DEFAULT_TICK_RATE,
    MAX_LOBBY_NAME_CHARS,
    MAX_TICK_RATE,
    MIN_TICK_RATE,
    lobby_settings_schema,
)
from game.engine.tokens import same_token
from game.lobbylist import DEFAULT_PAGE, MAX_PAGE, BadCursor, decode_cursor
from game.metrics import render as render_metrics
from game.metrics import watch as watch_metrics
from game.outage import OUTAGE, is_outage
from game.rules import default_game, game_catalog, get_game
from game.rules.base import InvalidInput
from game.runtime import Draining, get_runtime

log = logging.getLogger("game.views")

#: A lobby's creation takes well under 1 KiB; a longer body is refused unread.
MAX_BODY_BYTES = 4096
#: Arrays and objects nested deeper are refused before parsing (json.loads recurses).
MAX_JSON_DEPTH = 32
#: The fields of POST /api/lobbies; any other is refused (a typo must not pass unnoticed).
CREATE_FIELDS = ("game", "name", "max_players", "private", "tick_rate", "settings")
MAX_MATCHES_LIMIT, DEFAULT_MATCHES_LIMIT = 500, 20


class ApiError(Exception):
    """A refused /api/ request: `api_view` answers it as JSON with ``status``."""

    def __init__(self, status: int, code: str, msg: str, field: str | None = None) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg, self.field = status, code, msg, field


def api_error(status: int, code: str, msg: str, *, field: str | None = None,
              headers: dict[str, str] | None = None) -> JsonResponse:
    """The body of every /api/ refusal: ``{"error", "msg"}``, and ``"field"`` when one is to blame."""
    body = {"error": code, "msg": msg} | ({"field": field} if field is not None else {})
    return JsonResponse(body, status=status, headers=headers)


def _failure(request: HttpRequest, exc: Exception) -> JsonResponse:
    """What a view's exception answers: its ApiError, 404, 400, or 500 for a fault (logged)."""
    if isinstance(exc, ApiError):
        return api_error(exc.status, exc.code, exc.msg, field=exc.field)
    if isinstance(exc, Http404):
        return api_error(404, "not_found", str(exc) or "not found")
    if isinstance(exc, SuspiciousOperation):
        return api_error(400, "bad_request", "the request cannot be read")
    if is_outage(exc):  # the cluster's Redis is unreachable: no fault of the request, retry
        OUTAGE.failed(f"{request.method} {request.path}", exc)
        return api_error(503, "unavailable", "the server is briefly unavailable; try again",
                         headers={"Retry-After": "1"})
    log.error("%s %s failed", request.method, request.path, exc_info=exc)
    return api_error(500, "server_error", "the server failed to answer; try again")


def api_view(*methods: str) -> Callable[[Callable], Callable]:
    """An /api/ view that answers JSON whatever happens: 405 (with ``Allow``) to another
    method, a raised ApiError or Http404 as such, 500 for a fault. Exempt from the CSRF
    middleware, whose refusal is a page: `lobbies` checks the token of session users itself."""
    allowed = ", ".join(methods)

    def not_allowed(request: HttpRequest) -> JsonResponse:
        return api_error(405, "method_not_allowed", f"{request.method} is not allowed here; use {allowed}",
                         headers={"Allow": allowed})

    def decorate(view: Callable) -> Callable:
        if iscoroutinefunction(view):
            @functools.wraps(view)
            async def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                if request.method not in methods:
                    return not_allowed(request)
                try:
                    return await view(request, *args, **kwargs)
                except Exception as exc:
                    return _failure(request, exc)
        else:
            @functools.wraps(view)
            def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                if request.method not in methods:
                    return not_allowed(request)
                try:
                    return view(request, *args, **kwargs)
                except Exception as exc:
                    return _failure(request, exc)
        return csrf_exempt(run)
    return decorate


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 handler (without DEBUG): JSON under /api/, the stock page elsewhere."""
    if request.path.startswith("/api/"):
        return api_error(400, "bad_request", "the request cannot be read (is its Host allowed?)")
    return defaults.bad_request(request, exception)


@csrf_exempt
def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any path under /api/ that names no endpoint, whatever the method."""
    return api_error(404, "not_found", "no API endpoint has this path (docs/api.md lists them; "
                                       "paths have no trailing slash)")


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
    # Plain dicts: a template calls what is callable, and a rules class called bare is no game.
    catalog = game_catalog()
    return render(request, "game/leaderboard.html", {
        "game": next(g for g in catalog if g["name"] == game_cls.name),
        "other_games": [g for g in catalog if g["name"] != game_cls.name],
        "ratings": selectors.leaderboard(game=game_cls.name)})


@require_GET
def player(request: HttpRequest, player_id: int) -> HttpResponse:
    profile = selectors.player_profile(player_id=player_id)
    if profile is None:
        raise Http404("no such player")
    return render(request, "game/player.html", profile)


@api_view("GET")
def games(request: HttpRequest) -> JsonResponse:
    """The games, with every setting's type, default and bounds and the fields of an input
    (docs/api.md)."""
    described = []
    for entry in game_catalog():
        cls = get_game(entry["name"])
        described.append({**entry, "bots": has_policy(cls.name), "settings": cls.describe_settings(),
                          "input": cls.describe_input(), "lobby_settings": lobby_settings_schema(cls)})
    return JsonResponse({"games": described})


def _json_depth_over(body: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` in ``body`` (brackets inside
    strings do not count), found without parsing."""
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json_body(request: HttpRequest) -> Any:
    """The request's JSON body, ``{}`` when empty; ApiError when it is too large, nests too
    deep or is not UTF-8 JSON (NaN and Infinity included)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    too_large = ApiError(400, "body_too_large", f"the body is limited to {MAX_BODY_BYTES} bytes")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    if not body.strip():
        return {}
    if _json_depth_over(body, MAX_JSON_DEPTH):
        raise ApiError(400, "bad_json", f"the body nests arrays and objects deeper than {MAX_JSON_DEPTH}")
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ApiError(400, "bad_json", f"the body is not UTF-8 JSON: {exc}") from None


def _bad_field(field: str, msg: str) -> ApiError:
    return ApiError(400, "bad_field", msg, field)


def _int_field(data: dict, key: str, lo: int, hi: int, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _bad_field(key, f"{key} must be an integer in [{lo}, {hi}]")
    return value


def _lobby_name(data: dict, game_title: str) -> str:
    name = data.get("name", "")
    if not isinstance(name, str):
        raise _bad_field("name", "name must be a string")
    name = protocol.clean_text(name)
    if len(name) > MAX_LOBBY_NAME_CHARS:
        raise _bad_field("name", f"name must hold at most {MAX_LOBBY_NAME_CHARS} characters")
    return name or f"{game_title} lobby"


def _lobby_config(data: Any, *, code: str, creator_identity: str | None) -> LobbyConfig:
    """The lobby a POST /api/lobbies body asks for; ApiError for anything docs/api.md refuses."""
    if not isinstance(data, dict):
        raise ApiError(400, "bad_body", "the body must be a JSON object")
    unknown = sorted(set(data) - set(CREATE_FIELDS))
    if unknown:
        raise _bad_field(unknown[0], f"unknown field {unknown[0]!r}; the fields are " + ", ".join(CREATE_FIELDS))
    game = data.get("game", default_game())
    try:
        game_cls = get_game(game) if isinstance(game, str) else None
    except KeyError:
        game_cls = None
    if game_cls is None:
        raise _bad_field("game", "game must be one of " + ", ".join(g["name"] for g in game_catalog()))
    max_players = _int_field(data, "max_players", game_cls.min_players, game_cls.max_players, game_cls.max_players)
    tick_rate = _int_field(data, "tick_rate", MIN_TICK_RATE, MAX_TICK_RATE, DEFAULT_TICK_RATE)
    private = data.get("private", False)
    if not isinstance(private, bool):
        raise _bad_field("private", "private must be true or false")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise _bad_field("settings", "settings must be an object")
    try:
        settings = game_cls.clean_settings(settings)
    except InvalidInput as exc:
        raise _bad_field("settings", str(exc)) from None
    return LobbyConfig(code=code, name=_lobby_name(data, game_cls.title), game_cls=game_cls,
                       max_players=max_players, private=private, tick_rate_hz=tick_rate, settings=settings,
                       creator_identity=creator_identity, host_token=secrets.token_urlsafe(16))


def _list_query(request: HttpRequest) -> dict[str, Any]:
    """The filters and page a GET /api/lobbies asks for; ApiError for one docs/api.md refuses."""
    query = request.GET
    game = query.get("game") or None
    if game is not None and game not in {g["name"] for g in game_catalog()}:
        raise _bad_field("game", "game must be one of " + ", ".join(g["name"] for g in game_catalog()))
    open_only = query.get("open", "0")
    if open_only not in ("0", "1", "false", "true"):
        raise _bad_field("open", "open must be 1 or 0 (true or false)")
    raw = query.get("limit", str(DEFAULT_PAGE))
    limit = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else 0
    if not 1 <= limit <= MAX_PAGE:
        raise _bad_field("limit", f"limit must be an integer in [1, {MAX_PAGE}]")
    cursor = query.get("cursor") or None
    if cursor is not None:
        try:
            decode_cursor(cursor)
        except BadCursor:
            raise _bad_field("cursor", "cursor must be the next of a previous page") from None
    return {"game": game, "open_only": open_only in ("1", "true"), "limit": limit, "cursor": cursor}


async def _lobby_page(request: HttpRequest) -> JsonResponse:
    """A page of the process's lobby list snapshot (game.lobbylist): as cheap with 10 lobbies
    as with 100,000; ``age_ms`` says how old the snapshot is."""
    query = _list_query(request)
    snapshot = await get_runtime().lobby_list.get()
    page = snapshot.page(**query)
    page["age_ms"] = max(0, int(time.time() * 1000) - snapshot.built_ms)
    return JsonResponse(page)


@api_view("GET", "POST")
async def lobbies(request: HttpRequest) -> JsonResponse:
    """GET: a page of the public lobbies. POST: create a lobby; the reply's host_token makes you host."""
    if request.method == "GET":
        return await _lobby_page(request)
    runtime = get_runtime()
    user = await request.auser()
    if user.is_authenticated:  # session-authenticated writes must carry the CSRF token
        reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if reason is not None:
            raise ApiError(403, "csrf_failed", "a logged-in user must send the csrftoken cookie's value "
                                               "in the X-CSRFToken header")
        identity, creator_name = f"u:{user.pk}", user.get_username()
    else:
        guest = await sync_to_async(_ensure_guest)(request)
        identity, creator_name = f"g:{guest}", ""
    # A body refused (400) is refused before it could count against the client's lobbies.
    config = _lobby_config(_json_body(request), code=runtime.registry.new_code(), creator_identity=identity)
    if not await runtime.admit_lobby(identity, request.scope):  # per identity and per address
        return JsonResponse({"error": "too_many_lobbies",
                             "msg": "close one of your open lobbies before creating another"}, status=429)
    try:
        loop = await runtime.create_lobby(config=config, created_by_id=user.pk if user.is_authenticated else None,
                                          creator_name=creator_name)
    except RegistryFull:
        return api_error(503, "full", "this server runs all the lobbies it can")
    except Draining:
        return api_error(503, "draining", "this server process is shutting down; try again",
                         headers={"Retry-After": "1"})
    watch_metrics(runtime)  # (this process's figures reach a cluster-wide scrape)
    return JsonResponse({"lobby": loop.lobby.summary(), "code": loop.lobby.code, "route": _own_route(),
                         "host_token": config.host_token}, status=201)


@api_view("GET")
async def lobby_detail(request: HttpRequest, code: str) -> JsonResponse:
    found = await get_runtime().lobby_summary(code)
    if found is None:
        raise ApiError(404, "not_found", "no open lobby has that code")
    # The owner's route: this process's when it runs the lobby (its stats come along), else
    # the one the owner wrote in the directory.
    found["route"] = _own_route() if "stats" in found else (found["lobby"].get("route") or None)
    return JsonResponse(found)


def _own_route() -> str | None:
    """This process's route for the proxy (GAME_ROUTE), None without routing."""
    return django_settings.GAME_CLUSTER.get("ROUTE") or None


@api_view("GET")
def lobby_matches(request: HttpRequest, code: str) -> JsonResponse:
    raw = request.GET.get("limit", str(DEFAULT_MATCHES_LIMIT))
    limit = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else 0
    if not 1 <= limit <= MAX_MATCHES_LIMIT:
        raise _bad_field("limit", f"limit must be an integer in [1, {MAX_MATCHES_LIMIT}]")
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
    return HttpResponse(render_metrics(get_runtime()), content_type="text/plain; version=0.0.4")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
