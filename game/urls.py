from django.urls import path, re_path, register_converter

from game import views, views_replays, views_staff


class LobbyCodeConverter:
    """A lobby code as the websocket route takes it: 4 to 12 letters and digits. Any other
    path segment names no lobby (a page's 404, or the JSON 404 under /api/), and never
    reaches a lookup."""

    regex = "[A-Za-z0-9]{4,12}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(LobbyCodeConverter, "lobbycode")

urlpatterns = [
    path("", views.index, name="index"),
    path("play/<lobbycode:code>/", views.play, name="play"),
    path("leaderboard/<str:game>/", views.leaderboard, name="leaderboard"),
    path("players/<int:player_id>/", views.player, name="player"),
    path("api/games", views.games, name="games"),
    path("api/lobbies", views.lobbies, name="lobbies"),
    path("api/lobbies/<lobbycode:code>", views.lobby_detail, name="lobby-detail"),
    path("api/lobbies/<lobbycode:code>/matches", views.lobby_matches, name="lobby-matches"),
    path("healthz", views.health, name="health"),
    path("metrics", views.metrics, name="metrics"),
    path("staff/", views_staff.staff_dashboard, name="staff"),
    # JSON for every refusal and fault under /api/ (views.api_view), the replay's too:
    path("api/matches/<str:match_id>/replay", views.api_view("GET")(views_replays.replay_data),
         name="match-replay"),
    path("replays/<str:match_id>/", views_replays.replay_page, name="replay"),
    re_path(r"^api/(?P<path>.*)$", views.api_not_found),  # last: an unknown /api/ path is a JSON 404
]
