"""Django pointed at a benchmark database, and the clinics the HTTP
benchmarks run against, written in bulk.

Call ``use_database`` before importing any model: it sets the environment
the server will also see (production settings, no test mode), sets Django
up and migrates.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bench.support.servers import ROOT, server_env

PASSWORD = "bench-password-7f3a"  # noqa: S105


def use_database(url: str) -> None:
    # The server's settings, so that in-process requests see what it sees;
    # "testserver" is the in-process test client's host.
    env = server_env(url, conn_max_age=0)
    env["ALLOWED_HOSTS"] += ",testserver"
    os.environ.clear()
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _password_hash() -> str:
    # One hash for every benchmark user: hashing is slow on purpose (PBKDF2,
    # the server's hasher), and the server pays it again at each login.
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def _users(prefix: str, count: int, password: str = "!") -> list[Any]:  # noqa: S107
    """``count`` users; the default password hash "!" means no login."""
    from accounts.models import User

    return User.objects.bulk_create(
        User(username=f"{prefix}{n:02}", first_name=prefix.title(), last_name=f"{n:02}",
             password=password)
        for n in range(count)
    )  # fmt: skip


# -- the availability clinic -----------------------------------------------------------------


@dataclass(frozen=True)
class AvailabilityClinic:
    slug: str
    service: str
    practitioners: dict[str, int]  # the core benchmark's ids -> StaffMember pks
    first_day: date
    days: int


def availability_clinic(query: Any) -> AvailabilityClinic:
    """The core benchmark's clinic (``availability_core.build()``), as rows:
    20 practitioners with their hours, lunch breaks and leave, 5 rooms, 2
    devices, a closure and 5,000 appointments over 60 days, the same ones."""
    from clinics.models import Clinic, Device, Role, Room, StaffMember
    from core import availability as av
    from patients.models import Patient
    from scheduling.models import Appointment, Break, Closure, Leave, Service, WorkingHours

    core_clinic: av.Clinic = query.clinic
    clinic = Clinic.objects.create(
        name="Bench Clinic", slug="bench", country="FR", currency="EUR",
        time_zone=core_clinic.time_zone,
    )  # fmt: skip
    for off in core_clinic.closures:
        assert isinstance(off, date)
        Closure.objects.create(clinic=clinic, first_day=off, last_day=off, reason="Holiday")
    users = _users("practitioner", len(query.practitioners))
    staff = StaffMember.objects.bulk_create(
        StaffMember(clinic=clinic, user=u, role=Role.PRACTITIONER) for u in users
    )
    ids = {p.id: s.pk for p, s in zip(query.practitioners, staff, strict=True)}
    hours, breaks, leave = [], [], []
    for p, s in zip(query.practitioners, staff, strict=True):
        for weekday, spans in (p.working_hours or {}).items():
            hours += [WorkingHours(staff=s, weekday=weekday, starts=a, ends=b) for a, b in spans]
        for weekday, spans in p.breaks.items():
            breaks += [Break(staff=s, weekday=weekday, starts=a, ends=b) for a, b in spans]
        for off in p.leave:
            assert isinstance(off, av.DateRange)
            leave.append(Leave(staff=s, first_day=off.first, last_day=off.last))
    WorkingHours.objects.bulk_create(hours)
    Break.objects.bulk_create(breaks)
    Leave.objects.bulk_create(leave)
    rooms = {r.id: Room.objects.create(clinic=clinic, name=f"Room {r.id}") for r in query.rooms}
    devices = {
        d.id: Device.objects.create(clinic=clinic, name=f"Dermapen {d.id}", kind="dermapen")
        for d in query.devices
    }
    core_service = query.service
    service = Service.objects.create(
        clinic=clinic,
        key=core_service.key,
        name="Facial rejuvenation session",
        kind="session",
        indication="facial_rejuvenation",
        area="face",
        numbing_minutes=core_service.numbing_minutes,
        procedure_minutes=core_service.procedure_minutes,
        cleanup_minutes=core_service.cleanup_minutes,
        buffer_before_minutes=core_service.buffer_before_minutes,
        buffer_after_minutes=core_service.buffer_after_minutes,
        device_kind="dermapen",
    )
    service.practitioners.set(staff)
    # The existing bookings are consultations: no buffers, so what they block
    # is their own time.
    consultation = Service.objects.create(
        clinic=clinic, key="consultation", name="Consultation", kind="consultation",
        procedure_minutes=30, needs_room=False,
    )  # fmt: skip
    consultation.practitioners.set(staff)
    patients = Patient.objects.bulk_create(
        Patient(clinic=clinic, first_name="Patient", last_name=str(n)) for n in range(200)
    )
    desk = _users("desk", 1)[0]
    Appointment.objects.bulk_create(
        (
            Appointment(
                clinic=clinic,
                patient=patients[n % len(patients)],
                service=consultation,
                practitioner_id=ids[b.practitioner_id],
                room=None if b.room_id is None else rooms[b.room_id],
                device=None if b.device_id is None else devices[b.device_id],
                starts_at=b.start,
                ends_at=b.end,
                blocked_from=b.start,
                blocked_until=b.end,
                created_by=desk,
            )
            for n, b in enumerate(query.bookings)
        ),
        batch_size=1000,
    )
    first = query.start
    return AvailabilityClinic(
        slug=clinic.slug,
        service=service.key,
        practitioners=ids,
        first_day=first,
        days=(query.end - first).days + 1,
    )


# -- the booking clinic ----------------------------------------------------------------------


@dataclass(frozen=True)
class BookingClinic:
    slug: str
    time_zone: str
    desks: list[str]  # one login per client
    practitioners: list[int]  # one per client
    rooms: list[int]  # one per client
    devices: list[int]  # one per client
    shared_practitioner: int  # the one every client collides on
    racer: int  # the one the races are for
    patients: list[int]
    first_day: date  # a Monday at least two days ahead


def booking_clinic(clients: int, today: date) -> BookingClinic:
    """A clinic in Asia/Kolkata (Monday to Saturday, 10:00-19:00) where each
    client has its own practitioner, room and device, and two practitioners
    are shared: one that clients collide on now and then, one for the races.
    The services: a 30-minute consultation (no room) and a 30-minute hair
    loss session (a room and an injector gun)."""
    from clinics.models import Clinic, Device, Role, Room, StaffMember
    from patients.models import Patient
    from scheduling.models import Service

    clinic = Clinic.objects.create(
        name="Bench Clinic", slug="bench", country="IN", currency="INR",
        time_zone="Asia/Kolkata",
    )  # fmt: skip
    password = _password_hash()
    desks = _users("desk", clients, password)
    StaffMember.objects.bulk_create(
        StaffMember(clinic=clinic, user=u, role=Role.FRONT_DESK) for u in desks
    )
    users = _users("practitioner", clients + 2)
    staff = StaffMember.objects.bulk_create(
        StaffMember(clinic=clinic, user=u, role=Role.PRACTITIONER) for u in users
    )
    rooms = Room.objects.bulk_create(Room(clinic=clinic, name=f"Room {n}") for n in range(clients))
    devices = Device.objects.bulk_create(
        Device(clinic=clinic, name=f"Gun {n}", kind="injector_gun") for n in range(clients)
    )
    consultation = Service.objects.create(
        clinic=clinic, key="consultation", name="Consultation", kind="consultation",
        procedure_minutes=30, needs_room=False,
    )  # fmt: skip
    session = Service.objects.create(
        clinic=clinic, key="hair-session", name="Hair loss session", kind="session",
        indication="hair_loss", area="scalp", procedure_minutes=30, device_kind="injector_gun",
    )  # fmt: skip
    consultation.practitioners.set(staff)
    session.practitioners.set(staff)
    patients = Patient.objects.bulk_create(
        Patient(clinic=clinic, first_name="Patient", last_name=str(n)) for n in range(500)
    )
    first = today + timedelta(days=2)
    first += timedelta(days=(7 - first.weekday()) % 7)
    return BookingClinic(
        slug=clinic.slug,
        time_zone=clinic.time_zone,
        desks=[u.username for u in desks],
        practitioners=[s.pk for s in staff[:clients]],
        rooms=[r.pk for r in rooms],
        devices=[d.pk for d in devices],
        shared_practitioner=staff[clients].pk,
        racer=staff[clients + 1].pk,
        patients=[p.pk for p in patients],
        first_day=first,
    )


def slot(first_day: date, n: int, tz: Any) -> datetime:
    """The ``n``-th half-hour of the clinic's open days from ``first_day``:
    18 a day, 10:00 to 19:00, Sundays skipped."""
    day, half_hour = divmod(n, 18)
    weeks, weekday = divmod(day, 6)
    on = first_day + timedelta(days=7 * weeks + weekday)
    return datetime.combine(on, time(10), tz) + timedelta(minutes=30 * half_hour)
