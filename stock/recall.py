"""Recalls: from a bad lot or a faulty device cleaning to every patient
who had it, and a record of who was told and when.

Outbreaks after mesotherapy were traced to a contaminated vial and to an
injector gun cleaned with tap water (DOMAIN.md, Regulation and
traceability). The trail is in the charts: each injection point names its
lot (``InjectionPoint.lot``) and each session the last cleaning of its
device (``SessionChart.device_cleaning``). A chain's locations each keep
their own Product and Lot rows, so "the same lot at my other clinics" is
found by the printed number and the product (``matching_lots``), and a
steriliser cycle by its number (``cleanings_in_cycle``).

Recalling marks the lots so that no chart can use them again
(clinical.charting refuses a lot with ``recalled_at``), and writes one
RecallNotice per affected patient with the exact sessions. The clinic then
messages them (``message_all``) or records that they were told by phone,
in person or by letter (``mark_told``); a recall message that is sent
counts as told.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from clinics.models import Clinic, Role, StaffMember
from stock.models import (
    DeviceCleaning,
    Lot,
    NoticeHow,
    Recall,
    RecallKind,
    RecallNotice,
    RecallStatus,
)

if TYPE_CHECKING:
    from clinical.models import SessionChart
    from messaging.models import Message
    from patients.models import Patient

# Ways of telling a patient that staff record by hand; a message records itself.
TOLD_BY_HAND = (NoticeHow.PHONE, NoticeHow.IN_PERSON, NoticeHow.LETTER)


class RecallError(Exception):
    """A refusal naming the field, for a page or the API (422 unless told)."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Affected:
    """A patient who received a recalled lot or was treated with a device
    after a recalled cleaning, and the sessions at which they did."""

    patient: Patient
    charts: list[SessionChart]


@dataclass(frozen=True)
class Told:
    """Whether and how a patient was told; ``at`` None: not yet."""

    at: datetime | None
    how: str
    by: Any


# -- who manages what --------------------------------------------------------------------------


def clinics_where(user: object, roles: Iterable[str]) -> list[Clinic]:
    """The clinics where ``user`` has an active role among ``roles``."""
    if not getattr(user, "is_authenticated", False):
        return []
    ids = StaffMember.objects.filter(user=user, active=True, role__in=list(roles)).values(
        "clinic_id"
    )
    return list(Clinic.objects.filter(pk__in=ids).order_by("name", "pk"))


def managed_clinics(user: object) -> list[Clinic]:
    return clinics_where(user, [Role.MANAGER])


def _ids(clinics: Iterable[Clinic | int]) -> set[int]:
    return {c if isinstance(c, int) else c.pk for c in clinics}


def _norm(text: str) -> str:
    return text.strip().lower()


# -- the same lot, the same cycle ----------------------------------------------------------------


def matching_lots(lot: Lot, clinics: Iterable[Clinic | int]) -> list[Lot]:
    """The same manufacturing lot across ``clinics``: a lot whose number is
    ``lot``'s (case and surrounding spaces ignored) of the same product
    (the same brand when ``lot``'s product has one, else the same name).
    ``lot`` itself is always in the answer, first among its clinic's."""
    product = lot.product
    found = (
        Lot.objects.annotate(_number=Lower(Trim("number")))
        .filter(_number=_norm(lot.number), product__clinic_id__in=_ids(clinics))
        .select_related("product__clinic")
    )
    if product.brand.strip():
        found = found.annotate(_brand=Lower(Trim("product__brand"))).filter(
            _brand=_norm(product.brand)
        )
    else:
        found = found.annotate(_name=Lower(Trim("product__name"))).filter(_name=_norm(product.name))
    lots = {other.pk: other for other in found}
    lots.setdefault(lot.pk, lot)
    return sorted(
        lots.values(),
        key=lambda x: (x.pk != lot.pk, x.product.clinic.name, x.product.name, x.pk),
    )


def cleanings_in_cycle(
    cleaning: DeviceCleaning, clinics: Iterable[Clinic | int]
) -> list[DeviceCleaning]:
    """The cleanings of the steriliser cycle ``cleaning`` belongs to (its
    ``cycle`` number, case and spaces ignored) across ``clinics``; just
    ``cleaning`` when it has no cycle number. ``cleaning`` is always first."""
    found: dict[int, DeviceCleaning] = {cleaning.pk: cleaning}
    cycle = _norm(cleaning.cycle)
    if cycle:
        others = (
            DeviceCleaning.objects.annotate(_cycle=Lower(Trim("cycle")))
            .filter(_cycle=cycle, clinic_id__in=_ids(clinics))
            .select_related("device", "clinic")
            .order_by("clinic__name", "cleaned_at", "pk")
        )
        for other in others:
            found.setdefault(other.pk, other)
    return list(found.values())


# -- who had it ----------------------------------------------------------------------------------


def recall_clinic_ids(recall: Recall) -> set[int]:
    """The clinics a recall reaches: its own and those of its lots and
    cleanings (a chain recalls one lot at several locations)."""
    ids = {recall.clinic_id}
    ids |= set(recall.lots.values_list("product__clinic_id", flat=True))
    ids |= set(recall.cleanings.values_list("clinic_id", flat=True))
    return ids


def recalls_at(clinic: Clinic) -> QuerySet[Recall]:
    """The recalls that reach ``clinic``: made there, or of its lots or
    cleanings."""
    reach = Q(clinic=clinic) | Q(lots__product__clinic=clinic) | Q(cleanings__clinic=clinic)
    ids = Recall.objects.filter(reach).values("pk")
    return Recall.objects.filter(pk__in=ids).select_related("created_by")


def _affected_charts(
    lot_ids: Sequence[int], cleaning_ids: Sequence[int], clinic_ids: Iterable[int]
) -> QuerySet[SessionChart]:
    from clinical.models import InjectionPoint, SessionChart

    # Subqueries, not joins: a chart with ten points of the lot is one chart.
    received = Q(pk__in=InjectionPoint.objects.filter(lot_id__in=lot_ids).values("chart_id"))
    cleaned = Q(device_cleaning_id__in=cleaning_ids)
    return (
        SessionChart.objects.filter(received | cleaned, clinic_id__in=list(clinic_ids))
        .select_related(
            "patient", "clinic", "practitioner__user", "device", "device_cleaning", "appointment"
        )
        .order_by("patient__last_name", "patient__first_name", "patient_id", "performed_on", "pk")
    )


def _group(charts: Iterable[SessionChart]) -> list[Affected]:
    by_patient: dict[int, Affected] = {}
    for chart in charts:
        entry = by_patient.get(chart.patient_id)
        if entry is None:
            entry = by_patient[chart.patient_id] = Affected(chart.patient, [])
        entry.charts.append(chart)
    return list(by_patient.values())


def affected(recall: Recall) -> list[Affected]:
    """Every patient, with the sessions, who received one of the recall's
    lots or was treated with a device under one of its cleanings, at the
    recall's clinics; by name. Two queries."""
    lot_ids = list(recall.lots.values_list("pk", flat=True))
    cleaning_ids = list(recall.cleanings.values_list("pk", flat=True))
    return _group(_affected_charts(lot_ids, cleaning_ids, recall_clinic_ids(recall)))


# -- recalling -----------------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RecallError("reason", "Say why: the reason is kept with the recall.")
    return reason


def _status(status: str) -> str:
    if status not in RecallStatus.values:
        raise RecallError("status", "Choose recalled or suspect.")
    return status


def _write_notices(recall: Recall, by: Any) -> None:
    for entry in affected(recall):
        notice = RecallNotice(recall=recall, clinic=entry.patient.clinic, patient=entry.patient)
        notice._history_user = by  # type: ignore[attr-defined]
        notice._change_reason = "Affected by a recall"  # type: ignore[attr-defined]
        notice.save()
        notice.charts.set(entry.charts)


def recall_lots(
    *,
    lots: Iterable[Lot],
    status: str,
    reason: str,
    by: Any,
    clinic: Clinic | None = None,
) -> Recall:
    """Recall (or mark suspect) ``lots``: each is marked so it can no longer
    be charted (a lot already recalled keeps its first date and reason),
    and one notice is written per patient who received any of them, with
    the sessions. ``clinic``: where the recall is made (None: the first
    lot's). One transaction; RecallError names the field."""
    reason = _reason(reason)
    status = _status(status)
    lot_ids = sorted({lot.pk for lot in lots})
    if not lot_ids:
        raise RecallError("lots", "Choose at least one lot.")
    now = timezone.now()
    with transaction.atomic():
        # Locked in a fixed order, so two recalls of overlapping lots queue.
        locked = list(Lot.objects.select_for_update().filter(pk__in=lot_ids).order_by("pk"))
        if len(locked) != len(lot_ids):
            raise RecallError("lots", "One of these lots does not exist.")
        for lot in locked:
            if lot.recalled_at is not None:
                continue
            lot.recalled_at = now
            lot.recall_reason = reason
            lot._history_user = by  # type: ignore[attr-defined]
            lot._change_reason = f"{RecallStatus(status).label}: {reason}"  # type: ignore[attr-defined]
            lot.save(update_fields=["recalled_at", "recall_reason"])
        if clinic is None:
            clinic = Clinic.objects.get(products__lots=locked[0])
        recall = Recall(
            clinic=clinic,
            kind=RecallKind.LOT,
            status=status,
            reason=reason,
            created_by=by,
            created_at=now,
        )
        recall._history_user = by  # type: ignore[attr-defined]
        recall._change_reason = "Lot recall"  # type: ignore[attr-defined]
        recall.save()
        recall.lots.set(locked)
        _write_notices(recall, by)
    return recall


def recall_cleaning(
    *,
    cleanings: Iterable[DeviceCleaning],
    reason: str,
    by: Any,
    status: str = RecallStatus.RECALLED,
    clinic: Clinic | None = None,
) -> Recall:
    """Recall faulty device cleanings (a gun cleaned with tap water): one
    notice per patient treated with one of the devices under one of these
    cleanings, with the sessions. ``clinic`` None: the first cleaning's.
    One transaction; RecallError names the field."""
    reason = _reason(reason)
    status = _status(status)
    cleaning_ids = sorted({c.pk for c in cleanings})
    if not cleaning_ids:
        raise RecallError("cleanings", "Choose at least one device cleaning.")
    found = list(DeviceCleaning.objects.filter(pk__in=cleaning_ids).order_by("pk"))
    if len(found) != len(cleaning_ids):
        raise RecallError("cleanings", "One of these cleanings does not exist.")
    with transaction.atomic():
        recall = Recall(
            clinic=clinic or found[0].clinic,
            kind=RecallKind.CLEANING,
            status=status,
            reason=reason,
            created_by=by,
            created_at=timezone.now(),
        )
        recall._history_user = by  # type: ignore[attr-defined]
        recall._change_reason = "Device cleaning recall"  # type: ignore[attr-defined]
        recall.save()
        recall.cleanings.set(found)
        _write_notices(recall, by)
    return recall


# -- telling the patients ------------------------------------------------------------------------


def told(notice: RecallNotice) -> Told:
    """Whether the patient was told. A recall message that was sent counts
    even before its notice was updated (the outbox may mark messages sent
    with a conditional update, which no receiver sees)."""
    if notice.told_at is not None:
        return Told(notice.told_at, notice.how, notice.told_by)
    message = notice.message
    if message is not None and message.status == "sent" and message.sent_at is not None:
        return Told(message.sent_at, NoticeHow.MESSAGE, message.created_by)
    return Told(None, "", None)


def mark_told(
    notice: RecallNotice,
    how: str,
    by: Any,
    at: datetime | None = None,
    note: str = "",
) -> RecallNotice:
    """Record that the patient was told (``how``: phone, in person, letter;
    "message" too, for a message sent outside the outbox) by ``by`` at
    ``at`` (None: now). A later telling replaces an earlier one on the
    notice; its history keeps both. RecallError names the field."""
    if how not in NoticeHow.values:
        raise RecallError("how", "Choose how the patient was told: phone, in person or letter.")
    now = timezone.now()
    at = at or now
    if at > now:
        raise RecallError("at", "The patient cannot have been told in the future.")
    if at < notice.recall.created_at:
        raise RecallError("at", "This is before the recall was made.")
    note = (note or "").strip()
    with transaction.atomic():
        notice = RecallNotice.objects.select_for_update().get(pk=notice.pk)
        notice.told_at = at
        notice.how = how
        notice.told_by = by
        notice.note = note
        notice._history_user = by  # type: ignore[attr-defined]
        notice._change_reason = f"Told: {NoticeHow(how).label}"  # type: ignore[attr-defined]
        notice.save()
    return notice


def message_key(notice: RecallNotice) -> str:
    return f"recall:{notice.recall_id}:patient:{notice.patient_id}"


def message_all(
    recall: Recall, by: Any, clinics: Iterable[Clinic | int] | None = None
) -> list[Message]:
    """Schedule a "recall" message, due now, to every patient of the recall
    not yet told and not yet messaged, at ``clinics`` (None: all of the
    recall's); returns the messages scheduled by this call. Idempotent: a
    notice keeps its message, and the outbox key is unique per recall and
    patient, so a second click schedules nothing."""
    from messaging.outbox import schedule

    now = timezone.now()
    notices = RecallNotice.objects.filter(recall=recall, told_at__isnull=True, message__isnull=True)
    if clinics is not None:
        notices = notices.filter(clinic_id__in=_ids(clinics))
    scheduled: list[Message] = []
    with transaction.atomic():
        locked = notices.select_for_update(of=("self",)).select_related("patient", "clinic")
        for notice in locked.order_by("pk"):
            message = schedule(
                clinic=notice.clinic,
                kind="recall",
                key=message_key(notice),
                due_at=now,
                patient=notice.patient,
                data={"recall": recall.pk, "notice": notice.pk},
                by=by,
            )
            notice.message = message
            notice._history_user = by  # type: ignore[attr-defined]
            notice._change_reason = "Recall message scheduled"  # type: ignore[attr-defined]
            notice.save(update_fields=["message"])
            scheduled.append(message)
    return scheduled


def message_sent(message: Message) -> None:
    """Fill the notice of a recall message that was just sent (told by
    message, at its sending time, by whoever scheduled it). Nothing for
    another kind, a message not sent, or a notice already told. For the
    outbox to call after a send; until it does, ``told`` reads the same
    answer from the message."""
    if message.kind != "recall" or message.status != "sent" or message.sent_at is None:
        return
    for notice in RecallNotice.objects.filter(message=message, told_at__isnull=True):
        notice.told_at = message.sent_at
        notice.how = NoticeHow.MESSAGE
        notice.told_by = message.created_by
        notice._history_user = message.created_by  # type: ignore[attr-defined]
        notice._change_reason = "Told by message"  # type: ignore[attr-defined]
        notice.save(update_fields=["told_at", "how", "told_by"])


# -- reading a recall ----------------------------------------------------------------------------


def visible_clinic_ids(user: object, clinic_ids: Iterable[int]) -> set[int]:
    """Those of ``clinic_ids`` where ``user`` may read clinical records
    (practitioner or manager): whose patients a recall shows them."""
    from clinical.access import CLINICAL_READ_ROLES

    return {c.pk for c in clinics_where(user, CLINICAL_READ_ROLES)} & set(clinic_ids)


@dataclass(frozen=True)
class SessionRow:
    """One affected session, with what in it is recalled: the recall's
    lots injected at it, or the recalled cleaning of its device."""

    chart: SessionChart
    lots: list[Lot]
    cleaning: DeviceCleaning | None


@dataclass(frozen=True)
class NoticeRow:
    notice: RecallNotice
    sessions: list[SessionRow]
    told: Told

    @property
    def patient(self) -> Patient:
        return self.notice.patient


def notice_rows(recall: Recall, clinic_ids: Iterable[int]) -> list[NoticeRow]:
    """The recall's notices at ``clinic_ids``, each with its sessions and
    whether the patient was told; by patient name. Four queries."""
    from django.db.models import Prefetch

    from clinical.models import InjectionPoint, SessionChart

    charts = SessionChart.objects.select_related(
        "clinic", "practitioner__user", "device", "device_cleaning", "appointment"
    ).order_by("performed_on", "pk")
    notices = list(
        RecallNotice.objects.filter(recall=recall, clinic_id__in=list(clinic_ids))
        .select_related("patient", "clinic", "message__created_by", "told_by")
        .prefetch_related(Prefetch("charts", queryset=charts))
        .order_by("patient__last_name", "patient__first_name", "patient_id")
    )
    chart_ids = [c.pk for n in notices for c in n.charts.all()]
    lots_at: dict[int, dict[int, Lot]] = {}
    points = InjectionPoint.objects.filter(
        chart_id__in=chart_ids, lot_id__in=recall.lots.values("pk")
    ).select_related("lot__product")
    for point in points.order_by("lot__number", "pk"):
        lots_at.setdefault(point.chart_id, {})[point.lot_id] = point.lot
    cleaning_ids = set(recall.cleanings.values_list("pk", flat=True))
    rows = []
    for notice in notices:
        sessions = [
            SessionRow(
                chart=chart,
                lots=list(lots_at.get(chart.pk, {}).values()),
                cleaning=chart.device_cleaning
                if chart.device_cleaning_id in cleaning_ids
                else None,
            )
            for chart in notice.charts.all()
        ]
        rows.append(NoticeRow(notice, sessions, told(notice)))
    return rows


def log_reads(rows: Iterable[NoticeRow], user: Any, what: str) -> None:
    """Log the read of each listed patient's sessions, as a record read is
    logged (clinical.models.RecordAccess), under the reader's role at the
    patient's clinic."""
    from clinical.models import RecordAccess

    rows = list(rows)
    roles = dict(
        StaffMember.objects.filter(
            user=user, active=True, clinic_id__in={r.notice.clinic_id for r in rows}
        ).values_list("clinic_id", "role")
    )
    RecordAccess.objects.bulk_create(
        [
            RecordAccess(
                clinic_id=r.notice.clinic_id,
                patient_id=r.notice.patient_id,
                user=user,
                role=roles.get(r.notice.clinic_id, ""),
                what=what[:100],
            )
            for r in rows
        ]
    )
