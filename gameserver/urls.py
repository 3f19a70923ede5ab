from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the switcher without scripts
    path("", include("game.urls")),
]

# Without DEBUG, a request Django refuses before routing (a Host outside ALLOWED_HOSTS, a
# body it cannot read) is answered by this: JSON under /api/, the usual page elsewhere.
handler400 = "game.views.bad_request"
