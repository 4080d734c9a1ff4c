"""Shared fixtures: the people every permission test needs.

Like Healthchecks' base test case: a patient, another patient, front desk, a
practitioner, a manager, and staff of another clinic.
"""

import os

os.environ.setdefault("MESOCLINIC_TESTING", "1")
# Playwright's sync API runs an event loop in the test thread; Django then
# refuses ORM calls from "async" context unless told it is safe (it is: the
# loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")

from dataclasses import dataclass

import pytest

from accounts.models import User
from clinics.models import Clinic, Role, StaffMember
from patients.models import Patient


@dataclass
class People:
    clinic: Clinic
    other_clinic: Clinic
    patient: Patient
    other_patient: Patient
    front_desk: User
    practitioner: User
    manager: User
    outsider: User  # practitioner at the other clinic


def make_user(username: str) -> User:
    return User.objects.create_user(username=username, password="password", first_name=username)


@pytest.fixture
def people(db: None) -> People:
    clinic = Clinic.objects.create(
        name="Test Clinic", slug="test", country="IN", currency="INR", time_zone="Asia/Kolkata"
    )
    other = Clinic.objects.create(
        name="Other Clinic", slug="other", country="FR", currency="EUR", time_zone="Europe/Paris"
    )
    roles = {}
    for username, role, at in [
        ("frontdesk", Role.FRONT_DESK, clinic),
        ("practitioner", Role.PRACTITIONER, clinic),
        ("manager", Role.MANAGER, clinic),
        ("outsider", Role.PRACTITIONER, other),
    ]:
        roles[username] = make_user(username)
        StaffMember.objects.create(clinic=at, user=roles[username], role=role)
    patient = Patient.objects.create(
        clinic=clinic, user=make_user("patient"), first_name="Pat", last_name="One"
    )
    other_patient = Patient.objects.create(
        clinic=clinic, user=make_user("patient2"), first_name="Pat", last_name="Two"
    )
    return People(
        clinic=clinic,
        other_clinic=other,
        patient=patient,
        other_patient=other_patient,
        front_desk=roles["frontdesk"],
        practitioner=roles["practitioner"],
        manager=roles["manager"],
        outsider=roles["outsider"],
    )
