"""HTTP for staff: the live dashboard page (its figures come over /ws/staff/)."""

from __future__ import annotations

from django.contrib.auth.decorators import user_passes_test
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


def _is_staff(user) -> bool:
    return user.is_active and user.is_staff


@require_GET
@user_passes_test(_is_staff)  # anyone else goes to the login page, then comes back
def staff_dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "game/staff.html")
