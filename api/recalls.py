"""Recalls and adverse-event reports over JSON.

The rules are the pages' (stock/recall.py, safety/reports.py): a manager
recalls lots of their clinic (with the same lot at the other clinics they
manage, if asked) or a device cleaning (with its steriliser cycle), and
messages the patients not yet told; practitioners and managers read a
recall and record that a patient was told; each reader sees the patients
of the clinics where they may read records. Refusals name the field: 422
for bad input, 403 for a role that may not, 404 for another clinic's
recall, lot or cleaning.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr

from api.errors import ApiError
from clinical.access import CLINICAL_READ_ROLES
from clinics.access import staff_clinic
from clinics.models import Clinic, Role, StaffMember
from safety.reports import GROUPINGS, ReportError, adverse_event_report
from stock.models import DeviceCleaning, Lot, Recall, RecallNotice
from stock.recall import (
    NoticeRow,
    RecallError,
    cleanings_in_cycle,
    log_reads,
    managed_clinics,
    mark_told,
    matching_lots,
    message_all,
    notice_rows,
    recall_cleaning,
    recall_clinic_ids,
    recall_lots,
    recalls_at,
    visible_clinic_ids,
)

router = Router()


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# -- shapes ----------------------------------------------------------------------------------


class LotRef(Schema):
    id: int
    clinic: str
    product: str
    brand: str
    number: str
    expiry: date


class CleaningRef(Schema):
    id: int
    clinic: str
    device: str
    cleaned_at: datetime
    method: str
    cycle: str


class SessionOut(Schema):
    chart: int
    performed_on: date
    clinic: str
    practitioner: str
    lots: list[int] = Field(..., description="The recall's lots injected at this session.")
    device: str | None
    cleaning: int | None = Field(..., description="The recalled cleaning of its device.")


class ToldOut(Schema):
    at: datetime
    how: str
    by: str | None


class MessageRef(Schema):
    id: int
    status: str


class NoticeOut(Schema):
    id: int
    patient: int
    patient_name: str
    clinic: str
    sessions: list[SessionOut]
    told: ToldOut | None
    message: MessageRef | None
    note: str


class RecallOut(Schema):
    id: int
    clinic: str
    kind: str
    status: str
    reason: str
    created_at: datetime
    created_by: str
    lots: list[LotRef]
    cleanings: list[CleaningRef]
    notices: list[NoticeOut] = Field(
        ..., description="Every affected patient you may read, with their sessions."
    )
    not_shown: int = Field(
        ..., description="Affected patients at clinics whose records you may not read."
    )


class RecallIn(_In):
    lots: list[StrictInt] | None = Field(None, description="Lot ids at this clinic.")
    cleaning: StrictInt | None = Field(None, description="A device cleaning id at this clinic.")
    status: Literal["recalled", "suspect"]
    reason: StrictStr = Field(..., max_length=2000)
    include_other_clinics: StrictBool = Field(
        False,
        description="Also the same lot (number and product) or the same steriliser cycle at "
        "the other clinics you manage.",
    )


class MessageAllOut(Schema):
    scheduled: int
    messages: list[MessageRef]


class ToldIn(_In):
    how: Literal["phone", "in_person", "letter"]
    at: datetime | None = Field(None, description="When; with its offset. None: now.")
    note: StrictStr = Field("", max_length=2000)


class ReportRowOut(Schema):
    key: str
    label: str
    events: int
    expected: int
    review: int
    urgent: int
    sessions: int
    patients: int
    per_100_sessions: Decimal | None


class ReportOut(Schema):
    by: str
    date_from: date | None
    date_to: date | None
    events: int
    sessions: int
    rows: list[ReportRowOut]


class ReportQuery(Schema):
    by: Literal["product", "lot", "practitioner", "indication"] = "product"
    date_from: date | None = None
    date_to: date | None = None


# -- who is asking ---------------------------------------------------------------------------


def _staff(request: HttpRequest, slug: str, roles: Any, what: str) -> tuple[Clinic, StaffMember]:
    try:
        return staff_clinic(request.user, slug, roles)
    except Http404:
        raise ApiError(404, "There is no such clinic, or you are not its staff.", "slug") from None
    except PermissionDenied:
        raise ApiError(403, f"Your role may not {what}.", "slug") from None


def _recall(clinic: Clinic, recall_id: int) -> Recall:
    recall = recalls_at(clinic).filter(pk=recall_id).first()
    if recall is None:
        raise ApiError(404, "There is no such recall at this clinic.", "recall_id")
    return recall


def _error(error: RecallError) -> ApiError:
    return ApiError(error.status, error.message, error.field)


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.username)


def _notice_out(row: NoticeRow) -> NoticeOut:
    notice = row.notice
    said = row.told
    return NoticeOut(
        id=notice.pk,
        patient=notice.patient_id,
        patient_name=str(notice.patient),
        clinic=notice.clinic.slug,
        sessions=[
            SessionOut(
                chart=s.chart.pk,
                performed_on=s.chart.performed_on,
                clinic=s.chart.clinic.slug,
                practitioner=_name(s.chart.practitioner.user),
                lots=[lot.pk for lot in s.lots],
                device=s.chart.device.name if s.chart.device else None,
                cleaning=s.cleaning.pk if s.cleaning else None,
            )
            for s in row.sessions
        ],
        told=ToldOut(at=said.at, how=said.how, by=_name(said.by) if said.by else None)
        if said.at
        else None,
        message=MessageRef(id=notice.message.pk, status=notice.message.status)
        if notice.message
        else None,
        note=notice.note,
    )


def recall_out(request: HttpRequest, recall: Recall) -> RecallOut:
    reach = recall_clinic_ids(recall)
    readable = visible_clinic_ids(request.user, reach)
    rows = notice_rows(recall, readable)
    log_reads(rows, request.user, f"api recall {recall.pk}")
    lots = recall.lots.select_related("product__clinic").order_by("product__clinic__name", "pk")
    cleanings = recall.cleanings.select_related("device", "clinic").order_by("cleaned_at", "pk")
    return RecallOut(
        id=recall.pk,
        clinic=recall.clinic.slug,
        kind=recall.kind,
        status=recall.status,
        reason=recall.reason,
        created_at=recall.created_at,
        created_by=_name(recall.created_by),
        lots=[
            LotRef(
                id=lot.pk,
                clinic=lot.product.clinic.slug,
                product=lot.product.name,
                brand=lot.product.brand,
                number=lot.number,
                expiry=lot.expiry,
            )
            for lot in lots
        ],
        cleanings=[
            CleaningRef(
                id=c.pk,
                clinic=c.clinic.slug,
                device=c.device.name,
                cleaned_at=c.cleaned_at,
                method=c.method,
                cycle=c.cycle,
            )
            for c in cleanings
        ],
        notices=[_notice_out(row) for row in rows],
        not_shown=recall.notices.exclude(clinic_id__in=readable).count(),
    )


# -- recalls ---------------------------------------------------------------------------------


@router.post("/clinics/{slug}/recalls", response={201: RecallOut}, auth=django_auth)
def create_recall(request: HttpRequest, slug: str, payload: RecallIn) -> Status:
    """Recall lots (``lots``) or a device cleaning (``cleaning``; with the
    other cleanings of its steriliser cycle at this clinic): every patient
    who had it is listed, and a recalled lot can no longer be charted.
    Managers only. Patients are not messaged until message-all."""
    clinic, _ = _staff(request, slug, [Role.MANAGER], "make a recall")
    if (payload.lots is None) == (payload.cleaning is None):
        raise ApiError(422, "Give either lots or a cleaning.", "lots")
    try:
        if payload.lots is not None:
            if not payload.lots:
                raise ApiError(422, "Choose at least one lot.", "lots")
            found = {
                lot.pk: lot
                for lot in Lot.objects.filter(
                    product__clinic=clinic, pk__in=payload.lots
                ).select_related("product")
            }
            for index, lot_id in enumerate(payload.lots):
                if lot_id not in found:
                    raise ApiError(422, "There is no such lot at this clinic.", f"lots.{index}")
            chosen: dict[int, Lot] = dict(found)
            if payload.include_other_clinics:
                for lot in found.values():
                    for match in matching_lots(lot, managed_clinics(request.user)):
                        chosen.setdefault(match.pk, match)
            recall = recall_lots(
                lots=chosen.values(),
                status=payload.status,
                reason=payload.reason,
                by=request.user,
                clinic=clinic,
            )
        else:
            cleaning = DeviceCleaning.objects.filter(clinic=clinic, pk=payload.cleaning).first()
            if cleaning is None:
                raise ApiError(422, "There is no such device cleaning at this clinic.", "cleaning")
            reach = (
                [clinic, *managed_clinics(request.user)]
                if payload.include_other_clinics
                else [clinic]
            )
            cleanings = cleanings_in_cycle(cleaning, reach)
            recall = recall_cleaning(
                cleanings=cleanings,
                status=payload.status,
                reason=payload.reason,
                by=request.user,
                clinic=clinic,
            )
    except RecallError as error:
        raise _error(error) from None
    return Status(201, recall_out(request, recall))


@router.get("/clinics/{slug}/recalls", response={200: list[RecallOut]}, auth=django_auth)
def list_recalls(request: HttpRequest, slug: str) -> list[RecallOut]:
    """The recalls that reach this clinic, newest first."""
    clinic, _ = _staff(request, slug, CLINICAL_READ_ROLES, "see recalls")
    return [recall_out(request, r) for r in recalls_at(clinic).order_by("-created_at", "-pk")]


@router.get("/clinics/{slug}/recalls/{recall_id}", response={200: RecallOut}, auth=django_auth)
def get_recall(request: HttpRequest, slug: str, recall_id: int) -> RecallOut:
    """The recall with every affected patient you may read, their sessions
    and whether they were told."""
    clinic, _ = _staff(request, slug, CLINICAL_READ_ROLES, "see recalls")
    return recall_out(request, _recall(clinic, recall_id))


@router.post(
    "/clinics/{slug}/recalls/{recall_id}/message-all",
    response={200: MessageAllOut},
    auth=django_auth,
)
def message_all_patients(request: HttpRequest, slug: str, recall_id: int) -> MessageAllOut:
    """Schedule, due now, a recall message to every patient not yet told
    nor messaged at the clinics you manage. Idempotent: a second call
    schedules nothing."""
    clinic, _ = _staff(request, slug, [Role.MANAGER], "message patients about a recall")
    recall = _recall(clinic, recall_id)
    reach = recall_clinic_ids(recall)
    scheduled = message_all(
        recall, request.user, [c for c in managed_clinics(request.user) if c.pk in reach]
    )
    return MessageAllOut(
        scheduled=len(scheduled),
        messages=[MessageRef(id=m.pk, status=m.status) for m in scheduled],
    )


@router.post(
    "/clinics/{slug}/recalls/{recall_id}/notices/{notice_id}/told",
    response={200: NoticeOut},
    auth=django_auth,
)
def record_told(
    request: HttpRequest, slug: str, recall_id: int, notice_id: int, payload: ToldIn
) -> NoticeOut:
    """Record that the patient was told by phone, in person or by letter,
    by you, at ``at`` (now when not given)."""
    clinic, _ = _staff(request, slug, CLINICAL_READ_ROLES, "record who was told")
    recall = _recall(clinic, recall_id)
    readable = visible_clinic_ids(request.user, recall_clinic_ids(recall))
    notice = RecallNotice.objects.filter(
        recall=recall, pk=notice_id, clinic_id__in=readable
    ).first()
    if notice is None:
        raise ApiError(404, "There is no such patient in this recall.", "notice_id")
    if payload.at is not None and payload.at.tzinfo is None:
        raise ApiError(422, "Give the time with its offset, e.g. +05:30.", "at")
    try:
        mark_told(notice, payload.how, request.user, at=payload.at, note=payload.note)
    except RecallError as error:
        raise _error(error) from None
    rows = [r for r in notice_rows(recall, readable) if r.notice.pk == notice.pk]
    return _notice_out(rows[0])


# -- reports ---------------------------------------------------------------------------------


@router.get("/clinics/{slug}/reports/adverse-events", response={200: ReportOut}, auth=django_auth)
def adverse_events_report(request: HttpRequest, slug: str, query: Query[ReportQuery]) -> ReportOut:
    """Adverse events counted by product, lot, practitioner or indication,
    with their levels and the sessions and patients of each group, over the
    sessions from ``date_from`` to ``date_to`` (days at the clinic)."""
    clinic, _ = _staff(request, slug, CLINICAL_READ_ROLES, "see adverse-event reports")
    assert query.by in GROUPINGS
    try:
        report = adverse_event_report(clinic, query.by, query.date_from, query.date_to)
    except ReportError as error:
        raise ApiError(422, error.message, error.field) from None
    return ReportOut(
        by=report.by,
        date_from=report.date_from,
        date_to=report.date_to,
        events=report.events,
        sessions=report.sessions,
        rows=[
            ReportRowOut(
                key=r.key,
                label=r.label,
                events=r.events,
                expected=r.expected,
                review=r.review,
                urgent=r.urgent,
                sessions=r.sessions,
                patients=r.patients,
                per_100_sessions=r.per_100_sessions,
            )
            for r in report.rows
        ],
    )
