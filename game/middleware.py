"""ASGI middleware for websockets: the ``Host`` header is checked as Django checks it for HTTP,
and a websocket's whole stack is one layer with one scope (`SocketStack`).

Django refuses an HTTP request whose ``Host`` is not in ``ALLOWED_HOSTS`` (400); Channels'
`AllowedHostsOriginValidator` checks only the ``Origin`` of a websocket. `AllowedHostValidator`
refuses a websocket upgrade without a ``Host`` or with one outside ``ALLOWED_HOSTS`` (with
Django's own matching: ``.example.com`` covers subdomains, ``*`` allows any, the port is
ignored; with ``DEBUG`` and no ``ALLOWED_HOSTS``, Django's local defaults) before the
handshake completes: the client sees HTTP 403, as for a bad ``Origin``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any
from urllib.parse import urlparse

from channels.auth import get_user
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier
from django.conf import settings
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.urls.exceptions import Resolver404

DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]  # what Django allows with DEBUG and no ALLOWED_HOSTS
#: The request headers a websocket's scope keeps once `SocketStack` has read what it needs: the
#: client's address behind a trusted proxy is read from them at open and at close (game.limits).
KEPT_HEADERS = frozenset({b"x-forwarded-for"})


def allowed_hosts() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    return hosts or (DEBUG_HOSTS if settings.DEBUG else [])


def host_allowed(host: bytes | None) -> bool:
    """Whether a raw ``Host`` header names this site (Django's `validate_host`)."""
    if not host:
        return False
    try:
        domain, _port = split_domain_port(host.decode("ascii"))
    except UnicodeDecodeError:
        return False
    return bool(domain) and validate_host(domain, allowed_hosts())


class AllowedHostValidator:
    """Refuse websockets whose ``Host`` header is missing or not in ``ALLOWED_HOSTS``."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            host = next((value for name, value in scope.get("headers", ()) if name == b"host"), None)
            if not host_allowed(host):
                return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


class SocketStack:
    """``AllowedHostValidator(AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(routes))))``
    for websockets, in one layer that adds to the server's scope instead of copying it.

    Each of Channels' layers copies the scope and awaits the next, so a connection kept its
    server's scope and four copies (cookies, session, user, route) for as long as it lived,
    with a session wrapper around ``send`` that acts only on HTTP responses (about 5 kB a
    socket). Here the checks and lookups are the same — ``Host`` and ``Origin`` refused with
    HTTP 403, the session from its cookie, the user resolved from the session before the
    consumer starts (Channels' `get_user`), the first route whose pattern matches — and the
    consumer gets the one scope, with ``session``, ``user``, ``path_remaining`` and
    ``url_route`` added, as Channels' stack adds them (``cookies`` is not kept: only the
    session's is read, here). A path that no route matches raises ValueError, as `URLRouter` does.

    The scope's ``headers`` then keep only `KEPT_HEADERS` (in the server's own list, which the
    server's protocol holds too): the rest, a dozen pairs of bytes, were read here and by
    nothing after. A consumer that needs another header adds it there.
    """

    def __init__(self, routes: list[Any]) -> None:
        self.routes = routes
        self.origins = AllowedHostsOriginValidator(None)  # ALLOWED_HOSTS as at start, as Channels reads them

    def _allowed(self, scope: dict) -> bool:
        host = origin = None
        for name, value in scope.get("headers", ()):
            if name == b"host" and host is None:
                host = value
            elif name == b"origin":
                origin = value  # the last one, as Channels' OriginValidator reads it
        if not host_allowed(host):
            return False
        parsed = None
        if origin is not None:
            try:
                parsed = urlparse(origin.decode("latin1"))
            except UnicodeDecodeError:
                parsed = None
        return self.origins.valid_origin(parsed)

    def _route(self, scope: dict) -> Any:
        path = scope.get("path_remaining", scope.get("path"))
        if path is None:
            raise ValueError("No 'path' key in connection scope, cannot route URLs")
        if "path_remaining" not in scope:
            root_path = scope.get("root_path", "")
            if root_path and not path.startswith(root_path):
                raise ValueError(f"No route found for path {path!r}.")
            path = path[len(root_path):]
        path = path.lstrip("/")
        for route in self.routes:
            try:
                match = route.pattern.match(path)
            except Resolver404:
                continue
            if match:
                remaining, args, kwargs = match
                scope["path_remaining"] = remaining
                scope["url_route"] = {"args": tuple(args), "kwargs": {**kwargs, **route.default_args}}
                return route.callback
        raise ValueError(f"No route found for path {path!r}.")

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            raise ValueError(f"SocketStack serves websockets, not {scope['type']!r}")
        if not self._allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        consumer = self._route(scope)
        if "session" not in scope:
            key = None
            for name, value in scope.get("headers", ()):
                if name == b"cookie":
                    key = parse_cookie(value.decode("latin1")).get(settings.SESSION_COOKIE_NAME)
                    break
            scope["session"] = import_module(settings.SESSION_ENGINE).SessionStore(key)
        if "user" not in scope:
            scope["user"] = await get_user(scope)
        _keep_headers(scope)
        return await consumer(scope, receive, send)


def _keep_headers(scope: dict) -> None:
    headers = scope.get("headers")
    if not headers:
        return
    kept = [pair for pair in headers if pair[0] in KEPT_HEADERS]
    if isinstance(headers, list):
        headers[:] = kept
    else:
        scope["headers"] = kept
