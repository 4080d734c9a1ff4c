"""Who may read and change a patient's clinical record.

Least privilege per role (clinics.access has the calendar's roles):

- practitioners read and write the record of their clinic's patients;
- managers read it (audits, recalls, reports) but do not chart;
- front desk sees schedules and contacts (patients' own pages), never the
  record;
- a patient reads only their own record, through the portal (/my/...).

Every read of a record by staff goes through ``read_record``, which logs it
(RecordAccess), so each read can be shown to have been allowed by role.
Outsiders get 404 (a clinic or patient they cannot see does not exist for
them); staff whose role does not allow the record get 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest

from clinics.access import staff_clinic
from clinics.models import Clinic, Role, StaffMember
from patients.models import Patient

CLINICAL_READ_ROLES = frozenset({Role.PRACTITIONER, Role.MANAGER})
CLINICAL_WRITE_ROLES = frozenset({Role.PRACTITIONER})


@dataclass(frozen=True)
class RecordGrant:
    """What a member of staff was granted on one patient's record."""

    clinic: Clinic
    member: StaffMember
    patient: Patient

    @property
    def can_write(self) -> bool:
        return self.member.role in CLINICAL_WRITE_ROLES


def _patient(clinic: Clinic, patient_id: int) -> Patient:
    patient = Patient.objects.filter(clinic=clinic, pk=patient_id).first()
    if patient is None:
        raise Http404("No such patient.")
    return patient


def read_record(user: object, slug: str, patient_id: int, what: str) -> RecordGrant:
    """The record of patient ``patient_id`` at clinic ``slug``, for a member
    of staff allowed to read it; the read is logged as ``what`` (a page or
    endpoint name). Raises Http404 (not staff here, no such patient) or
    PermissionDenied (front desk)."""
    from clinical.models import RecordAccess as AccessLog

    clinic, member = staff_clinic(user, slug, CLINICAL_READ_ROLES)
    patient = _patient(clinic, patient_id)
    AccessLog.objects.create(
        clinic=clinic, patient=patient, user=member.user, role=member.role, what=what[:100]
    )
    return RecordGrant(clinic, member, patient)


def write_record(user: object, slug: str, patient_id: int) -> RecordGrant:
    """As ``read_record``, for a change: practitioners only. Not logged as a
    read; the change itself is attributed (history, amendments)."""
    clinic, member = staff_clinic(user, slug, CLINICAL_WRITE_ROLES)
    return RecordGrant(clinic, member, _patient(clinic, patient_id))


def own_patient(request: HttpRequest) -> Patient:
    """The logged-in patient's own record; Http404 for anyone else (staff
    included: they read records through the staff pages)."""
    patient = getattr(request.user, "patient", None) if request.user.is_authenticated else None
    if patient is None:
        raise Http404("No patient record for this login.")
    return patient
