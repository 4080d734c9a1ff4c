"""The logged-in patient's own record: GET /me/record.

The same summary as the portal page (clinical/own_record.py). A login
without a patient record (staff included: they read records through
/patients/{patient_id}/...) is answered 404.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from api.errors import ApiError
from clinical.access import own_patient
from clinical.own_record import own_record

router = Router()


class CourseOut(Schema):
    id: int
    indication: str
    indication_name: str
    areas: list[str]
    area_names: list[str]
    sessions_planned: int
    sessions_done: int
    status: str
    started: datetime


class ConsentOut(Schema):
    id: int
    kind: str
    course_id: int | None
    title: str
    version: int
    language: str
    body: str
    signed_name: str
    signed_at: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str


class InjectedOut(Schema):
    product: str
    lot: str
    lot_expiry: date


class SessionOut(Schema):
    id: int
    course_id: int
    session_number: int
    performed_on: date
    area: str
    area_name: str
    injected: list[InjectedOut]
    numbing: str
    immediate_reactions: str
    aftercare: list[str]


class ScoreOut(Schema):
    id: int
    session_id: int
    session_number: int
    performed_on: date
    measure: str
    measure_name: str
    rater: str
    value: Decimal


class PhotoOut(Schema):
    id: int
    session_id: int
    view: str
    phase: str
    taken_at: datetime


class PatientOut(Schema):
    id: int
    first_name: str
    last_name: str
    clinic: str


class OwnRecordOut(Schema):
    patient: PatientOut
    courses: list[CourseOut]
    consents: list[ConsentOut]
    sessions: list[SessionOut]
    scores: list[ScoreOut]
    photos: list[PhotoOut]


@router.get("/me/record", response=OwnRecordOut, auth=django_auth, url_name="me-record")
def my_record(request: HttpRequest) -> dict[str, object]:
    """Your own record: courses, signed consents, sessions with what was
    injected (product and lot) and their aftercare, scores and photographs."""
    try:
        patient = own_patient(request)
    except Http404:
        raise ApiError(404, "This login has no patient record.", None) from None
    record = own_record(patient)
    return {
        "patient": {
            "id": patient.pk,
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "clinic": patient.clinic.name,
        },
        "courses": record.courses,
        "consents": record.consents,
        "sessions": record.sessions,
        "scores": record.scores,
        "photos": record.photos,
    }
