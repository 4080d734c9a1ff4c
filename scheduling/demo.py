"""The demo clinic's calendar: hours, a holiday, leave, services from the
catalog's default protocols, and a week of synthetic appointments.

Dates are relative to the day the demo is loaded, so the calendar is never
empty. Every patient and booking is invented.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import User
from clinics.models import Clinic, DeviceKind, Role, Room, StaffMember
from core.course_fitting import Preferences, Window
from core.planning import PlanError
from mesoclinic.catalog import get_catalog
from patients.models import Patient
from scheduling.booking import BookingError, book
from scheduling.courses import CourseError, CourseRequest, book_course, protocol_at
from scheduling.models import Break, Closure, Leave, Service, ServiceKind, WorkingHours

# A technique the protocol allows -> the device a session with it needs.
DEVICE_FOR_TECHNIQUE = {
    "injector_gun": DeviceKind.INJECTOR_GUN,
    "dermapen_stamping": DeviceKind.DERMAPEN,
}
# The demo clinic books these two with a device, to show device scheduling.
DEVICE_SERVICES = {
    ("hair_loss", "scalp"): "injector_gun",
    ("facial_rejuvenation", "face"): "dermapen_stamping",
}


def create_services(clinic: Clinic) -> list[Service]:
    """A consultation, and a session service for each indication and area
    the clinic's country allows, timed by the default protocol's longest
    numbing and procedure times."""
    catalog = get_catalog()
    rooms = list(Room.objects.filter(clinic=clinic).order_by("pk"))
    consult_rooms = [r for r in rooms if "onsult" in r.name] or rooms
    treatment_rooms = [r for r in rooms if r not in consult_rooms] or rooms
    practitioners = list(StaffMember.objects.filter(clinic=clinic, role=Role.PRACTITIONER))
    consultation = Service.objects.create(
        clinic=clinic,
        key="consultation",
        name="Consultation",
        kind=ServiceKind.CONSULTATION,
        procedure_minutes=30,
    )
    consultation.rooms.set(consult_rooms)
    consultation.practitioners.set(practitioners)
    services = [consultation]
    for indication in catalog.indications.values():
        for area_key in indication.areas:
            try:
                protocol = protocol_at(clinic, indication.key, area_key)
            except PlanError:
                continue  # not offered in this country
            technique = DEVICE_SERVICES.get((indication.key, area_key))
            device = (
                DEVICE_FOR_TECHNIQUE[technique]
                if technique in protocol.techniques and technique is not None
                else ""
            )
            service = Service.objects.create(
                clinic=clinic,
                key=f"{indication.key}-{area_key}".replace("_", "-"),
                name=f"{indication.name}: {catalog.areas[area_key].name}",
                kind=ServiceKind.SESSION,
                indication=indication.key,
                area=area_key,
                protocol=protocol.key,
                numbing_minutes=protocol.numbing_minutes.max or 0,
                procedure_minutes=protocol.procedure_minutes.max or 30,
                cleanup_minutes=10,
                buffer_after_minutes=5,
                device_kind=device,
            )
            service.rooms.set(treatment_rooms)
            service.practitioners.set(practitioners)
            services.append(service)
    return services


@transaction.atomic
def load_calendar(clinic: Clinic) -> None:
    """Give the demo clinic its calendar, once (nothing happens when it has
    services already)."""
    if clinic.services.exists():
        return
    tz = ZoneInfo(clinic.time_zone)
    today = clinic.today()
    # No OpeningHours rows: the default week, Monday-Saturday 10:00-19:00.
    Closure.objects.create(
        clinic=clinic,
        first_day=today + timedelta(days=12),
        last_day=today + timedelta(days=12),
        reason="Clinic holiday (demo)",
    )
    rao = StaffMember.objects.get(clinic=clinic, user__username="practitioner")
    desai = StaffMember.objects.get(clinic=clinic, user__username="practitioner2")
    for weekday in range(6):
        Break.objects.create(staff=rao, weekday=weekday, starts=time(13, 30), ends=time(14, 15))
        if weekday < 5:
            WorkingHours.objects.create(
                staff=desai, weekday=weekday, starts=time(12), ends=time(19)
            )
            Break.objects.create(staff=desai, weekday=weekday, starts=time(15), ends=time(15, 30))
    WorkingHours.objects.create(staff=desai, weekday=5, starts=time(10), ends=time(14))
    Leave.objects.create(
        staff=desai,
        first_day=today + timedelta(days=20),
        last_day=today + timedelta(days=26),
        reason="Conference (demo)",
    )
    services = {s.key: s for s in create_services(clinic)}

    by = User.objects.get(username="frontdesk")
    patients = list(Patient.objects.filter(clinic=clinic).order_by("pk"))
    start_of_today = datetime.combine(today, time(0), tz)
    # (days from today, local time, patient index, service key, practitioner)
    bookings = [
        (0, time(10), 1, "consultation", rao),
        (0, time(11), 2, "facial-rejuvenation-face", rao),
        (1, time(12, 30), 3, "hair-loss-scalp", desai),
        (1, time(16), 2, "consultation", desai),
        (1, time(10, 30), 3, "pigmentation-face", rao),
        (1, time(14, 30), 1, "consultation", rao),
        (2, time(12), 2, "cellulite-thighs", desai),
        (3, time(11), 1, "hair-loss-scalp", rao),
    ]
    # Day 0 is the first day the clinic opens from today on, day 1 the next...
    open_days = [
        day for n in range(14) if (day := today + timedelta(days=n)).weekday() != 6 and n != 12
    ]
    for days, at, patient, key, staff in bookings:
        service = services.get(key)
        if service is None:
            continue
        try:
            book(
                clinic=clinic,
                patient=patients[patient % len(patients)],
                service=service,
                practitioner_id=staff.pk,
                start=datetime.combine(open_days[days], at, tz),
                by=by,
                now=start_of_today,  # the demo may load late in the day
            )
        except BookingError:
            continue  # a Sunday or the holiday: the demo skips it
    hair = services.get("hair-loss-scalp")
    if hair is not None:
        with contextlib.suppress(CourseError):
            book_course(
                clinic,
                CourseRequest(
                    patient=patients[0],
                    service=hair,
                    first=Window(today + timedelta(days=1), today + timedelta(days=7)),
                    preferences=Preferences(practitioner_id=rao.pk),
                ),
                by=by,
            )
