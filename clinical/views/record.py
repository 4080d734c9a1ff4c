"""The record's hub, its full history, and who has read it.

The hub gathers every part of a patient's record on one page; each part
renders its own section (clinical/record/_<part>.html) from the context
given here. The history page merges the versions of every clinical row of
the patient (django-simple-history) with the amendments, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from clinical.access import RecordGrant, read_record, write_record
from clinical.models import (
    Amendment,
    Consent,
    InjectionPoint,
    OutcomeScore,
    Photo,
    RecordAccess,
    ScreeningRecord,
    SessionChart,
    TreatmentCourse,
)
from clinics.models import Role
from patients.models import Intake, Patient
from scheduling.models import LIVE_STATUSES, Appointment


def access_context(access: RecordGrant) -> dict[str, Any]:
    """The base context of every record page: clinic, member, patient, and
    whether the reader may write."""
    return {
        "clinic": access.clinic,
        "member": access.member,
        "patient": access.patient,
        "access": access,
        "can_write": access.can_write,
    }


def record_context(request: HttpRequest, slug: str, patient_id: int, what: str) -> dict[str, Any]:
    """``access_context`` for a reader of the record; logs the read."""
    return access_context(read_record(request.user, slug, patient_id, what))


def write_context(request: HttpRequest, slug: str, patient_id: int) -> dict[str, Any]:
    """``access_context`` for a change to the record: practitioners only."""
    return access_context(write_record(request.user, slug, patient_id))


@login_required
@require_GET
def hub(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    context = record_context(request, slug, patient_id, "record")
    patient = context["patient"]
    context.update(
        intakes=Intake.objects.filter(patient=patient).select_related("submitted_by")[:5],
        screenings=ScreeningRecord.objects.filter(patient=patient).select_related(
            "screened_by", "overridden_by", "appointment"
        )[:20],
        courses=TreatmentCourse.objects.filter(patient=patient),
        consents=Consent.objects.filter(patient=patient).select_related("text", "witnessed_by"),
        charts=SessionChart.objects.filter(patient=patient).select_related(
            "course", "practitioner__user", "device"
        ),
        photos=Photo.objects.filter(patient=patient).select_related("chart"),
        scores=OutcomeScore.objects.filter(patient=patient).select_related("chart"),
        amendments=Amendment.objects.filter(patient=patient).count(),
        today=_todays_sessions(patient),
    )
    return render(request, "clinical/record/hub.html", context)


@dataclass
class TodaysSession:
    appointment: Appointment
    screening: ScreeningRecord | None  # the latest check-in screening, if any
    chart: SessionChart | None


def _todays_sessions(patient: Patient) -> list[TodaysSession]:
    """The patient's live appointments today at the clinic, each with its
    check-in screening and chart when they exist: where a session starts."""
    today = patient.clinic.today()
    tz = ZoneInfo(patient.clinic.time_zone)
    start = datetime.combine(today, time.min, tz)
    appointments = (
        Appointment.objects.filter(
            patient=patient,
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=1),
            status__in=LIVE_STATUSES,
        )
        .select_related("service")
        .order_by("starts_at")
    )
    appointments = list(appointments)
    # Two queries for the day, not two per appointment.
    screenings: dict[int, ScreeningRecord] = {}
    for record in ScreeningRecord.objects.filter(
        appointment__in=appointments, occasion=ScreeningRecord.Occasion.CHECK_IN
    ).order_by("screened_at", "pk"):
        screenings[record.appointment_id] = record  # type: ignore[index]  # the latest wins
    charts = {
        c.appointment_id: c for c in SessionChart.objects.filter(appointment__in=appointments)
    }
    sessions = [TodaysSession(a, screenings.get(a.pk), charts.get(a.pk)) for a in appointments]
    return sessions


@dataclass
class Change:
    at: datetime
    what: str
    kind: str  # created, changed, deleted, amendment
    by: str
    reason: str
    changes: list[tuple[str, Any, Any]]


_HISTORIES: list[tuple[type[models.Model], str]] = [
    (Patient, "pk"),
    (Intake, "patient"),
    (TreatmentCourse, "patient"),
    (ScreeningRecord, "patient"),
    (Consent, "patient"),
    (SessionChart, "patient"),
    (InjectionPoint, "chart__patient"),
    (Photo, "patient"),
    (OutcomeScore, "patient"),
]
_KIND = {"+": "created", "~": "changed", "-": "deleted"}


def _history(patient: Patient) -> list[Change]:
    changes: list[Change] = []
    for model, link in _HISTORIES:
        versions = list(
            model.history.filter(**{link: patient.pk})  # type: ignore[attr-defined]
            .select_related("history_user")
            .order_by("id", "history_date", "history_id")
        )
        previous: dict[int, Any] = {}
        for version in versions:
            diff: list[tuple[str, Any, Any]] = []
            before = previous.get(version.id)
            if before is not None:
                delta = version.diff_against(before)
                diff = [(c.field, c.old, c.new) for c in delta.changes]
            previous[version.id] = version
            user = version.history_user
            changes.append(
                Change(
                    at=version.history_date,
                    what=f"{model._meta.verbose_name} {version.id}",
                    kind=_KIND.get(version.history_type, version.history_type),
                    by=(user.get_full_name() or user.username) if user else "",
                    reason=version.history_change_reason or "",
                    changes=diff,
                )
            )
    for amendment in Amendment.objects.filter(patient=patient).select_related(
        "amended_by", "content_type"
    ):
        changes.append(
            Change(
                at=amendment.amended_at,
                what=f"{amendment.content_type.name} {amendment.object_id}",
                kind="amendment",
                by=amendment.amended_by.get_full_name() or amendment.amended_by.username,
                reason=amendment.reason,
                changes=[(k, v["from"], v["to"]) for k, v in amendment.changes.items()],
            )
        )
    changes.sort(key=lambda c: c.at, reverse=True)
    return changes


@login_required
@require_GET
def history(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    context = record_context(request, slug, patient_id, "history")
    context["changes"] = _history(context["patient"])
    return render(request, "clinical/record/history.html", context)


@login_required
@require_GET
def reads(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    """Who read this record and when: for managers, who answer for it."""
    context = record_context(request, slug, patient_id, "access log")
    if context["member"].role != Role.MANAGER:
        raise PermissionDenied("Only a clinic manager sees who read a record.")
    context["reads"] = RecordAccess.objects.filter(patient=context["patient"]).select_related(
        "user"
    )[:500]
    return render(request, "clinical/record/reads.html", context)


urlpatterns = [
    path("", hub, name="record"),
    path("history/", history, name="history"),
    path("reads/", reads, name="reads"),
]
