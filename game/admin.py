from django.contrib import admin
from django.db.models.functions import Length
from django.template.defaultfilters import filesizeformat

from game.models import LobbyRecord, Match, Player, Rating, Result


@admin.register(Player)
class PlayerAdmin(admin.ModelAdmin):
    list_display = ("nickname", "identity", "user", "created_at", "last_seen")
    search_fields = ("nickname", "identity", "user__username")


@admin.register(LobbyRecord)
class LobbyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "game", "private", "max_players", "tick_rate_hz", "status", "created_at")
    list_filter = ("game", "status", "private")
    search_fields = ("code", "name", "creator_name")


class ResultInline(admin.TabularInline):
    model = Result
    extra = 0
    readonly_fields = ("player", "nickname", "score", "rank", "is_winner")
    can_delete = False


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ("id", "game", "lobby_code", "status", "reason", "winner", "ended_at", "replay_size")
    list_filter = ("game", "status")
    search_fields = ("lobby_code", "id")
    inlines = (ResultInline,)
    readonly_fields = ("id", "seed", "ticks", "tick_rate_hz", "settings", "epoch", "replay_size")

    def get_queryset(self, request):
        # The blob stays in the database: only its length is read, for the list and the form.
        return super().get_queryset(request).defer("replay").annotate(replay_bytes=Length("replay"))

    @admin.display(description="replay", ordering="replay_bytes")
    def replay_size(self, match: Match) -> str:
        size = match.replay_bytes
        return "–" if size is None else filesizeformat(size)


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("match", "nickname", "score", "rank", "is_winner")
    list_filter = ("is_winner",)


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("player", "game", "rating", "rd", "volatility", "matches", "updated_at")
    list_filter = ("game",)
    search_fields = ("player__nickname",)
