"""Screening in the record: at the consultation and at each check-in.

``run_screening`` runs the core screening (core.screening.screen) on the
patient's latest intake with the clinic's country and the clinic's today,
and keeps the verdict and its findings in a ScreeningRecord. ``check_in``
first asks again the questions whose answers can change between visits
(each catalog question that feeds a temporary contraindication, and the
medicines: contraindications.toml ``temporary``), stores them as a new
intake merged over the latest one (core.intake.merge), then screens the
course's indication and area on the appointment's date; the record is
linked to the appointment and to its treatment course, where
clinical.gates.session_screening finds it.

A ``defer`` or ``not_eligible`` verdict stops the session until a
practitioner overrides it with a written reason (``override``), kept on the
record with who and when. The verdict supports the clinician's judgement;
it never replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from clinical.models import ScreeningRecord, TreatmentCourse
from clinics.models import Role, StaffMember
from core import intake as codec
from core.catalog import Catalog
from core.catalog.model import Question, Verdict
from core.screening import (
    AnswerValue,
    Finding,
    InputProblem,
    ScreeningInputError,
    ScreeningRequest,
    relevant_questions,
    screen,
)
from mesoclinic.catalog import get_catalog
from patients.intake import answer_problems, latest_intake, new_intake
from patients.models import Intake, Patient
from scheduling.models import Appointment
from screening.present import fill

STOPPING = (Verdict.DEFER.value, Verdict.NOT_ELIGIBLE.value)

# For staff: the verdict's own words (the patient pages say it more gently).
VERDICT_LABELS = {
    Verdict.ELIGIBLE.value: gettext_lazy("Eligible"),
    Verdict.CAUTION.value: gettext_lazy("Caution"),
    Verdict.DEFER.value: gettext_lazy("Defer"),
    Verdict.NOT_ELIGIBLE.value: gettext_lazy("Not eligible"),
}


class ScreenError(Exception):
    """The screening cannot run or the override cannot be made; each
    problem names its field (``area``, ``answers.pregnant``, ``reason``)."""

    def __init__(self, problems: Iterable[InputProblem], status: int = 422) -> None:
        self.problems = tuple(problems)
        self.status = status
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))

    @classmethod
    def one(cls, field: str, message: str, status: int = 422) -> ScreenError:
        return cls([InputProblem(field, message)], status)


# -- the findings as stored -------------------------------------------------


def stored_finding(finding: Finding) -> dict[str, Any]:
    """A core finding as JSON. ``message`` is the catalog's English text with
    its placeholders, ``params`` their values (so a page translates first
    and fills after, as screening/present.py does); ``text`` is the English
    filled in."""
    return {
        "code": finding.code,
        "kind": finding.kind,
        "verdict": finding.verdict.value,
        "title": finding.title,
        "message": finding.message,
        "params": dict(finding.params),
        "text": finding.text,
        "sources": list(finding.sources),
        "earliest_date": finding.earliest_date.isoformat() if finding.earliest_date else None,
        "last_dose_by": finding.last_dose_by.isoformat() if finding.last_dose_by else None,
        "clinician_note": finding.clinician_note,
        "other_views": [
            {"verdict": v.verdict.value if v.verdict else None, "pause_days": v.pause_days}
            | {"sources": list(v.sources)}
            for v in finding.other_views
        ],
    }


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def shown_findings(catalog: Catalog, findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stored findings in the active language, for a page: translated and
    filled like screening/present.py, sources with their titles (a source
    the catalog no longer has keeps its key)."""
    shown = []
    for f in findings:
        params = f.get("params") or {}
        sources = [
            {
                "key": key,
                "title": catalog.sources[key].title if key in catalog.sources else key,
                "url": catalog.sources[key].url if key in catalog.sources else "",
            }
            for key in f.get("sources") or ()
        ]
        shown.append(
            {
                "code": f.get("code", ""),
                "kind": f.get("kind", ""),
                "verdict": f.get("verdict", ""),
                "verdict_label": str(VERDICT_LABELS.get(f.get("verdict", ""), f.get("verdict"))),
                "title": gettext(f["title"]) if f.get("title") else "",
                "message": fill(f["message"], params) if f.get("message") else "",
                "sources": sources,
                "earliest_date": _day(f.get("earliest_date")),
                "last_dose_by": _day(f.get("last_dose_by")),
                "clinician_note": gettext(f["clinician_note"]) if f.get("clinician_note") else "",
            }
        )
    return shown


def earliest_date(record: ScreeningRecord) -> date | None:
    """For a defer verdict whose every deferral has a date: the latest of
    them (as the core gives it); None otherwise."""
    if record.verdict != Verdict.DEFER.value:
        return None
    dates = [_day(f.get("earliest_date")) for f in record.findings if f.get("verdict") == "defer"]
    if not dates or any(d is None for d in dates):
        return None
    return max(d for d in dates if d is not None)


# -- running it --------------------------------------------------------------


def check_in_questions(
    catalog: Catalog, indication: str, area: str, protocol: str | None = None
) -> tuple[Question, ...]:
    """The questions asked again at a check-in for this treatment: those it
    reads whose answer can change between visits (a temporary
    contraindication's question, contraindications.toml) and the medicines.
    Raises ScreeningInputError for an unknown treatment."""
    temporary = {ci.question for ci in catalog.contraindications.values() if ci.temporary}
    return tuple(
        q
        for q in relevant_questions(catalog, indication, area, protocol)
        if q.key in temporary or q.kind == "medicines"
    )


def _problems(exc: ScreeningInputError) -> ScreenError:
    return ScreenError(exc.problems)


def run_screening(
    *,
    patient: Patient,
    by: Any,
    occasion: str,
    indication: str,
    area: str,
    planned_date: date,
    protocol: str | None = None,
    intake: Intake | None = None,
    course: TreatmentCourse | None = None,
    appointment: Appointment | None = None,
) -> ScreeningRecord:
    """Screen ``patient`` on ``intake`` (default: their latest) and keep the
    result. Raises ScreenError: no intake, a malformed stored answer, or
    what the core refuses (unknown indication, an area not of the
    indication, a planned date in the past...)."""
    catalog = get_catalog()
    intake = intake or latest_intake(patient)
    if intake is None:
        raise ScreenError.one(
            "intake", "The patient has not filled the intake questionnaire yet; fill it first."
        )
    if course is not None and course.patient_id != patient.pk:
        raise ScreenError.one("course", "This course is not this patient's.")
    try:
        answers = codec.decode(catalog, intake.answers)
    except ValueError as exc:
        raise ScreenError.one("intake", f"A stored answer cannot be read ({exc}).") from exc
    clinic = patient.clinic
    try:
        result = screen(
            catalog,
            ScreeningRequest(
                indication=indication,
                area=area,
                planned_date=planned_date,
                answered_on=clinic.today(),
                answers=answers,
                country=clinic.country,
                protocol=protocol or None,
            ),
        )
    except ScreeningInputError as exc:
        raise _problems(exc) from exc
    record = ScreeningRecord(
        clinic=clinic,
        patient=patient,
        intake=intake,
        course=course,
        appointment=appointment,
        occasion=occasion,
        indication=indication,
        area=area,
        protocol=result.protocol.key,
        planned_date=planned_date,
        verdict=result.verdict.value,
        findings=[stored_finding(f) for f in result.findings],
        screened_by=by,
        screened_at=timezone.now(),
    )
    record._change_reason = f"Screening at {occasion}"  # type: ignore[attr-defined]
    record.save()
    return record


def consultation(
    *,
    patient: Patient,
    by: Any,
    indication: str,
    area: str,
    planned_date: date,
    protocol: str | None = None,
    course: TreatmentCourse | None = None,
) -> ScreeningRecord:
    """The consultation's screening on the latest intake."""
    if course is not None and course.indication != indication:
        raise ScreenError.one("course", "This course is for another indication.")
    return run_screening(
        patient=patient,
        by=by,
        occasion=ScreeningRecord.Occasion.CONSULTATION,
        indication=indication,
        area=area,
        planned_date=planned_date,
        protocol=protocol,
        course=course,
    )


def course_of(appointment: Appointment) -> TreatmentCourse | None:
    """The treatment course whose booking the appointment is a session of;
    None for a single appointment or a booking not yet tied to a course."""
    if appointment.course_id is None:
        return None
    return TreatmentCourse.objects.filter(booking_id=appointment.course_id).first()


def appointment_day(appointment: Appointment) -> date:
    """The appointment's date at its clinic."""
    return timezone.localtime(appointment.starts_at, ZoneInfo(appointment.clinic.time_zone)).date()


def check_in(
    *,
    appointment: Appointment,
    by: Any,
    answers: Mapping[str, AnswerValue],
    area: str | None = None,
    course: TreatmentCourse | None = None,
) -> ScreeningRecord:
    """Re-screen at a session's check-in: ``answers`` to the check-in
    questions become a new intake merged over the latest one, then the
    course's indication is screened at ``area`` (default: the appointment's
    service area when the course covers it, else the course's first area)
    on the appointment's local date. ``course`` is needed only when the
    appointment's booking is not tied to a treatment course. All or nothing:
    a refusal leaves no intake row behind."""
    catalog = get_catalog()
    patient = appointment.patient
    linked = course_of(appointment)
    if linked is not None and course is not None and course.pk != linked.pk:
        raise ScreenError.one("course", "This appointment is a session of another course.")
    course = linked or course
    if course is None:
        raise ScreenError.one(
            "appointment",
            "This appointment is not a session of a treatment course; plan the course first.",
        )
    if course.patient_id != patient.pk:
        raise ScreenError.one("course", "This course is not this patient's.")
    if course.status in (TreatmentCourse.Status.STOPPED, TreatmentCourse.Status.COMPLETED):
        raise ScreenError.one("course", "This course is closed; no session can be screened in it.")
    if area is None:
        service_area = appointment.service.area
        area = service_area if service_area in course.areas else course.areas[0]
    elif area not in course.areas:
        raise ScreenError.one("area", "This course does not treat this area.")
    try:
        asked = check_in_questions(catalog, course.indication, area, course.protocol)
    except ScreeningInputError as exc:
        raise _problems(exc) from exc
    keys = {q.key for q in asked}
    problems = [
        InputProblem(f"answers.{key}", "This question is not asked at check-in.")
        for key in answers
        if key not in keys
    ]
    problems += [
        InputProblem(f"answers.{q.key}", "Ask this question again at check-in.")
        for q in asked
        if q.kind in ("bool", "areas") and q.key not in answers
    ]
    today = appointment.clinic.today()
    problems += answer_problems(catalog, answers, today)
    if problems:
        raise ScreenError(problems)
    with transaction.atomic():
        latest = latest_intake(patient)
        merged = codec.merge(latest.answers if latest else {}, codec.encode(answers))
        intake = new_intake(
            patient,
            merged,
            via=Intake.Via.STAFF,
            by=by,
            medical_history=latest.medical_history if latest else "",
            other_medicines=latest.other_medicines if latest else "",
            allergies=latest.allergies if latest else "",
        )
        return run_screening(
            patient=patient,
            by=by,
            occasion=ScreeningRecord.Occasion.CHECK_IN,
            indication=course.indication,
            area=area,
            planned_date=appointment_day(appointment),
            protocol=course.protocol,
            intake=intake,
            course=course,
            appointment=appointment,
        )


def override(record: ScreeningRecord, reason: str, by: Any) -> ScreeningRecord:
    """Let a session go ahead despite a defer or not-eligible verdict: a
    practitioner of the record's clinic, with a written reason, once. Raises
    ScreenError naming ``reason`` (empty), ``verdict`` (nothing to
    override), ``overridden_by`` (already done, 409) or ``by`` (not a
    practitioner here, 403); nothing changes then."""
    reason = (reason or "").strip()
    if not StaffMember.objects.filter(
        clinic_id=record.clinic_id, user=by, role=Role.PRACTITIONER, active=True
    ).exists():
        raise ScreenError.one("by", "Only a practitioner may override a screening.", 403)
    if not reason:
        raise ScreenError.one("reason", "Write why the session may go ahead despite the verdict.")
    with transaction.atomic():
        locked = ScreeningRecord.objects.select_for_update().get(pk=record.pk)
        if locked.verdict not in STOPPING:
            raise ScreenError.one(
                "verdict", "Only a defer or not-eligible verdict can be overridden."
            )
        if locked.overridden_by_id is not None:
            raise ScreenError.one("overridden_by", "This screening is already overridden.", 409)
        locked.override_reason = reason
        locked.overridden_by = by
        locked.overridden_at = timezone.now()
        # simple-history keeps 100 characters of a reason; the full one is on the row.
        locked._change_reason = f"Override: {reason}"  # type: ignore[attr-defined]
        locked.save(update_fields=["override_reason", "overridden_by", "overridden_at"])
    return locked


def link_course(record: ScreeningRecord, course: TreatmentCourse) -> ScreeningRecord:
    """Tie a consultation's screening to the course planned from it (later
    than the screening). Raises ScreenError for another patient's course,
    another indication, or a record already tied to a course."""
    if course.patient_id != record.patient_id:
        raise ScreenError.one("course", "This course is not this patient's.")
    if course.indication != record.indication:
        raise ScreenError.one("course", "This course is for another indication.")
    if record.course_id is not None and record.course_id != course.pk:
        raise ScreenError.one("course", "This screening is already tied to another course.", 409)
    record.course = course
    record._change_reason = "Linked to its course"  # type: ignore[attr-defined]
    record.save(update_fields=["course"])
    return record
