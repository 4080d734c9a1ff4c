"""The public self-screening page: a questionnaire, then the verdict.

Server-rendered and complete without JavaScript; static/js/screening.js
only hides the areas and questions that do not apply.
"""

from __future__ import annotations

import zoneinfo
from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clinics.models import Clinic
from core.screening import ScreeningInputError, screen
from mesoclinic.catalog import get_catalog
from screening.forms import ScreeningForm
from screening.present import present

# Without the public clinic in the database (a fresh install), the demo
# clinic's country.
DEFAULT_COUNTRY = "IN"


def public_country_and_today() -> tuple[str, date]:
    """The public clinic's country and today's date in its time zone (one
    query); without it, the default country and the server's date."""
    clinic = Clinic.objects.filter(slug=settings.MESOCLINIC_PUBLIC_CLINIC).first()
    if clinic is None:
        return DEFAULT_COUNTRY, timezone.localdate()
    return clinic.country, timezone.localdate(timezone=zoneinfo.ZoneInfo(clinic.time_zone))


@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest) -> HttpResponse:
    catalog = get_catalog()
    country, today = public_country_and_today()
    if request.method != "POST":
        form = ScreeningForm(catalog, today)
        return render(request, "screening/questionnaire.html", {"form": form})
    form = ScreeningForm(catalog, today, request.POST)
    if form.is_valid():
        try:
            result = screen(catalog, form.screening_request(country))
        except ScreeningInputError as exc:
            form.add_problems(exc)
        else:
            context = {"form": form, "result": present(catalog, result)}
            return render(request, "screening/questionnaire.html", context)
    return render(request, "screening/questionnaire.html", {"form": form}, status=400)
