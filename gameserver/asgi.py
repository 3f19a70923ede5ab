"""ASGI entry point: HTTP goes to Django, websockets to the game consumers."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")
django_asgi_app = get_asgi_application()  # before importing code that touches models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

import game.routing  # noqa: E402

# The embedded default serves the browser client itself; behind nginx set SERVE_STATIC=0
# and let nginx serve STATIC_ROOT (docs/deploy.md).
http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.SERVE_STATIC else django_asgi_app

application = ProtocolTypeRouter({
    "http": http_app,
    "websocket": AllowedHostsOriginValidator(
        AuthMiddlewareStack(URLRouter(game.routing.websocket_urlpatterns))
    ),
})
