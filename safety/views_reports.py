"""Adverse-event reports, under /staff/<clinic>/safety/reports/.

Managers and practitioners see the clinic's adverse events counted per
product, lot, practitioner and indication, with the sessions and patients
of each (safety/reports.py), over a range of session days, and download
each table as CSV. Front desk is refused (403); another clinic's staff
find nothing (404).
"""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clinical.access import CLINICAL_READ_ROLES
from clinics.access import staff_clinic
from safety.reports import GROUPINGS, ReportError, adverse_event_report, csv_rows
from screening.forms import DateInput


class RangeForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("Sessions from"), required=False, widget=DateInput()
    )
    date_to = forms.DateField(label=gettext_lazy("to"), required=False, widget=DateInput())
    by = forms.ChoiceField(
        label=gettext_lazy("Count by"),
        choices=[(g, g) for g in GROUPINGS],
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", gettext_lazy("The end of the range is before its start."))
        return data


TITLES = {
    "product": gettext_lazy("By product"),
    "lot": gettext_lazy("By lot"),
    "practitioner": gettext_lazy("By practitioner"),
    "indication": gettext_lazy("By indication"),
}


@login_required
@require_GET
def reports(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug, CLINICAL_READ_ROLES)
    form = RangeForm(request.GET or None)
    context: dict[str, Any] = {"clinic": clinic, "member": member, "form": form, "tables": []}
    if request.GET and not form.is_valid():
        return render(request, "safety/event_reports.html", context, status=400)
    data = form.cleaned_data if request.GET else {}
    start, end = data.get("date_from"), data.get("date_to")
    context["tables"] = [
        (by, TITLES[by], adverse_event_report(clinic, by, start, end)) for by in GROUPINGS
    ]
    return render(request, "safety/event_reports.html", context)


def _cell(value: str) -> str:
    # A name starting with = + - @ would be run as a formula by a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@login_required
@require_GET
def reports_csv(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, _ = staff_clinic(request.user, slug, CLINICAL_READ_ROLES)
    form = RangeForm(request.GET)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        message = " ".join(str(e) for e in errors)
        return HttpResponse(f"{field}: {message}", status=400, content_type="text/plain")
    data = form.cleaned_data
    by = data.get("by") or "product"
    try:
        report = adverse_event_report(clinic, by, data.get("date_from"), data.get("date_to"))
    except ReportError as error:
        return HttpResponse(
            f"{error.field}: {error.message}", status=400, content_type="text/plain"
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"adverse-events-by-{by}-{clinic.slug}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    for row in csv_rows(report):
        writer.writerow([_cell(cell) for cell in row])
    return response


report_urlpatterns = [
    path("reports/", reports, name="reports"),
    path("reports/adverse-events.csv", reports_csv, name="reports_csv"),
]
