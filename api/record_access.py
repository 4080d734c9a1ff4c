"""Who may read or change a patient's record over the API.

The same rules as the pages (clinical/access.py), found from the patient's
id alone: the patient's clinic decides whose staff may ask. Refusals keep
the API's error shape: 404 when the patient does not exist for the asker
(another clinic's staff, a patient), 403 when their role may not (front
desk). Every allowed read is logged, as on the pages. Endpoints use
``auth=django_auth`` (401 for anonymous, CSRF for unsafe methods).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from api.errors import ApiError
from clinical.access import RecordGrant, read_record, write_record
from clinics.access import staff_clinic
from patients.models import Patient

NOT_FOUND = "There is no such patient, or you may not see their record."


def _slug(patient_id: int) -> str:
    clinic_slug = (
        Patient.objects.filter(pk=patient_id).values_list("clinic__slug", flat=True).first()
    )
    if clinic_slug is None:
        raise ApiError(404, NOT_FOUND, "patient_id")
    return clinic_slug


def api_read(request: HttpRequest, patient_id: int, what: str) -> RecordGrant:
    try:
        return read_record(request.user, _slug(patient_id), patient_id, what)
    except Http404:
        raise ApiError(404, NOT_FOUND, "patient_id") from None
    except PermissionDenied:
        raise ApiError(403, "Your role may not see clinical records.", "patient_id") from None


def api_write(request: HttpRequest, patient_id: int) -> RecordGrant:
    try:
        return write_record(request.user, _slug(patient_id), patient_id)
    except Http404:
        raise ApiError(404, NOT_FOUND, "patient_id") from None
    except PermissionDenied:
        raise ApiError(
            403, "Only a practitioner may change a clinical record.", "patient_id"
        ) from None


def api_contacts(request: HttpRequest, patient_id: int) -> Patient:
    """The patient, for any staff at their clinic (front desk included):
    demographics and contacts, never the record."""
    try:
        clinic, _ = staff_clinic(request.user, _slug(patient_id))
    except Http404:
        raise ApiError(404, NOT_FOUND, "patient_id") from None
    except PermissionDenied:
        raise ApiError(403, "Your role may not see patients.", "patient_id") from None
    return Patient.objects.get(pk=patient_id, clinic=clinic)
