"""A synthetic demo clinic: one login per role, rooms, devices, a few patients.

Every name, phone number and address here is invented.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from accounts.models import User
from clinics.models import Clinic, Device, DeviceKind, Role, Room, StaffMember
from patients.models import Patient
from scheduling.demo import load_calendar

DEMO_PASSWORD = "mesoclinic-demo"  # noqa: S105 (synthetic demo data, printed in README)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    name: str


DEMO_LOGINS = [
    DemoLogin("manager", "Clinic manager", "Meera Kapoor"),
    DemoLogin("frontdesk", "Front desk", "Ravi Nair"),
    DemoLogin("practitioner", "Practitioner (dermatologist)", "Dr. Ananya Rao"),
    DemoLogin("patient", "Patient", "Priya Sharma"),
]


def _user(username: str, first: str, last: str, email: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "email": email}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


@transaction.atomic
def load_demo() -> Clinic:
    """Create the demo clinic, or return it unchanged if it exists."""
    clinic, created = Clinic.objects.get_or_create(
        slug="demo",
        defaults={
            "name": "Mesoclinic Demo, Bandra",
            "country": "IN",
            "currency": "INR",
            "time_zone": "Asia/Kolkata",
            "address": "12 Example Road, Bandra West, Mumbai (fictional)",
            "phone": "+91 00000 00000",
            "email": "clinic@example.invalid",
        },
    )
    if not created:
        load_calendar(clinic)  # a demo loaded before the calendar existed
        return clinic
    staff = [
        ("manager", "Meera", "Kapoor", Role.MANAGER, "Clinic manager"),
        ("frontdesk", "Ravi", "Nair", Role.FRONT_DESK, "Front desk"),
        ("practitioner", "Ananya", "Rao", Role.PRACTITIONER, "Dermatologist"),
        ("practitioner2", "Vikram", "Desai", Role.PRACTITIONER, "Cosmetic physician"),
    ]
    for username, first, last, role, title in staff:
        user = _user(username, first, last, f"{username}@example.invalid")
        StaffMember.objects.create(clinic=clinic, user=user, role=role, title=title)
    for name in ("Room 1", "Room 2", "Consultation room"):
        Room.objects.create(clinic=clinic, name=name)
    Device.objects.create(
        clinic=clinic, name="Meso gun A", kind=DeviceKind.INJECTOR_GUN, serial_number="DEMO-G-001"
    )
    Device.objects.create(
        clinic=clinic, name="Dermapen 1", kind=DeviceKind.DERMAPEN, serial_number="DEMO-P-001"
    )
    patient_user = _user("patient", "Priya", "Sharma", "patient@example.invalid")
    Patient.objects.create(
        clinic=clinic,
        user=patient_user,
        first_name="Priya",
        last_name="Sharma",
        date_of_birth=date(1990, 4, 12),
        email="patient@example.invalid",
        phone="+91 00000 00001",
        consents_to_messages=True,
    )
    for first, last, born, language in [
        ("Arjun", "Mehta", date(1985, 9, 3), "hi"),
        ("Sara", "Iyer", date(1995, 1, 22), "en"),
        ("Kabir", "Singh", date(1978, 6, 30), "hi"),
    ]:
        Patient.objects.create(
            clinic=clinic,
            first_name=first,
            last_name=last,
            date_of_birth=born,
            preferred_language=language,
        )
    load_calendar(clinic)
    return clinic
