"""The waiting room's screen: the numbers being served, with their rooms,
and the next numbers waiting. Public, so it shows numbers and rooms only,
never a name or a phone.

The page is complete without JavaScript (it reloads itself every 20
seconds); static/js/queue.js refreshes it every few seconds from
``state.json`` instead.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from clinics.models import Clinic
from tokens import queueing

REFRESH_SECONDS = 5


@require_GET
def screen(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = get_object_or_404(Clinic, slug=slug)
    context = {
        "clinic": clinic,
        "state": queueing.screen(clinic),
        "refresh_seconds": REFRESH_SECONDS,
    }
    response = render(request, "tokens/screen.html", context)
    add_never_cache_headers(response)
    return response


@require_GET
def state(request: HttpRequest, slug: str) -> JsonResponse:
    """``{"serving": [{"number", "room"}], "waiting": [numbers]}``, the last
    called first. Two queries besides the clinic's."""
    clinic = get_object_or_404(Clinic, slug=slug)
    found = queueing.screen(clinic)
    response = JsonResponse(
        {
            "serving": [{"number": n, "room": room} for n, room in found.serving],
            "waiting": found.waiting,
        }
    )
    add_never_cache_headers(response)
    return response
