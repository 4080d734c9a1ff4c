"""Patients, intakes and screenings over JSON.

- ``GET /patients/{patient_id}``: demographics and contacts, for any staff
  of the patient's clinic (front desk included).
- ``/patients/{patient_id}/intakes``: the record's intakes (read:
  practitioners and managers; a new one: practitioners).
- ``/patients/{patient_id}/screenings``: screenings at the consultation or
  at a session's check-in, and their override with a written reason.
- ``/me/intakes``: the logged-in patient's own intakes; a login without a
  patient record is answered 404.

Access is clinical.access through api/record_access.py (404 for another
clinic's staff, 403 for a role that may not); a Django session login
(``django_auth``: 401 without one, CSRF on unsafe methods). Bad input is
422 naming the field; the answers schema is the self-screening's, built
from the catalog, so an unknown question is refused by name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import ValidationError
from ninja.security import django_auth
from pydantic import ConfigDict, StrictInt

from api.errors import ApiError
from api.record_access import api_contacts, api_read, api_write
from api.screenings import Answers, ErrorOut, answers_given
from clinical.access import own_patient
from clinical.models import ScreeningRecord, TreatmentCourse
from clinical.screen import (
    ScreenError,
    check_in,
    consultation,
    earliest_date,
    override,
    shown_findings,
)
from core import intake as codec
from core.screening import InputProblem
from mesoclinic.catalog import get_catalog
from patients.intake import MAX_TEXT, answer_problems, new_intake
from patients.models import Intake, Patient
from scheduling.models import Appointment

router = Router()

DISCLAIMER = (
    "This screening supports the clinician's judgement; it never replaces it. Go through "
    "the answers with the patient before any treatment."
)


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# -- schemas ----------------------------------------------------------------------------------


class PatientOut(Schema):
    id: int
    first_name: str
    last_name: str
    date_of_birth: date | None
    sex: str
    email: str
    phone: str
    address: str
    emergency_contact: str
    preferred_language: str
    consents_to_messages: bool


class IntakeIn(_In):
    answers: Answers  # type: ignore[valid-type]
    medical_history: str = Field("", max_length=MAX_TEXT)
    other_medicines: str = Field(
        "",
        max_length=MAX_TEXT,
        description="Medicines not asked about, with the last dose.",
    )
    allergies: str = Field("", max_length=MAX_TEXT)


class IntakeOut(Schema):
    id: int
    submitted_at: datetime
    via: str
    submitted_by: str
    answers: dict[str, Any] = Field(description="As stored: see core/intake.py.")
    medical_history: str
    other_medicines: str
    allergies: str


class SourceOut(Schema):
    key: str
    title: str
    url: str


class StoredFindingOut(Schema):
    code: str
    kind: str
    verdict: str
    title: str
    message: str = Field(description="In the active language, its placeholders filled.")
    sources: list[SourceOut]
    earliest_date: date | None
    last_dose_by: date | None
    clinician_note: str


class ScreeningRecordOut(Schema):
    id: int
    occasion: str
    indication: str
    area: str
    protocol: str
    planned_date: date
    verdict: Literal["eligible", "caution", "defer", "not_eligible"]
    earliest_date: date | None
    stops_session: bool
    findings: list[StoredFindingOut]
    intake_id: int
    course_id: int | None
    appointment_id: int | None
    screened_by: str
    screened_at: datetime
    override_reason: str
    overridden_by: str | None
    overridden_at: datetime | None
    disclaimer: str


class ScreeningRunIn(_In):
    occasion: Literal["consultation", "check_in"]
    indication: str | None = Field(None, description="Consultation: a key of indications.toml.")
    area: str | None = Field(
        None, description="Consultation: an area of the indication. Check-in: one of the course's."
    )
    protocol: str | None = Field(None, description="Consultation; default the indication's.")
    planned_date: date | None = Field(
        None, description="Consultation; default today. A check-in screens the session's date."
    )
    appointment_id: StrictInt | None = Field(None, description="Check-in: the session.")
    course_id: StrictInt | None = Field(
        None,
        description="The treatment course; at check-in only if the booking has none.",
    )
    answers: Answers | None = Field(  # type: ignore[valid-type]
        None,
        description="Check-in: the questions asked again (yes/no and infection areas required; "
        "medicines and dates kept from the latest intake when left out).",
    )


class OverrideIn(_In):
    reason: str = Field(max_length=2000, description="Why the session may go ahead.")


# -- helpers ----------------------------------------------------------------------------------


def _name(user: Any) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _intake_out(intake: Intake) -> dict[str, Any]:
    return {
        "id": intake.pk,
        "submitted_at": intake.submitted_at,
        "via": intake.via,
        "submitted_by": _name(intake.submitted_by),
        "answers": intake.answers,
        "medical_history": intake.medical_history,
        "other_medicines": intake.other_medicines,
        "allergies": intake.allergies,
    }


def _record_out(record: ScreeningRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "occasion": record.occasion,
        "indication": record.indication,
        "area": record.area,
        "protocol": record.protocol,
        "planned_date": record.planned_date,
        "verdict": record.verdict,
        "earliest_date": earliest_date(record),
        "stops_session": record.stops_session,
        "findings": shown_findings(get_catalog(), record.findings),
        "intake_id": record.intake_id,
        "course_id": record.course_id,
        "appointment_id": record.appointment_id,
        "screened_by": _name(record.screened_by),
        "screened_at": record.screened_at,
        "override_reason": record.override_reason,
        "overridden_by": _name(record.overridden_by) or None,
        "overridden_at": record.overridden_at,
        "disclaimer": DISCLAIMER,
    }


# Where clinical.screen names a model field, the API names its input.
_FIELDS = {"course": "course_id", "appointment": "appointment_id", "intake": "intake"}


def _refuse(problems: tuple[InputProblem, ...] | list[InputProblem]) -> ValidationError:
    errors = []
    for p in problems:
        head, *rest = p.field.split(".")
        loc = ("body", _FIELDS.get(head, head), *rest)
        errors.append({"loc": loc, "msg": p.message, "type": "value_error"})
    return ValidationError(errors)


def _screen_error(exc: ScreenError) -> Exception:
    if exc.status == 422:
        return _refuse(exc.problems)
    first = exc.problems[0]
    return ApiError(exc.status, first.message, _FIELDS.get(first.field, first.field))


def _store_intake(patient: Patient, payload: IntakeIn, via: str, by: Any) -> Intake:
    answers = answers_given(payload.answers)
    problems = answer_problems(get_catalog(), answers, patient.clinic.today())
    if problems:
        raise _refuse(problems)
    return new_intake(
        patient,
        codec.encode(answers),
        via=via,
        by=by,
        medical_history=payload.medical_history,
        other_medicines=payload.other_medicines,
        allergies=payload.allergies,
    )


# -- staff ------------------------------------------------------------------------------------

ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get(
    "/patients/{patient_id}",
    response={200: PatientOut, **ERRORS},
    auth=django_auth,
    summary="A patient's demographics and contacts",
)
def get_patient(request: HttpRequest, patient_id: int) -> Patient:
    return api_contacts(request, patient_id)


@router.get(
    "/patients/{patient_id}/intakes",
    response={200: list[IntakeOut], **ERRORS},
    auth=django_auth,
    summary="The patient's intakes, latest first",
)
def list_intakes(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    access = api_read(request, patient_id, "api intakes")
    intakes = Intake.objects.filter(patient=access.patient).select_related("submitted_by")
    return [_intake_out(i) for i in intakes[:100]]


@router.post(
    "/patients/{patient_id}/intakes",
    response={201: IntakeOut, **ERRORS},
    auth=django_auth,
    summary="Fill the intake with the patient (a new row; earlier ones are kept)",
)
def create_intake(request: HttpRequest, patient_id: int, payload: IntakeIn) -> Any:
    access = api_write(request, patient_id)
    intake = _store_intake(access.patient, payload, Intake.Via.STAFF, request.user)
    return Status(201, _intake_out(intake))


@router.get(
    "/patients/{patient_id}/screenings",
    response={200: list[ScreeningRecordOut], **ERRORS},
    auth=django_auth,
    summary="The patient's screenings, latest first",
)
def list_screenings(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    access = api_read(request, patient_id, "api screenings")
    records = ScreeningRecord.objects.filter(patient=access.patient).select_related(
        "screened_by", "overridden_by"
    )
    return [_record_out(r) for r in records[:100]]


def _course(patient: Patient, course_id: int | None) -> TreatmentCourse | None:
    if course_id is None:
        return None
    course = TreatmentCourse.objects.filter(patient=patient, pk=course_id).first()
    if course is None:
        raise ApiError(422, "No such course of this patient.", "course_id")
    return course


@router.post(
    "/patients/{patient_id}/screenings",
    response={201: ScreeningRecordOut, **ERRORS, 409: ErrorOut},
    auth=django_auth,
    summary="Screen the patient: at the consultation, or at a session's check-in",
)
def create_screening(request: HttpRequest, patient_id: int, payload: ScreeningRunIn) -> Any:
    """A consultation screens the latest intake for an indication and area.
    A check-in takes the answers to the questions asked again, keeps them as
    a new intake merged over the latest, and screens the session's course on
    the session's date; clinical.gates then reads it before charting. The
    verdict supports the clinician's judgement; it never replaces it."""
    access = api_write(request, patient_id)
    patient = access.patient
    course = _course(patient, payload.course_id)
    try:
        if payload.occasion == "consultation":
            missing = [f for f in ("indication", "area") if getattr(payload, f) is None]
            missing += [f for f in ("appointment_id", "answers") if getattr(payload, f) is not None]
            if missing:
                raise _refuse(
                    [
                        InputProblem(
                            f,
                            "This field is required."
                            if f in ("indication", "area")
                            else "Only for a check-in.",
                        )
                        for f in missing
                    ]
                )
            record = consultation(
                patient=patient,
                by=request.user,
                indication=payload.indication or "",
                area=payload.area or "",
                planned_date=payload.planned_date or patient.clinic.today(),
                protocol=payload.protocol,
                course=course,
            )
        else:
            problems = [
                InputProblem(f, "This field is required.")
                for f in ("appointment_id", "answers")
                if getattr(payload, f) is None
            ]
            problems += [
                InputProblem(f, "Not for a check-in: the session's course decides it.")
                for f in ("indication", "protocol", "planned_date")
                if getattr(payload, f) is not None
            ]
            if problems:
                raise _refuse(problems)
            appointment = (
                Appointment.objects.filter(
                    pk=payload.appointment_id, patient=patient, clinic=patient.clinic
                )
                .select_related("service", "clinic", "patient__clinic")
                .first()
            )
            if appointment is None:
                raise ApiError(422, "No such appointment of this patient.", "appointment_id")
            record = check_in(
                appointment=appointment,
                by=request.user,
                answers=answers_given(payload.answers),
                area=payload.area,
                course=course,
            )
    except ScreenError as exc:
        raise _screen_error(exc) from exc
    return Status(201, _record_out(record))


@router.post(
    "/patients/{patient_id}/screenings/{screening_id}/override",
    response={200: ScreeningRecordOut, **ERRORS, 409: ErrorOut},
    auth=django_auth,
    summary="Let a session go ahead despite a defer or not-eligible verdict, with a reason",
)
def override_screening(
    request: HttpRequest, patient_id: int, screening_id: int, payload: OverrideIn
) -> Any:
    access = api_write(request, patient_id)
    record = ScreeningRecord.objects.filter(patient=access.patient, pk=screening_id).first()
    if record is None:
        raise ApiError(404, "There is no such screening of this patient.", "screening_id")
    try:
        record = override(record, payload.reason, request.user)
    except ScreenError as exc:
        raise _screen_error(exc) from exc
    return _record_out(record)


# -- the patient's own ------------------------------------------------------------------------


def _own(request: HttpRequest) -> Patient:
    try:
        return own_patient(request)
    except Http404:
        raise ApiError(404, "There is no patient record for this login.") from None


@router.get(
    "/me/intakes",
    response={200: list[IntakeOut], **ERRORS},
    auth=django_auth,
    summary="Your own answers to the health questions, latest first",
)
def my_intakes(request: HttpRequest) -> list[dict[str, Any]]:
    patient = _own(request)
    intakes = Intake.objects.filter(patient=patient).select_related("submitted_by")
    return [_intake_out(i) for i in intakes[:100]]


@router.post(
    "/me/intakes",
    response={201: IntakeOut, **ERRORS},
    auth=django_auth,
    summary="Answer the health questions before your visit (earlier answers are kept)",
)
def create_my_intake(request: HttpRequest, payload: IntakeIn) -> Any:
    patient = _own(request)
    intake = _store_intake(patient, payload, Intake.Via.PORTAL, request.user)
    return Status(201, _intake_out(intake))
