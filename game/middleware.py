"""ASGI middleware for websockets: the ``Host`` header is checked as Django checks it for HTTP.

Django refuses an HTTP request whose ``Host`` is not in ``ALLOWED_HOSTS`` (400); Channels'
`AllowedHostsOriginValidator` checks only the ``Origin`` of a websocket. `AllowedHostValidator`
refuses a websocket upgrade without a ``Host`` or with one outside ``ALLOWED_HOSTS`` (with
Django's own matching: ``.example.com`` covers subdomains, ``*`` allows any, the port is
ignored; with ``DEBUG`` and no ``ALLOWED_HOSTS``, Django's local defaults) before the
handshake completes: the client sees HTTP 403, as for a bad ``Origin``.
"""

from __future__ import annotations

from typing import Any

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]  # what Django allows with DEBUG and no ALLOWED_HOSTS


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
