from django.contrib import admin

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
    list_display = ("id", "game", "lobby_code", "status", "reason", "winner", "ended_at")
    list_filter = ("game", "status")
    search_fields = ("lobby_code", "id")
    inlines = [ResultInline]
    readonly_fields = ("id", "seed", "ticks", "tick_rate_hz", "settings")


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("match", "nickname", "score", "rank", "is_winner")
    list_filter = ("is_winner",)


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("player", "game", "rating", "rd", "volatility", "matches", "updated_at")
    list_filter = ("game",)
    search_fields = ("player__nickname",)
