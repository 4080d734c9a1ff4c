"""Treatment courses and consent over JSON.

- ``/patients/{patient_id}/courses``: the patient's courses; a new one
  plans the protocol the plan preview proposes (or the one named), with the
  practitioner's adjustments within the catalog's limits. ``.../stop``
  (with a reason) and ``.../complete`` move it on.
- ``/patients/{patient_id}/consent-texts?kind=&indication=``: the current
  version of a consent text (a new version is published first when the
  catalog's content changed).
- ``/patients/{patient_id}/consents``: signed consents; a new one carries
  the typed name and the drawn signature as a PNG data URL, witnessed by
  the practitioner logged in. ``.../signature.png`` serves the drawing;
  ``.../withdraw`` records a withdrawal with its reason.

Access is clinical.access through api/record_access.py: 404 for another
clinic's staff and for patients, 403 for front desk; reads are logged.
A Django session login (``django_auth``: 401 without one, CSRF on unsafe
methods). Bad input is 422 naming the field; another patient's course or
consent is 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import ConfigDict, StrictInt, StrictStr

from api.errors import ApiError
from api.record_access import api_read, api_write
from api.screenings import ErrorOut
from clinical.consents import ConsentError, current_text, sign, withdraw
from clinical.courses import CourseError, complete, start_course, stop
from clinical.gates import valid_consent
from clinical.models import Consent, ConsentText, TreatmentCourse
from core.consent import parse_body
from patients.models import Patient

router = Router()

ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
CONFLICT: dict[int, Any] = {**ERRORS, 409: ErrorOut}
# 500 KB of PNG as base64, with its data URL prefix; the domain checks the
# decoded size exactly.
MAX_SIGNATURE_CHARS = 700_000


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# -- schemas ----------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class CourseIn(_In):
    indication: StrictStr = Field(..., max_length=60, description="A catalog indication key.")
    areas: list[StrictStr] = Field(..., min_length=1, max_length=20)
    protocol: StrictStr | None = Field(
        None, max_length=80, description="The plan preview's protocol if left out."
    )
    sessions: StrictInt | None = Field(None, description="The protocol's default if left out.")
    intervals: list[tuple[StrictInt, StrictInt | None]] | None = Field(
        None,
        max_length=100,
        description="Days before sessions 2..n, [[min, max-or-null], ...]; the protocol's "
        "if left out.",
    )
    technique: StrictStr | None = Field(None, max_length=60)
    notes: StrictStr = Field("", max_length=5000)


class CourseOut(Schema):
    id: int
    patient: int
    indication: str
    areas: list[str]
    protocol: str
    sessions: int
    intervals: list[list[int | None]]
    technique: str
    notes: str
    status: str
    stop_reason: str
    stopped_at: datetime | None
    booking: int | None = Field(..., description="The booked course (scheduling), when tied.")
    consent: int | None = Field(..., description="The valid treatment consent, if any.")
    created_by: Ref
    created_at: datetime


class ReasonIn(_In):
    reason: StrictStr = Field(..., max_length=2000)


class SectionOut(Schema):
    heading: str
    lines: list[str]


class ConsentTextOut(Schema):
    id: int
    kind: str
    indication: str
    version: int
    language: str
    title: str
    body: str
    sections: list[SectionOut]
    risks: list[dict[str, Any]]
    alternatives: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    content_hash: str
    published_at: datetime


class TextQuery(Schema):
    # Checked in the view, after who asks: front desk is refused (403) before
    # its query is looked at.
    kind: StrictStr | None = Field(
        None,
        max_length=20,
        description="treatment or photos; if left out, treatment when an indication is "
        "given, else photos.",
    )
    indication: StrictStr = Field(
        "", max_length=60, description="A catalog indication key (treatment texts)."
    )


class ConsentIn(_In):
    kind: Literal["treatment", "photos"]
    course: StrictInt | None = Field(None, description="Required for a treatment consent.")
    text: StrictInt | None = Field(
        None, description="The version the patient read; the current one if left out."
    )
    typed_name: StrictStr = Field(..., max_length=200)
    signature: StrictStr = Field(
        ...,
        max_length=MAX_SIGNATURE_CHARS,
        description="A PNG data URL (data:image/png;base64,...).",
    )


class TextRef(Schema):
    id: int
    kind: str
    indication: str
    version: int
    language: str
    title: str


class ConsentOut(Schema):
    id: int
    patient: int
    course: int | None
    text: TextRef
    typed_name: str
    signed_at: datetime = Field(..., description="In the clinic's time zone.")
    witnessed_by: Ref
    valid: bool
    withdrawn_at: datetime | None
    withdrawal_reason: str
    withdrawal_recorded_by: Ref | None
    signature_url: str


# -- shaping ----------------------------------------------------------------------------------


def _ref(user: Any) -> Ref:
    return Ref(id=user.pk, name=str(user.get_full_name() or user.username))


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(tz)


def _course_out(course: TreatmentCourse) -> CourseOut:
    tz = ZoneInfo(course.clinic.time_zone)
    consent = valid_consent(course)
    return CourseOut(
        id=course.pk,
        patient=course.patient_id,
        indication=course.indication,
        areas=list(course.areas),
        protocol=course.protocol,
        sessions=course.sessions,
        intervals=[list(pair) for pair in course.intervals],
        technique=course.technique,
        notes=course.notes,
        status=course.status,
        stop_reason=course.stop_reason,
        stopped_at=_local(course.stopped_at, tz),
        booking=course.booking_id,
        consent=consent.pk if consent else None,
        created_by=_ref(course.created_by),
        created_at=course.created_at.astimezone(tz),
    )


def _text_out(text: ConsentText) -> ConsentTextOut:
    return ConsentTextOut(
        id=text.pk,
        kind=text.kind,
        indication=text.indication,
        version=text.version,
        language=text.language,
        title=text.title,
        body=text.body,
        sections=[SectionOut(heading=h, lines=lines) for h, lines in parse_body(text.body)],
        risks=text.risks,
        alternatives=text.alternatives,
        sources=text.sources,
        content_hash=text.content_hash,
        published_at=text.published_at,
    )


def _consent_out(consent: Consent) -> ConsentOut:
    tz = ZoneInfo(consent.clinic.time_zone)
    text = consent.text
    recorder = consent.withdrawal_recorded_by
    return ConsentOut(
        id=consent.pk,
        patient=consent.patient_id,
        course=consent.course_id,
        text=TextRef(
            id=text.pk,
            kind=text.kind,
            indication=text.indication,
            version=text.version,
            language=text.language,
            title=text.title,
        ),
        typed_name=consent.typed_name,
        signed_at=consent.signed_at.astimezone(tz),
        witnessed_by=_ref(consent.witnessed_by),
        valid=consent.withdrawn_at is None,
        withdrawn_at=_local(consent.withdrawn_at, tz),
        withdrawal_reason=consent.withdrawal_reason,
        withdrawal_recorded_by=_ref(recorder) if recorder else None,
        signature_url=f"/api/v1/patients/{consent.patient_id}/consents/{consent.pk}/signature.png",
    )


def _course_of(patient: Patient, course_id: int) -> TreatmentCourse:
    course = (
        TreatmentCourse.objects.filter(patient=patient, pk=course_id)
        .select_related("clinic", "created_by")
        .first()
    )
    if course is None:
        raise ApiError(404, "There is no such course of this patient.", "course_id")
    return course


def _consent_of(patient: Patient, consent_id: int) -> Consent:
    consent = (
        Consent.objects.filter(patient=patient, pk=consent_id)
        .select_related("clinic", "text", "witnessed_by", "withdrawal_recorded_by")
        .first()
    )
    if consent is None:
        raise ApiError(404, "There is no such consent of this patient.", "consent_id")
    return consent


def _course_error(error: CourseError) -> ApiError:
    # A course that has moved on (stopped, completed) is a conflict, not bad input.
    refusal = ApiError(409 if error.field == "status" else 422, error.message, error.field)
    if len(error.problems) > 1:
        refusal.extra["problems"] = [
            {"field": p.field, "message": p.render()} for p in error.problems
        ]
    return refusal


# -- courses ----------------------------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/courses",
    response={200: list[CourseOut], **ERRORS},
    auth=django_auth,
    summary="The patient's treatment courses, latest first",
)
def list_courses(request: HttpRequest, patient_id: int) -> list[CourseOut]:
    access = api_read(request, patient_id, "api courses")
    courses = TreatmentCourse.objects.filter(patient=access.patient).select_related(
        "clinic", "created_by"
    )
    return [_course_out(c) for c in courses[:200]]


@router.post(
    "/patients/{patient_id}/courses",
    response={201: CourseOut, **ERRORS},
    auth=django_auth,
    summary="Plan a treatment course within the protocol's limits",
)
def create_course(request: HttpRequest, patient_id: int, payload: CourseIn) -> Status:
    """The protocol is the plan preview's for the indication at the first
    area (or the one named), as the clinic's country allows it; sessions,
    intervals and technique default to the protocol's. 422 names each field
    outside the catalog's limits (``problems`` lists them all when there
    are several); a treatment the country does not allow is refused."""
    access = api_write(request, patient_id)
    try:
        course = start_course(
            access.patient,
            payload.indication,
            payload.areas,
            payload.protocol,
            payload.sessions,
            [list(pair) for pair in payload.intervals] if payload.intervals is not None else None,
            payload.technique,
            payload.notes,
            request.user,
        )
    except CourseError as error:
        raise _course_error(error) from None
    return Status(201, _course_out(course))


@router.get(
    "/patients/{patient_id}/courses/{course_id}",
    response={200: CourseOut, **ERRORS},
    auth=django_auth,
    summary="One treatment course",
)
def get_course(request: HttpRequest, patient_id: int, course_id: int) -> CourseOut:
    access = api_read(request, patient_id, "api course")
    return _course_out(_course_of(access.patient, course_id))


@router.post(
    "/patients/{patient_id}/courses/{course_id}/stop",
    response={200: CourseOut, **CONFLICT},
    auth=django_auth,
    summary="Stop a planned or active course, with the reason",
)
def stop_course(
    request: HttpRequest, patient_id: int, course_id: int, payload: ReasonIn
) -> CourseOut:
    access = api_write(request, patient_id)
    course = _course_of(access.patient, course_id)
    try:
        stop(course, payload.reason, request.user)
    except CourseError as error:
        raise _course_error(error) from None
    return _course_out(course)


@router.post(
    "/patients/{patient_id}/courses/{course_id}/complete",
    response={200: CourseOut, **CONFLICT},
    auth=django_auth,
    summary="Mark an active course completed",
)
def complete_course(request: HttpRequest, patient_id: int, course_id: int) -> CourseOut:
    access = api_write(request, patient_id)
    course = _course_of(access.patient, course_id)
    try:
        complete(course, request.user)
    except CourseError as error:
        raise _course_error(error) from None
    return _course_out(course)


# -- consent ----------------------------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/consent-texts",
    response={200: ConsentTextOut, **ERRORS},
    auth=django_auth,
    summary="The current consent text of a kind (and indication, for treatment)",
)
def get_consent_text(
    request: HttpRequest, patient_id: int, query: Query[TextQuery]
) -> ConsentTextOut:
    """What the patient reads before signing, in full: the treatment, its
    risks and alternatives with their sources. A new version is published
    first when the catalog's content changed since the latest."""
    access = api_read(request, patient_id, "api consent text")
    kind = query.kind or ("treatment" if query.indication else "photos")
    try:
        text = current_text(access.clinic, kind, query.indication)
    except ConsentError as error:
        raise ApiError(422, error.message, error.field) from None
    return _text_out(text)


@router.get(
    "/patients/{patient_id}/consents",
    response={200: list[ConsentOut], **ERRORS},
    auth=django_auth,
    summary="The patient's signed consents, latest first (withdrawn ones included)",
)
def list_consents(request: HttpRequest, patient_id: int) -> list[ConsentOut]:
    access = api_read(request, patient_id, "api consents")
    consents = Consent.objects.filter(patient=access.patient).select_related(
        "clinic", "text", "witnessed_by", "withdrawal_recorded_by"
    )
    return [_consent_out(c) for c in consents[:200]]


@router.post(
    "/patients/{patient_id}/consents",
    response={201: ConsentOut, **ERRORS},
    auth=django_auth,
    summary="Record the patient's signed consent, witnessed by you",
)
def create_consent(request: HttpRequest, patient_id: int, payload: ConsentIn) -> Status:
    """A consent needs the patient's typed name and drawn signature (a PNG
    data URL with at least one drawn pixel, up to 500 KB): without them it
    is refused with 422 naming the field, and nothing is written."""
    access = api_write(request, patient_id)
    course = None
    if payload.course is not None:
        course = TreatmentCourse.objects.filter(patient=access.patient, pk=payload.course).first()
        if course is None:
            raise ApiError(422, "There is no such course of this patient.", "course")
    if payload.kind == "treatment" and course is None:
        raise ApiError(422, "A treatment consent is for a course.", "course")
    try:
        if payload.text is None:
            indication = course.indication if course is not None else ""
            text = current_text(access.clinic, payload.kind, indication)
        else:
            found = ConsentText.objects.filter(
                clinic=access.clinic, kind=payload.kind, pk=payload.text
            ).first()
            if found is None:
                raise ApiError(422, "There is no such consent text of this kind.", "text")
            text = found
        consent = sign(
            access.patient, text, course, payload.typed_name, payload.signature, request.user
        )
    except ConsentError as error:
        raise ApiError(422, error.message, error.field) from None
    consent = _consent_of(access.patient, consent.pk)
    return Status(201, _consent_out(consent))


@router.get(
    "/patients/{patient_id}/consents/{consent_id}",
    response={200: ConsentOut, **ERRORS},
    auth=django_auth,
    summary="One signed consent",
)
def get_consent(request: HttpRequest, patient_id: int, consent_id: int) -> ConsentOut:
    access = api_read(request, patient_id, "api consent")
    return _consent_out(_consent_of(access.patient, consent_id))


@router.get(
    "/patients/{patient_id}/consents/{consent_id}/signature.png",
    response={200: None, **ERRORS},
    auth=django_auth,
    summary="The drawn signature of a consent, as PNG",
)
def get_signature(request: HttpRequest, patient_id: int, consent_id: int) -> HttpResponse:
    access = api_read(request, patient_id, "api consent signature")
    consent = _consent_of(access.patient, consent_id)
    response = HttpResponse(bytes(consent.signature_png), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/patients/{patient_id}/consents/{consent_id}/withdraw",
    response={200: ConsentOut, **CONFLICT},
    auth=django_auth,
    summary="Record that the patient withdrew a consent, with the reason",
)
def withdraw_consent(
    request: HttpRequest, patient_id: int, consent_id: int, payload: ReasonIn
) -> ConsentOut:
    access = api_write(request, patient_id)
    consent = _consent_of(access.patient, consent_id)
    try:
        withdraw(consent, payload.reason, request.user)
    except ConsentError as error:
        status = 409 if error.field == "consent" else 422
        raise ApiError(status, error.message, error.field) from None
    return _consent_out(_consent_of(access.patient, consent_id))
