"""The record's consent pages.

- ``courses/<id>/consent/``: the current treatment consent text of the
  course's indication, in full (what the treatment is, its risks, the
  alternatives, with sources), and the form the patient signs on the
  practitioner's tablet: typed name and a drawn signature, witnessed by the
  practitioner logged in.
- ``consents/photos/``: the same for clinical photographs.
- ``consents/<id>/``: one signed consent: the version of the text signed,
  the signature, when (in the clinic's time zone), who witnessed it, and
  its withdrawal; ``consents/<id>/withdraw/`` records one.
- ``consents/<id>/signature.png``: the drawn signature, served only to
  those who may read the record (each read logged).

Reads go through record_context (logged), changes through write_record
(practitioners only); front desk gets 403, other clinics' staff 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinical.consents import ConsentError, current_text, sign, withdraw
from clinical.models import Consent, ConsentText, TreatmentCourse
from clinical.views.courses import course_view, patient_course
from clinical.views.record import record_context, write_context
from core.consent import parse_body
from mesoclinic.catalog import get_catalog

# Consent texts are published in English for now: a translated consent is
# signed only once its translation has been reviewed.
LANGUAGE = "en"


def _sign_page(
    request: HttpRequest,
    context: dict[str, Any],
    kind: str,
    course: TreatmentCourse | None,
) -> HttpResponse:
    clinic = context["clinic"]
    indication = course.indication if course else ""
    context.update(course=course, errors={}, typed_name="", kind=kind)
    if course is not None:
        context["names"] = course_view(get_catalog(), course)
    try:
        text = current_text(clinic, kind, indication, LANGUAGE)
    except ConsentError as error:
        context["errors"] = {error.field: [error.message]}
        return render(request, "clinical/consents/sign.html", context, status=400)
    context.update(text=text, sections=parse_body(text.body))
    open_course = course is None or course.status in (
        TreatmentCourse.Status.PLANNED,
        TreatmentCourse.Status.ACTIVE,
    )
    context["open"] = open_course
    if request.method != "POST":
        return render(request, "clinical/consents/sign.html", context)

    posted = request.POST
    shown = ConsentText.objects.filter(clinic=clinic, pk=_int(posted.get("text"))).first()
    try:
        if shown is None:
            raise ConsentError("text", gettext_noop("There is no such consent text."))
        consent = sign(
            context["patient"],
            shown,
            course,
            str(posted.get("typed_name", "")),
            posted.get("signature", ""),
            request.user,
        )
    except ConsentError as error:
        context.update(
            errors={error.field: [error.message]},
            typed_name=posted.get("typed_name", ""),
        )
        return render(request, "clinical/consents/sign.html", context, status=400)
    messages.success(request, gettext("Consent signed."))
    return redirect("clinical:consent", clinic.slug, context["patient"].pk, consent.pk)


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def course_consent(
    request: HttpRequest, slug: str, patient_id: int, course_id: int
) -> HttpResponse:
    if request.method == "POST":
        context = write_context(request, slug, patient_id)
    else:
        context = record_context(request, slug, patient_id, "consent form")
    course = patient_course(context, course_id)
    return _sign_page(request, context, ConsentText.Kind.TREATMENT, course)


@login_required
@require_http_methods(["GET", "POST"])
def photo_consent(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    if request.method == "POST":
        context = write_context(request, slug, patient_id)
    else:
        context = record_context(request, slug, patient_id, "photo consent form")
    return _sign_page(request, context, ConsentText.Kind.PHOTOS, None)


def _consent(context: dict[str, Any], consent_id: int) -> Consent:
    consent = (
        Consent.objects.filter(pk=consent_id, patient=context["patient"])
        .select_related("text", "course", "witnessed_by", "withdrawal_recorded_by")
        .first()
    )
    if consent is None:
        raise Http404("No such consent.")
    return consent


def _detail(
    request: HttpRequest, context: dict[str, Any], consent: Consent, status: int = 200
) -> HttpResponse:
    context.update(consent=consent, text=consent.text, sections=parse_body(consent.text.body))
    context.setdefault("errors", {})
    return render(request, "clinical/consents/detail.html", context, status=status)


@login_required
@require_GET
def consent_detail(
    request: HttpRequest, slug: str, patient_id: int, consent_id: int
) -> HttpResponse:
    context = record_context(request, slug, patient_id, "consent")
    return _detail(request, context, _consent(context, consent_id))


@login_required
@require_GET
@never_cache
def consent_signature(
    request: HttpRequest, slug: str, patient_id: int, consent_id: int
) -> HttpResponse:
    context = record_context(request, slug, patient_id, "consent signature")
    consent = _consent(context, consent_id)
    response = HttpResponse(bytes(consent.signature_png), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="signature-{consent.pk}.png"'
    return response


@login_required
@require_POST
def consent_withdraw(
    request: HttpRequest, slug: str, patient_id: int, consent_id: int
) -> HttpResponse:
    context = write_context(request, slug, patient_id)
    consent = _consent(context, consent_id)
    try:
        withdraw(consent, str(request.POST.get("reason", "")), request.user)
    except ConsentError as error:
        context.update(errors={error.field: [error.message]}, reason=request.POST.get("reason", ""))
        consent.refresh_from_db()
        return _detail(request, context, consent, status=400)
    messages.success(request, gettext("The withdrawal is recorded."))
    return redirect("clinical:consent", slug, patient_id, consent.pk)


urlpatterns = [
    path("courses/<int:course_id>/consent/", course_consent, name="course_consent"),
    path("consents/photos/", photo_consent, name="photo_consent"),
    path("consents/<int:consent_id>/", consent_detail, name="consent"),
    path("consents/<int:consent_id>/signature.png", consent_signature, name="consent_signature"),
    path("consents/<int:consent_id>/withdraw/", consent_withdraw, name="consent_withdraw"),
]
