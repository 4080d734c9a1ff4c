"""The public self-screening page: a questionnaire, then the verdict.

Server-rendered and complete without JavaScript; static/js/screening.js
only hides the areas and questions that do not apply.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.screening import ScreeningInputError, screen
from mesoclinic.catalog import get_catalog
from mesoclinic.site import public_clinic
from screening.forms import ScreeningForm
from screening.present import present


@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest) -> HttpResponse:
    catalog = get_catalog()
    clinic = public_clinic()
    country, today = clinic.country, clinic.today()
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
