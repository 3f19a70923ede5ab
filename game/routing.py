from django.urls import re_path

from game.consumers import LobbyConsumer
from game.dashboard.consumer import StaffConsumer
from game.matchmaking.consumer import QueueConsumer

websocket_urlpatterns = [
    re_path(r"^ws/lobby/(?P<code>[A-Za-z0-9]{4,12})/$", LobbyConsumer.as_asgi()),
    re_path(r"^ws/queue/(?P<game>[a-z0-9_-]{1,32})/$", QueueConsumer.as_asgi()),
    re_path(r"^ws/staff/$", StaffConsumer.as_asgi()),
]
