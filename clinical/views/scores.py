"""Outcome scores of a session, and a course's progress.

At each session the practitioner records GAIS, by clinician and by patient,
and the measure that fits the course's indication (core/outcomes.py); a
composite measure such as the Hexsel scale is entered item by item. A score
once recorded changes only by amendment, with a reason. The progress page
draws each measure across the course as a server-rendered SVG line chart,
with the same numbers as a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clinical.access import write_record
from clinical.amend import amendments_of
from clinical.models import OutcomeScore, SessionChart, TreatmentCourse
from clinical.scores import Entry, ScoreError, chart_measures, course_progress, save_scores
from clinical.views.record import record_context
from core.catalog.model import Measure
from core.outcomes import plain
from mesoclinic.catalog import get_catalog
from patients.models import Patient


@dataclass
class ItemField:
    key: str
    name: str  # the input's name: hexsel_css.clinician.laxity
    html_id: str
    label: str
    low: int
    high: int | None
    value: str
    error: str = ""


@dataclass
class ScoreField:
    """One measure rated by one rater, as the form shows it."""

    measure: Measure
    rater: str
    name: str  # the input's name: gais.clinician
    html_id: str
    value: str
    options: list[tuple[str, str]]  # a labelled scale: (value, "2 - Much improved")
    items: list[ItemField] = field(default_factory=list)
    recorded: OutcomeScore | None = None
    amendments: int = 0
    error: str = ""


@dataclass
class MeasureFields:
    measure: Measure
    name: str
    fields: list[ScoreField]


def _chart_of(patient: Patient, chart_id: int) -> SessionChart:
    chart = (
        SessionChart.objects.filter(pk=chart_id, patient=patient).select_related("course").first()
    )
    if chart is None:
        raise Http404("No such session.")
    return chart


def _fields(
    chart: SessionChart, submitted: Any = None, errors: dict[str, str] | None = None
) -> list[MeasureFields]:
    errors = errors or {}
    recorded = {f"{s.measure}.{s.rater}": s for s in OutcomeScore.objects.filter(chart=chart)}
    out = []
    for measure in chart_measures(chart):
        fields = []
        for rater in measure.raters:
            key = f"{measure.key}.{rater}"
            score = recorded.get(key)

            def shown(name: str, stored: str, score: OutcomeScore | None = score) -> str:
                if submitted is not None:
                    return str(submitted.get(name, "")).strip()
                return stored if score is not None else ""

            items = [
                ItemField(
                    key=item.key,
                    name=f"{key}.{item.key}",
                    html_id=f"score-{measure.key}-{rater}-{item.key}",
                    label=_(item.name),
                    low=item.scale.min,
                    high=item.scale.max,
                    value=shown(
                        f"{key}.{item.key}",
                        str((score.items or {}).get(item.key, "")) if score else "",
                    ),
                    error=errors.get(f"{key}.{item.key}", ""),
                )
                for item in measure.items
            ]
            options = [
                (str(label.value), f"{label.value} - {_(label.text)}") for label in measure.labels
            ]
            fields.append(
                ScoreField(
                    measure=measure,
                    rater=rater,
                    name=key,
                    html_id=f"score-{measure.key}-{rater}",
                    value=shown(key, plain(score.value) if score else ""),
                    options=options,
                    items=items,
                    recorded=score,
                    amendments=amendments_of(score).count() if score else 0,
                    error=errors.get(key, ""),
                )
            )
        out.append(MeasureFields(measure, _(measure.name), fields))
    return out


def _page(
    request: HttpRequest,
    slug: str,
    patient_id: int,
    chart_id: int,
    submitted: Any = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    context = record_context(request, slug, patient_id, f"scores of session chart {chart_id}")
    chart = _chart_of(context["patient"], chart_id)
    indication = get_catalog().indications.get(chart.course.indication)
    context.update(
        chart=chart,
        course=chart.course,
        indication_name=_(indication.name) if indication else chart.course.indication,
        measures=_fields(chart, submitted, errors),
        errors=errors or {},
        reason=(submitted or {}).get("reason", ""),
        has_recorded=OutcomeScore.objects.filter(chart=chart).exists(),
    )
    return context


def _entries(chart: SessionChart, data: Any) -> list[Entry]:
    """The ratings given on the form: every measure and rater with a value
    or an item filled in, and every recorded one whose field was sent empty
    (refused: a score is amended, never removed). A field not sent at all
    leaves its score as it is."""
    recorded = set(OutcomeScore.objects.filter(chart=chart).values_list("measure", "rater"))
    entries = []
    for measure in chart_measures(chart):
        for rater in measure.raters:
            key = f"{measure.key}.{rater}"
            value = str(data.get(key, "")).strip()
            items = {
                item.key: str(data.get(f"{key}.{item.key}", "")).strip() for item in measure.items
            }
            sent = key in data or any(f"{key}.{item.key}" in data for item in measure.items)
            if value or any(items.values()) or (sent and (measure.key, rater) in recorded):
                entries.append(Entry(measure.key, rater, value, items))
    return entries


@login_required
@require_http_methods(["GET", "POST"])
def chart_scores(request: HttpRequest, slug: str, patient_id: int, chart_id: int) -> HttpResponse:
    """GET: the session's scores as a form. POST: record them (practitioners
    only); a changed score needs the reason for its amendment."""
    if request.method != "POST":
        return render(
            request, "clinical/scores/entry.html", _page(request, slug, patient_id, chart_id)
        )
    access = write_record(request.user, slug, patient_id)
    chart = _chart_of(access.patient, chart_id)
    try:
        saved = save_scores(
            chart, _entries(chart, request.POST), request.user, request.POST.get("reason", "")
        )
    except ScoreError as error:
        errors = {p.form_field: p.problem.message for p in error.problems}
        context = _page(request, slug, patient_id, chart_id, request.POST, errors)
        return render(request, "clinical/scores/entry.html", context, status=400)
    if saved.created or saved.amended:
        messages.success(
            request,
            _("Scores saved: %(created)s recorded, %(amended)s amended.")
            % {"created": len(saved.created), "amended": len(saved.amended)},
        )
    else:
        messages.info(request, _("Nothing changed."))
    return redirect(
        "clinical:progress", slug=slug, patient_id=patient_id, course_id=chart.course_id
    )


@login_required
@require_GET
def progress(request: HttpRequest, slug: str, patient_id: int, course_id: int) -> HttpResponse:
    context = record_context(request, slug, patient_id, f"progress of course {course_id}")
    course = TreatmentCourse.objects.filter(pk=course_id, patient=context["patient"]).first()
    if course is None:
        raise Http404("No such course.")
    indication = get_catalog().indications.get(course.indication)
    context.update(
        course=course,
        indication_name=_(indication.name) if indication else course.indication,
        progress=course_progress(course),
        charts=SessionChart.objects.filter(course=course).order_by("session_number"),
    )
    return render(request, "clinical/scores/progress.html", context)


urlpatterns: list[URLPattern] = [
    path("charts/<int:chart_id>/scores/", chart_scores, name="scores"),
    path("courses/<int:course_id>/progress/", progress, name="progress"),
]
