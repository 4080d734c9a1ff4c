"""The aftercare sheet of a session: a page and a printable PDF, for staff
and for the patient.

Staff: /staff/<clinic>/patients/<id>/record/charts/<chart>/aftercare/
(and .../aftercare.pdf), read like the rest of the record
(clinical/access.py): practitioners and managers, each read logged; front
desk 403; other clinics' staff 404. The patient: /my/record/sessions/
<chart>/aftercare/ (and .../aftercare.pdf), for their own sessions only;
anyone else's chart is 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from clinical.access import own_patient
from clinical.aftercare_pdf import sheet_pdf
from clinical.aftercare_sheet import SheetView, chart_sheet, find_chart
from clinical.views.record import record_context


def _private(response: HttpResponse) -> HttpResponse:
    # A clinical record: never kept by a shared cache or the browser.
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_response(view: SheetView) -> HttpResponse:
    chart = view.chart
    response = HttpResponse(sheet_pdf(view), content_type="application/pdf")
    name = f"aftercare-{chart.performed_on:%Y-%m-%d}-session-{chart.session_number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return _private(response)


# -- staff ----------------------------------------------------------------------------------


def _staff(request: HttpRequest, slug: str, patient_id: int, chart_id: int, what: str) -> Any:
    context = record_context(request, slug, patient_id, f"chart {chart_id} aftercare{what}")
    chart = find_chart(context["clinic"], context["patient"], chart_id)
    context.update(chart=chart, view=chart_sheet(chart))
    return context


@login_required
@require_GET
def aftercare(request: HttpRequest, slug: str, patient_id: int, chart_id: int) -> HttpResponse:
    context = _staff(request, slug, patient_id, chart_id, "")
    return _private(render(request, "clinical/aftercare/staff.html", context))


@login_required
@require_GET
def aftercare_pdf(request: HttpRequest, slug: str, patient_id: int, chart_id: int) -> HttpResponse:
    context = _staff(request, slug, patient_id, chart_id, " (PDF)")
    return pdf_response(context["view"])


# -- the patient ----------------------------------------------------------------------------


def _own(request: HttpRequest, chart_id: int) -> SheetView:
    patient = own_patient(request)
    return chart_sheet(find_chart(patient.clinic, patient, chart_id))


@login_required
@require_GET
def portal_aftercare(request: HttpRequest, chart_id: int) -> HttpResponse:
    view = _own(request, chart_id)
    context = {"patient": view.patient, "chart": view.chart, "view": view}
    return _private(render(request, "clinical/aftercare/portal.html", context))


@login_required
@require_GET
def portal_aftercare_pdf(request: HttpRequest, chart_id: int) -> HttpResponse:
    return pdf_response(_own(request, chart_id))


urlpatterns: list[URLPattern] = [
    path("charts/<int:chart_id>/aftercare/", aftercare, name="aftercare"),
    path("charts/<int:chart_id>/aftercare.pdf", aftercare_pdf, name="aftercare_pdf"),
]
portal_urlpatterns: list[URLPattern] = [
    path("sessions/<int:chart_id>/aftercare/", portal_aftercare, name="aftercare"),
    path("sessions/<int:chart_id>/aftercare.pdf", portal_aftercare_pdf, name="aftercare_pdf"),
]
