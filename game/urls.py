from django.urls import path

from game import views, views_replays
from game import views_staff

urlpatterns = [
    path("", views.index, name="index"),
    path("play/<str:code>/", views.play, name="play"),
    path("leaderboard/<str:game>/", views.leaderboard, name="leaderboard"),
    path("players/<int:player_id>/", views.player, name="player"),
    path("api/games", views.games, name="games"),
    path("api/lobbies", views.lobbies, name="lobbies"),
    path("api/lobbies/<str:code>", views.lobby_detail, name="lobby-detail"),
    path("api/lobbies/<str:code>/matches", views.lobby_matches, name="lobby-matches"),
    path("healthz", views.health, name="health"),
    path("metrics", views.metrics, name="metrics"),
    path("staff/", views_staff.staff_dashboard, name="staff"),
    path("api/matches/<str:match_id>/replay", views_replays.replay_data, name="match-replay"),
    path("replays/<str:match_id>/", views_replays.replay_page, name="replay"),
]
