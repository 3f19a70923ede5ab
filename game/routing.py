from django.urls import re_path

from game.consumers import LobbyConsumer

websocket_urlpatterns = [
    re_path(r"^ws/lobby/(?P<code>[A-Za-z0-9]{4,12})/$", LobbyConsumer.as_asgi()),
]
