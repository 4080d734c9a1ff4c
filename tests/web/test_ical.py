"""Calendar feeds and files, read back the way a calendar app reads them.

"Now" is fixed by time_machine at Friday 20 March 2026, 09:00 UTC: a week
before Europe's clocks go forward (Sunday 29 March), so a Paris booking at
10:00 on the Friday before is 09:00Z and on the Monday after is 08:00Z.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar, Event

from accounts.models import User
from clinics.models import Clinic, Role, Room, StaffMember
from patients.models import Patient
from scheduling.booking import book, cancel, mark_no_show, reschedule
from scheduling.models import Appointment, CalendarFeed, Service, ServiceKind, Status
from tests.conftest import People, make_user

PARIS = ZoneInfo("Europe/Paris")
KOLKATA = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
FRIDAY_BEFORE = datetime(2026, 3, 27, 10, 0, tzinfo=PARIS)
MONDAY_AFTER = datetime(2026, 3, 30, 10, 0, tzinfo=PARIS)


@dataclass
class Desk:
    """One clinic ready to book: its practitioner, a room, a consultation."""

    clinic: Clinic
    staff: StaffMember
    room: Room
    service: Service
    patient: Patient
    by: User


def setup_desk(clinic: Clinic, practitioner: User, patient: Patient) -> Desk:
    staff = StaffMember.objects.get(clinic=clinic, user=practitioner)
    room = Room.objects.create(clinic=clinic, name="Room 1")
    service = Service.objects.create(
        clinic=clinic,
        key="consultation",
        name="Consultation",
        kind=ServiceKind.CONSULTATION,
        procedure_minutes=30,
    )
    service.practitioners.set([staff])
    return Desk(clinic, staff, room, service, patient, practitioner)


@pytest.fixture
def now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def paris(people: People) -> Desk:
    """The other clinic (Europe/Paris), its practitioner `outsider`, and a
    patient with a portal login, a phone number and an email address."""
    clinic = people.other_clinic
    clinic.address = "12 rue des Lilas\n75011 Paris"
    clinic.phone = "+33 1 23 45 67 89"
    clinic.save()
    patient = Patient.objects.create(
        clinic=clinic,
        user=make_user("priya"),
        first_name="Priya",
        last_name="Sharma",
        phone="+33 6 98 76 54 32",
        email="priya.sharma@example.com",
    )
    return setup_desk(clinic, people.outsider, patient)


@pytest.fixture
def mumbai(people: People) -> Desk:
    """The test clinic (Asia/Kolkata), its practitioner and `people.patient`."""
    return setup_desk(people.clinic, people.practitioner, people.patient)


def booked(
    desk: Desk, start: datetime, patient: Patient | None = None, **extra: str
) -> Appointment:
    return book(
        clinic=desk.clinic,
        patient=patient or desk.patient,
        service=desk.service,
        practitioner_id=desk.staff.pk,
        start=start,
        by=desk.by,
        room_id=desk.room.pk,
        **extra,
    )


def created(
    desk: Desk, start: datetime, status: str = Status.BOOKED, minutes: int = 30
) -> Appointment:
    """An appointment written directly, outside the booking rules (the past)."""
    end = start + timedelta(minutes=minutes)
    return Appointment.objects.create(
        clinic=desk.clinic,
        patient=desk.patient,
        service=desk.service,
        practitioner=desk.staff,
        room=desk.room,
        starts_at=start,
        ends_at=end,
        blocked_from=start,
        blocked_until=end,
        status=status,
        cancel_reason="Patient asked" if status == Status.CANCELLED else "",
        created_by=desk.by,
    )


def feed_url(desk: Desk) -> str:
    feed, _ = CalendarFeed.objects.get_or_create(staff=desk.staff)
    return f"/calendar/{feed.token}.ics"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def read(response: HttpResponse) -> Calendar:
    assert response.status_code == 200, response
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def unfolded(response: HttpResponse) -> str:
    """The body with folded lines joined, so a word split by folding is found."""
    return re.sub(r"\r\n[ \t]", "", response.content.decode())


def only(calendar: Calendar) -> Event:
    assert len(calendar.events) == 1
    return calendar.events[0]


def uid_of(appointment: Appointment) -> str:
    return f"appointment-{appointment.pk}@{appointment.clinic.slug}.mesoclinic"


# -- the practitioner's feed ------------------------------------------------------------------


@pytest.mark.usefixtures("now")
def test_the_feed_gives_paris_times_in_utc_across_the_clock_change(
    client: Client, paris: Desk
) -> None:
    friday = booked(paris, FRIDAY_BEFORE)
    monday = booked(paris, MONDAY_AFTER)

    response = client.get(feed_url(paris))
    calendar = read(response)

    events = {str(e["UID"]): e for e in calendar.events}
    assert list(events) == [uid_of(friday), uid_of(monday)]
    assert events[uid_of(friday)].start == datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    assert events[uid_of(friday)].end == datetime(2026, 3, 27, 9, 30, tzinfo=UTC)
    assert events[uid_of(monday)].start == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert events[uid_of(monday)].end == datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
    body = unfolded(response)
    assert "DTSTART:20260327T090000Z" in body
    assert "DTSTART:20260330T080000Z" in body
    assert "VTIMEZONE" not in body
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Paris"
    assert str(calendar["X-WR-CALNAME"]) == "Other Clinic: appointments of outsider"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body
    assert "X-PUBLISHED-TTL:PT1H" in body


@pytest.mark.usefixtures("now")
def test_a_feed_event_names_the_service_initials_room_and_a_link(
    client: Client, paris: Desk
) -> None:
    appointment = booked(paris, FRIDAY_BEFORE)

    event = only(read(client.get(feed_url(paris))))

    assert str(event["UID"]) == f"appointment-{appointment.pk}@other.mesoclinic"
    assert str(event["SUMMARY"]) == "Consultation · P.S."
    assert str(event["LOCATION"]) == "Room 1, Other Clinic"
    link = "http://testserver/staff/other/calendar/?date=2026-03-27&view=day"
    assert str(event["DESCRIPTION"]) == str(event["URL"]) == link
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "OPAQUE"
    assert str(event["CLASS"]) == "PRIVATE"
    assert event["SEQUENCE"] == 0
    assert event.DTSTAMP == NOW
    assert event.last_modified == NOW


@pytest.mark.usefixtures("now")
def test_the_feed_keeps_the_patients_name_phone_and_notes_out(client: Client, paris: Desk) -> None:
    booked(paris, FRIDAY_BEFORE, notes="Allergic to lidocaine; prefers mornings")

    response = client.get(feed_url(paris))

    body = unfolded(response)
    assert "P.S." in body
    for private in ("Sharma", "Priya", "+33 6 98", "priya.sharma", "lidocaine", "mornings"):
        assert private not in body, private


@pytest.mark.usefixtures("now")
def test_a_cancelled_appointment_stays_in_the_feed_as_cancelled(
    client: Client, paris: Desk
) -> None:
    appointment = booked(paris, FRIDAY_BEFORE)
    url = feed_url(paris)
    before = only(read(client.get(url)))

    cancel(clinic=paris.clinic, appointment_id=appointment.pk, reason="Unwell", by=paris.by)
    after = only(read(client.get(url)))

    assert str(after["UID"]) == str(before["UID"]) == uid_of(appointment)
    assert str(after["STATUS"]) == "CANCELLED"
    assert str(after["TRANSP"]) == "TRANSPARENT"
    assert str(after["SUMMARY"]) == "Cancelled: Consultation · P.S."
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1)
    assert "Unwell" not in unfolded(client.get(url))


@pytest.mark.usefixtures("now")
def test_a_moved_appointment_keeps_its_uid_and_raises_its_sequence(
    client: Client, paris: Desk
) -> None:
    appointment = booked(paris, FRIDAY_BEFORE)
    url = feed_url(paris)
    before = only(read(client.get(url)))

    reschedule(clinic=paris.clinic, appointment_id=appointment.pk, start=MONDAY_AFTER, by=paris.by)
    after = only(read(client.get(url)))

    assert str(after["UID"]) == str(before["UID"]) == uid_of(appointment)
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert (before.start, after.start) == (
        datetime(2026, 3, 27, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
    )
    assert str(after["STATUS"]) == "CONFIRMED"


def test_a_no_show_stays_in_the_feed_marked(client: Client, paris: Desk) -> None:
    with time_machine.travel(NOW, tick=False):
        appointment = booked(paris, FRIDAY_BEFORE)
    with time_machine.travel(FRIDAY_BEFORE + timedelta(minutes=15), tick=False):
        mark_no_show(clinic=paris.clinic, appointment_id=appointment.pk, by=paris.by)
        event = only(read(client.get(feed_url(paris))))

    assert str(event["SUMMARY"]) == "No-show: Consultation · P.S."
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert event["SEQUENCE"] == 1


@pytest.mark.usefixtures("now")
def test_the_feed_covers_thirty_days_back_to_180_days_ahead(
    client: Client, paris: Desk, mumbai: Desk
) -> None:
    first = created(paris, NOW - timedelta(days=30))
    created(paris, NOW - timedelta(days=30, minutes=1), minutes=1)
    last = created(paris, NOW + timedelta(days=180, minutes=-1), minutes=1)
    created(paris, NOW + timedelta(days=180))
    cancelled = created(paris, NOW + timedelta(days=2), status=Status.CANCELLED)
    booked(mumbai, datetime(2026, 3, 23, 10, 0, tzinfo=KOLKATA))  # another practitioner's

    calendar = read(client.get(feed_url(paris)))

    assert [str(e["UID"]) for e in calendar.events] == [
        uid_of(first),
        uid_of(cancelled),
        uid_of(last),
    ]


@pytest.mark.usefixtures("now")
def test_the_feed_reads_in_two_queries_however_many_appointments(
    client: Client, paris: Desk
) -> None:
    url = feed_url(paris)
    booked(paris, FRIDAY_BEFORE)
    with CaptureQueriesContext(connection) as one:
        assert len(read(client.get(url)).events) == 1
    for hour in (11, 12, 14):
        appointment = booked(paris, FRIDAY_BEFORE.replace(hour=hour))
    reschedule(
        clinic=paris.clinic,
        appointment_id=appointment.pk,
        start=MONDAY_AFTER.replace(hour=15),
        by=paris.by,
    )

    with CaptureQueriesContext(connection) as four:
        assert len(read(client.get(url)).events) == 4

    assert len(one) == len(four) == 2


@pytest.mark.usefixtures("now")
def test_the_feed_is_private_and_not_indexed(client: Client, paris: Desk) -> None:
    response = client.get(feed_url(paris))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "Content-Disposition" not in response
    assert client.head(feed_url(paris)).status_code == 200
    assert client.post(feed_url(paris)).status_code == 405


@pytest.mark.usefixtures("now")
def test_an_unknown_token_is_404(client: Client, paris: Desk) -> None:
    booked(paris, FRIDAY_BEFORE)
    token = feed_url(paris).removeprefix("/calendar/").removesuffix(".ics")

    assert client.get(f"/calendar/{token[:-1]}x.ics").status_code == 404
    assert client.get("/calendar/.ics").status_code == 404


@pytest.mark.parametrize(
    "change",
    [{"active": False}, {"role": Role.FRONT_DESK}],
    ids=["inactive", "no-longer-practitioner"],
)
@pytest.mark.usefixtures("now")
def test_a_feed_stops_when_its_holder_is_no_longer_an_active_practitioner(
    client: Client, paris: Desk, change: dict[str, object]
) -> None:
    url = feed_url(paris)
    StaffMember.objects.filter(pk=paris.staff.pk).update(**change)

    assert client.get(url).status_code == 404


# -- the staff page of the feed ---------------------------------------------------------------


def test_a_practitioner_gets_their_address_on_the_first_visit(people: People) -> None:
    client = logged_in(people.practitioner)

    first = client.get("/staff/test/calendar-feed/")
    second = client.get("/staff/test/calendar-feed/")

    assert first.status_code == second.status_code == 200
    feed = CalendarFeed.objects.get()
    assert feed.staff.user == people.practitioner
    address = f"http://testserver/calendar/{feed.token}.ics"
    assert address in first.content.decode()
    assert address in second.content.decode()
    assert f"webcal://testserver/calendar/{feed.token}.ics" in first.content.decode()
    assert "no-store" in first["Cache-Control"]


@pytest.mark.usefixtures("now")
def test_making_a_new_address_revokes_the_old_one(paris: Desk, people: People) -> None:
    client = logged_in(people.outsider)
    client.get("/staff/other/calendar-feed/")
    old = CalendarFeed.objects.get(staff=paris.staff).token
    assert client.get(f"/calendar/{old}.ics").status_code == 200

    response = client.post("/staff/other/calendar-feed/regenerate/")

    assert response.status_code == 302
    assert response["Location"] == "/staff/other/calendar-feed/"
    new = CalendarFeed.objects.get(staff=paris.staff).token
    assert new != old
    assert CalendarFeed.objects.count() == 1
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert f"/calendar/{new}.ics" in client.get("/staff/other/calendar-feed/").content.decode()


def test_a_new_address_needs_a_post(people: People) -> None:
    client = logged_in(people.practitioner)
    client.get("/staff/test/calendar-feed/")
    token = CalendarFeed.objects.get().token

    assert client.get("/staff/test/calendar-feed/regenerate/").status_code == 405
    assert CalendarFeed.objects.get().token == token


@pytest.mark.parametrize("who", ["front_desk", "manager"])
def test_only_practitioners_get_a_feed(people: People, who: str) -> None:
    client = logged_in(getattr(people, who))

    assert client.get("/staff/test/calendar-feed/").status_code == 403
    assert client.post("/staff/test/calendar-feed/regenerate/").status_code == 403
    assert CalendarFeed.objects.count() == 0


def test_staff_of_another_clinic_see_no_feed_page(people: People) -> None:
    client = logged_in(people.outsider)

    assert client.get("/staff/test/calendar-feed/").status_code == 404
    assert client.post("/staff/test/calendar-feed/regenerate/").status_code == 404
    assert CalendarFeed.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/staff/test/calendar-feed/",
        "/staff/test/appointments/1.ics",
        "/my/appointments/1.ics",
        "/my/calendar.ics",
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client: Client, people: People, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_an_anonymous_new_address_is_sent_to_log_in(client: Client, people: People) -> None:
    response = client.post("/staff/test/calendar-feed/regenerate/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert CalendarFeed.objects.count() == 0


# -- one booking as a file, for staff ---------------------------------------------------------


@pytest.mark.parametrize("who", ["front_desk", "practitioner", "manager"])
@pytest.mark.usefixtures("now")
def test_any_staff_of_the_clinic_downloads_a_booking(
    people: People, mumbai: Desk, who: str
) -> None:
    appointment = booked(mumbai, datetime(2026, 3, 23, 10, 0, tzinfo=KOLKATA), notes="Nervous")

    response = logged_in(getattr(people, who)).get(f"/staff/test/appointments/{appointment.pk}.ics")

    event = only(read(response))
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="appointment-{appointment.pk}.ics"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert str(event["UID"]) == uid_of(appointment)
    assert str(event["SUMMARY"]) == "Consultation · P.O."
    assert event.start == datetime(2026, 3, 23, 4, 30, tzinfo=UTC)
    assert event.end == datetime(2026, 3, 23, 5, 0, tzinfo=UTC)
    body = unfolded(response)
    assert "X-WR-CALNAME" not in body
    assert "Nervous" not in body


@pytest.mark.usefixtures("now")
def test_another_clinics_booking_is_404_for_staff(
    people: People, mumbai: Desk, paris: Desk
) -> None:
    appointment = booked(mumbai, datetime(2026, 3, 23, 10, 0, tzinfo=KOLKATA))
    client = logged_in(people.outsider)

    assert client.get(f"/staff/other/appointments/{appointment.pk}.ics").status_code == 404
    assert client.get(f"/staff/test/appointments/{appointment.pk}.ics").status_code == 404


# -- the patient's own appointments -----------------------------------------------------------


@pytest.mark.usefixtures("now")
def test_a_patient_downloads_their_appointment_in_full(paris: Desk) -> None:
    appointment = booked(paris, MONDAY_AFTER)
    assert paris.patient.user is not None

    response = logged_in(paris.patient.user).get(f"/my/appointments/{appointment.pk}.ics")

    event = only(read(response))
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="appointment-{appointment.pk}.ics"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert str(event["UID"]) == uid_of(appointment)
    assert str(event["SUMMARY"]) == "Consultation at Other Clinic"
    assert str(event["LOCATION"]) == "Other Clinic, 12 rue des Lilas, 75011 Paris"
    assert event.start == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert event.end == datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["DESCRIPTION"]) == (
        "Consultation with outsider\n"
        "Monday March 30, 2026, 10:00 to 10:30 (Europe/Paris time)\n"
        "Room: Room 1\n"
        "\n"
        "Other Clinic\n"
        "12 rue des Lilas\n"
        "75011 Paris\n"
        "Phone: +33 1 23 45 67 89\n"
        "\n"
        "We look forward to seeing you. If you need to move or cancel this appointment, "
        "just get in touch with us; we will gladly find another time."
    )


@pytest.mark.usefixtures("now")
def test_a_patient_cannot_download_another_patients_appointment(
    people: People, mumbai: Desk
) -> None:
    theirs = booked(mumbai, datetime(2026, 3, 23, 10, 0, tzinfo=KOLKATA), people.other_patient)
    assert people.patient.user is not None

    response = logged_in(people.patient.user).get(f"/my/appointments/{theirs.pk}.ics")

    assert response.status_code == 404


@pytest.mark.usefixtures("now")
def test_the_patient_calendar_holds_only_their_own_appointments(
    people: People, mumbai: Desk
) -> None:
    monday = datetime(2026, 3, 23, 10, 0, tzinfo=KOLKATA)
    coming = booked(mumbai, monday)
    dropped = booked(mumbai, monday + timedelta(days=1))
    cancel(clinic=mumbai.clinic, appointment_id=dropped.pk, reason="Travelling", by=mumbai.by)
    created(mumbai, NOW - timedelta(days=3), status=Status.NO_SHOW)
    created(mumbai, NOW - timedelta(days=31))
    booked(mumbai, monday + timedelta(hours=1), people.other_patient)
    assert people.patient.user is not None

    response = logged_in(people.patient.user).get("/my/calendar.ics")

    calendar = read(response)
    assert response["Content-Disposition"] == 'attachment; filename="appointments.ics"'
    assert str(calendar["X-WR-CALNAME"]) == "My appointments at Test Clinic"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Kolkata"
    events = {str(e["UID"]): e for e in calendar.events}
    assert list(events) == [uid_of(coming), uid_of(dropped)]
    assert str(events[uid_of(coming)]["STATUS"]) == "CONFIRMED"
    assert str(events[uid_of(dropped)]["STATUS"]) == "CANCELLED"
    assert str(events[uid_of(dropped)]["SUMMARY"]) == "Cancelled: Consultation at Test Clinic"
    assert "This appointment has been cancelled." in str(events[uid_of(dropped)]["DESCRIPTION"])
    assert "Travelling" not in unfolded(response)


@pytest.mark.usefixtures("now")
def test_a_user_without_a_patient_record_has_no_patient_calendar(
    people: People, mumbai: Desk
) -> None:
    appointment = booked(mumbai, datetime(2026, 3, 23, 10, 0, tzinfo=KOLKATA))
    client = logged_in(people.practitioner)

    assert client.get("/my/calendar.ics").status_code == 404
    assert client.get(f"/my/appointments/{appointment.pk}.ics").status_code == 404
