"""Adverse events over JSON: the clinic's review list, a session's events,
a staff report, a practitioner's review, and the patient's own report by
their follow-up link.

The rules are the pages' (safety/events.py): a report is checked, triaged
(core.triage) and written in one transaction with the lots injected at the
session; an urgent one alerts the clinic. Staff endpoints follow the
record's rules (api/record_access.py): practitioners and managers read,
practitioners report and review, front desk 403, another clinic's staff
404; reads of a patient's events are logged. The follow-up endpoint needs
no login: the token is the key, and it opens only its own session.

Photos travel as base64 strings in the JSON (at most 3, 15 MB each once
decoded) and are stored without their metadata, like the pages' uploads.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import ConfigDict, StrictBool, StrictStr

from api.errors import ApiError
from api.record_access import api_read, api_write
from clinical.access import CLINICAL_READ_ROLES, CLINICAL_WRITE_ROLES
from clinical.models import SessionChart
from clinics.access import staff_clinic
from clinics.models import Clinic
from safety.events import MAX_PHOTOS, EventError, Report, Review, report_event, review_event
from safety.links import open_link
from safety.messages import effect_label
from safety.models import AdverseEvent, EventStatus, Level, ReportedVia
from safety.queries import filtered
from safety.triage_display import advice_context, reasons

router = Router()

DISCLAIMER = "This advice supports, and does not replace, your practitioner's judgement."


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# -- shapes ------------------------------------------------------------------------------------


class LotOut(Schema):
    id: int
    product: str
    number: str
    expiry: date
    recalled: bool


class PhotoOut(Schema):
    id: int
    width: int
    height: int
    image_url: str
    thumbnail_url: str


class ReasonOut(Schema):
    code: str
    text: str
    sources: list[str]


class EventOut(Schema):
    id: int
    patient_id: int
    chart_id: int
    reported_via: str
    reported_by: str | None
    reported_at: datetime
    effect: str = Field(..., description='A catalog side-effect key, or "other".')
    effect_name: str
    site: str
    description: str
    started_at: datetime
    severity: str
    signs: list[str] = Field(..., description="Catalog warning-sign keys ticked.")
    level: str = Field(..., description="expected, review or urgent (after any review).")
    triaged_level: str = Field(..., description="The triage's own level.")
    reasons: list[ReasonOut]
    status: str
    review_due_at: datetime | None
    lots: list[LotOut] = Field(..., description="The lots injected at the session.")
    photos: list[PhotoOut]
    reviewed_by: str | None
    reviewed_at: datetime | None
    outcome: str
    treatment: str
    review_notes: str
    level_change_reason: str


class PatientEventOut(Schema):
    """What the patient is told: the level and the advice, nothing internal."""

    id: int
    level: str
    status: str
    effect_name: str
    advice: str
    see_doctor: str
    sign_advice: list[str]
    emergency: bool = Field(..., description="Call the local emergency number first.")
    contact_clinic_now: bool
    review_within_hours: int | None
    clinic_phone: str
    disclaimer: str


def _name(user: Any) -> str | None:
    return str(user.get_full_name() or user.username) if user else None


def event_out(event: AdverseEvent) -> EventOut:
    slug = event.clinic.slug
    return EventOut(
        id=event.pk,
        patient_id=event.patient_id,
        chart_id=event.chart_id,
        reported_via=event.reported_via,
        reported_by=_name(event.reported_by),
        reported_at=event.reported_at,
        effect=event.effect,
        effect_name=effect_label(event),
        site=event.site,
        description=event.description,
        started_at=event.started_at,
        severity=event.severity,
        signs=list(event.signs),
        level=event.level,
        triaged_level=(event.triage or {}).get("level", event.level),
        reasons=[ReasonOut(**r) for r in reasons(event)],
        status=event.status,
        review_due_at=event.review_due_at,
        lots=[
            LotOut(
                id=lot.pk,
                product=lot.product.name,
                number=lot.number,
                expiry=lot.expiry,
                recalled=lot.recalled_at is not None,
            )
            for lot in event.lots.select_related("product").order_by("pk")
        ],
        photos=[
            PhotoOut(
                id=p.pk,
                width=p.width,
                height=p.height,
                image_url=reverse("safety:photo", args=[slug, event.pk, p.pk]),
                thumbnail_url=reverse("safety:photo_thumbnail", args=[slug, event.pk, p.pk]),
            )
            for p in event.photos.order_by("pk")
        ],
        reviewed_by=_name(event.reviewed_by),
        reviewed_at=event.reviewed_at,
        outcome=event.outcome,
        treatment=event.treatment,
        review_notes=event.review_notes,
        level_change_reason=event.level_change_reason,
    )


def patient_event_out(event: AdverseEvent) -> PatientEventOut:
    shown = advice_context(event)
    return PatientEventOut(
        id=event.pk,
        level=event.level,
        status=event.status,
        effect_name=shown["effect_name"],
        advice=shown["advice"],
        see_doctor=shown["see_doctor"],
        sign_advice=shown["sign_advice"],
        emergency=shown["emergency"],
        contact_clinic_now=event.level == Level.URGENT,
        review_within_hours=(event.triage or {}).get("review_within_hours"),
        clinic_phone=event.clinic.phone,
        disclaimer=DISCLAIMER,
    )


def _events() -> Any:
    return AdverseEvent.objects.select_related("clinic", "reported_by", "reviewed_by")


# -- reports -----------------------------------------------------------------------------------


class ReportIn(_In):
    effect: StrictStr = Field(
        ..., description='A side-effect key offered for the session, or "other" (describe it).'
    )
    started_at: datetime = Field(
        ..., description="When it started; without a zone, the clinic's local time."
    )
    severity: StrictStr = Field(..., description="mild, moderate or severe.")
    signs: list[StrictStr] = Field([], description="Catalog warning-sign keys that apply.")
    site: StrictStr = Field("", max_length=200, description="Where on the body.")
    description: StrictStr = Field("", max_length=4000)
    photos: list[StrictStr] = Field(
        [], max_length=MAX_PHOTOS, description="Up to 3 JPEG, PNG or WebP images, base64."
    )


class FollowUpReportIn(ReportIn):
    step: StrictStr = Field(
        "",
        max_length=20,
        description='The check-in it answers (a catalog follow-up step, "day_1").',
    )


def _photos(encoded: list[str]) -> tuple[bytes, ...]:
    decoded = []
    for n, text in enumerate(encoded):
        try:
            decoded.append(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            raise ApiError(422, "This photo is not valid base64.", f"photos.{n}") from None
    return tuple(decoded)


def _report(payload: ReportIn, clinic: Clinic, step: str = "") -> Report:
    started = payload.started_at
    if started.tzinfo is None:
        started = started.replace(tzinfo=ZoneInfo(clinic.time_zone))
    return Report(
        effect=payload.effect,
        started_at=started,
        severity=payload.severity,
        signs=tuple(payload.signs),
        site=payload.site,
        description=payload.description,
        photos=_photos(payload.photos),
        step=step,
    )


def _error(error: EventError) -> ApiError:
    status = 422 if error.status == 400 else error.status
    return ApiError(status, error.message, error.field)


def _chart(clinic: Clinic, patient_id: int, chart_id: int) -> SessionChart:
    chart = (
        SessionChart.objects.filter(clinic=clinic, patient_id=patient_id, pk=chart_id)
        .select_related("course", "clinic")
        .first()
    )
    if chart is None:
        raise ApiError(404, "There is no such chart in this record.", "chart_id")
    return chart


@router.get(
    "/patients/{patient_id}/charts/{chart_id}/adverse-events",
    response={200: list[EventOut]},
    auth=django_auth,
)
def chart_events(request: HttpRequest, patient_id: int, chart_id: int) -> list[EventOut]:
    """The adverse events reported after one session, newest first."""
    access = api_read(request, patient_id, f"adverse events of chart {chart_id} (API)")
    chart = _chart(access.clinic, patient_id, chart_id)
    return [event_out(e) for e in _events().filter(chart=chart).order_by("-reported_at", "-pk")]


@router.post(
    "/patients/{patient_id}/charts/{chart_id}/adverse-events",
    response={201: EventOut},
    auth=django_auth,
)
def create_event(request: HttpRequest, patient_id: int, chart_id: int, payload: ReportIn) -> Status:
    """A practitioner reports an event after the session: triaged and
    linked to the session's lots (201); 422 naming the field otherwise."""
    access = api_write(request, patient_id)
    chart = _chart(access.clinic, patient_id, chart_id)
    try:
        event = report_event(
            chart, _report(payload, access.clinic), via=ReportedVia.STAFF, by=request.user
        )
    except EventError as error:
        raise _error(error) from None
    return Status(201, event_out(_events().get(pk=event.pk)))


@router.post(
    "/follow-up/{token}/adverse-events",
    response={201: PatientEventOut},
    auth=None,
)
def follow_up_event(request: HttpRequest, token: str, payload: FollowUpReportIn) -> Status:
    """The patient reports a problem by their follow-up link (no login):
    201 with the advice; 404 for an unknown, expired or revoked link; 422
    naming the field; 429 after too many reports in a day."""
    try:
        link = open_link(token)
    except Http404:
        raise ApiError(404, "This follow-up link is not valid.", "token") from None
    try:
        event = report_event(
            link.chart,
            _report(payload, link.clinic, payload.step),
            via=ReportedVia.PATIENT,
            link=link,
        )
    except EventError as error:
        raise _error(error) from None
    return Status(201, patient_event_out(_events().get(pk=event.pk)))


# -- the clinic's list and the review ---------------------------------------------------------


def _clinic(request: HttpRequest, slug: str, roles: frozenset[str], refusal: str) -> Clinic:
    try:
        clinic, _member = staff_clinic(request.user, slug, roles)
    except Http404:
        raise ApiError(404, "There is no such clinic, or you are not its staff.", "slug") from None
    except PermissionDenied:
        raise ApiError(403, refusal, "slug") from None
    return clinic


class EventFilters(Schema):
    status: StrictStr | None = Field(None, description="open, reassured, reviewed or closed.")
    level: StrictStr | None = Field(None, description="expected, review or urgent.")


@router.get("/clinics/{slug}/adverse-events", response={200: list[EventOut]}, auth=django_auth)
def clinic_events(request: HttpRequest, slug: str, filters: Query[EventFilters]) -> list[EventOut]:
    """The clinic's adverse events as the review list orders them: open
    first, urgent before review, then by when the review is due (at most
    500)."""
    clinic = _clinic(request, slug, CLINICAL_READ_ROLES, "Your role may not see adverse events.")
    if filters.status is not None and filters.status not in EventStatus.values:
        raise ApiError(422, "Choose open, reassured, reviewed or closed.", "status")
    if filters.level is not None and filters.level not in Level.values:
        raise ApiError(422, "Choose expected, review or urgent.", "level")
    events = filtered(clinic, "all", filters.level or "")
    if filters.status:
        events = events.filter(status=filters.status)
    events = events.select_related("clinic", "reported_by", "reviewed_by")
    return [event_out(e) for e in events[:500]]


@router.get("/clinics/{slug}/adverse-events/{event_id}", response={200: EventOut}, auth=django_auth)
def clinic_event(request: HttpRequest, slug: str, event_id: int) -> EventOut:
    """One event (a read of the patient's record: logged)."""
    clinic = _clinic(request, slug, CLINICAL_READ_ROLES, "Your role may not see adverse events.")
    event = _events().filter(clinic=clinic, pk=event_id).first()
    if event is None:
        raise ApiError(404, "There is no such adverse event.", "event_id")
    api_read(request, event.patient_id, f"adverse event {event.pk} (API)")
    return event_out(event)


class ReviewIn(_In):
    outcome: StrictStr = Field(
        ..., description="resolved, improving, ongoing, referred or sequelae."
    )
    treatment: StrictStr = Field("", max_length=4000, description="Treatment given, if any.")
    notes: StrictStr = Field("", max_length=4000)
    level: StrictStr = Field("", description="A new level; empty keeps it.")
    level_reason: StrictStr = Field("", description="Why the level changes (needed then).")
    close: StrictBool = Field(False, description="Close the event rather than mark it reviewed.")


@router.post(
    "/clinics/{slug}/adverse-events/{event_id}/review",
    response={200: EventOut},
    auth=django_auth,
)
def review(request: HttpRequest, slug: str, event_id: int, payload: ReviewIn) -> EventOut:
    """A practitioner's review: outcome, treatment given, notes, a change
    of level with its reason; the event becomes reviewed (or closed), with
    who and when."""
    clinic = _clinic(
        request, slug, CLINICAL_WRITE_ROLES, "Only a practitioner may review an adverse event."
    )
    event = _events().filter(clinic=clinic, pk=event_id).first()
    if event is None:
        raise ApiError(404, "There is no such adverse event.", "event_id")
    try:
        review_event(
            event,
            Review(
                outcome=payload.outcome,
                treatment=payload.treatment,
                notes=payload.notes,
                level=payload.level,
                level_reason=payload.level_reason,
                close=payload.close,
            ),
            request.user,
        )
    except EventError as error:
        raise _error(error) from None
    return event_out(_events().get(pk=event.pk))
