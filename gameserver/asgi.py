"""ASGI entry point: HTTP goes to Django, websockets to the game consumers."""

import gc
import os
from importlib import import_module

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")
django_asgi_app = get_asgi_application()  # before importing code that touches models

from asgiref.sync import markcoroutinefunction  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

import game.routing  # noqa: E402
from game.middleware import SocketStack  # noqa: E402

# The embedded default serves the browser client itself; behind nginx set SERVE_STATIC=0
# and let nginx serve STATIC_ROOT (docs/deploy.md).
http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.SERVE_STATIC else django_asgi_app


class ProtocolRouter(ProtocolTypeRouter):
    """Channels' `ProtocolTypeRouter`, handing back the protocol's application's coroutine
    instead of awaiting it in one of its own: one coroutine frame less for each connection's
    whole life. Marked a coroutine function, as servers tell ASGI 3 applications by it."""

    @markcoroutinefunction
    def __call__(self, scope, receive, send):  # type: ignore[override]
        application = self.application_mapping.get(scope["type"])
        if application is None:
            raise ValueError(f"No application configured for scope type {scope['type']!r}")
        return application(scope, receive, send)


application = ProtocolRouter({
    "http": http_app,
    # Host and Origin checks, session, user and routing in one layer and one scope (game/middleware.py)
    "websocket": SocketStack(game.routing.websocket_urlpatterns),
})

if settings.GAME["GC_FREEZE"]:
    # What start-up loaded (Django, the apps, the views, about 90,000 objects) lives as long
    # as the process. Frozen, it is out of the cyclic collector's sight: a full collection
    # under load then scans the game's own objects only. Unfrozen, each one paused every
    # lobby for about 80 ms at 40 lobbies at 60 Hz — five ticks, enough to make them skip
    # (docs/performance.md, "Garbage collection").
    import_module(settings.ROOT_URLCONF)  # it imports the views: load them now, not at the first request
    gc.collect()
    gc.freeze()
