"""The patient's own record, under /my/record/.

A patient sees only their own record: every page starts from the login's
own patient (clinical.access.own_patient), and every id in a URL must be
one of theirs, or the answer is 404. What is shown is chosen in
clinical/own_record.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.views.decorators.http import require_GET

from clinical.access import own_patient
from clinical.models import Consent, TreatmentCourse
from clinical.own_record import OwnRecord, own_record

PROGRESS_CHART = "clinical/_progress_chart.html"


def _photo_links(record: OwnRecord) -> list[dict[str, Any]]:
    """Each photo with its thumbnail and image addresses; None where the
    photo views are not there to serve them."""
    links = []
    for photo in record.photos:
        try:
            thumbnail: str | None = reverse("portal:photo_thumbnail", args=[photo.id])
            image: str | None = reverse("portal:photo_image", args=[photo.id])
        except NoReverseMatch:
            thumbnail = image = None
        links.append({"photo": photo, "thumbnail": thumbnail, "image": image})
    return links


def _has_progress_chart() -> bool:
    try:
        get_template(PROGRESS_CHART)
    except TemplateDoesNotExist:
        return False
    return True


def _context(request: HttpRequest, record: OwnRecord) -> dict[str, Any]:
    return {
        "patient": record.patient,
        "record": record,
        "photos": _photo_links(record),
        "progress_chart": PROGRESS_CHART if record.scores and _has_progress_chart() else None,
    }


@login_required
@require_GET
def record(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    return render(request, "clinical/portal/record.html", _context(request, own_record(patient)))


@login_required
@require_GET
def course(request: HttpRequest, course_id: int) -> HttpResponse:
    patient = own_patient(request)
    if not TreatmentCourse.objects.filter(pk=course_id, patient=patient).exists():
        raise Http404("No such course.")
    context = _context(request, own_record(patient, course_id=course_id))
    context["course"] = context["record"].courses[0]
    return render(request, "clinical/portal/course.html", context)


@login_required
@require_GET
def consent(request: HttpRequest, consent_id: int) -> HttpResponse:
    patient = own_patient(request)
    signed = Consent.objects.filter(pk=consent_id, patient=patient).select_related("text").first()
    if signed is None:
        raise Http404("No such consent.")
    return render(request, "clinical/portal/consent.html", {"patient": patient, "consent": signed})


urlpatterns: list[URLPattern] = [
    path("", record, name="record"),
    path("courses/<int:course_id>/", course, name="course"),
    path("consents/<int:consent_id>/", consent, name="consent"),
]
