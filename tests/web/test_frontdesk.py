"""The front desk's pages: calendar, booking one appointment, booking a
whole course, and the course page.

The test clinic opens by default, Monday to Saturday 10:00-19:00,
Asia/Kolkata. "Now" is Monday 2 March 2026, 09:00 at the clinic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from clinics.models import Role, Room, StaffMember
from scheduling.booking import book
from scheduling.models import (
    Appointment,
    Closure,
    Course,
    OpeningHours,
    Service,
    ServiceKind,
    Status,
)
from tests.conftest import People, make_user

KOLKATA = ZoneInfo("Asia/Kolkata")
MONDAY = date(2026, 3, 2)
SUNDAY = date(2026, 3, 8)
NOW = datetime.combine(MONDAY, time(9), KOLKATA)


@dataclass
class Desk:
    people: People
    doctor: StaffMember
    room: Room
    consultation: Service
    face: Service


@pytest.fixture
def now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(people: People, now: None) -> Desk:
    doctor = StaffMember.objects.get(clinic=people.clinic, user=people.practitioner)
    room = Room.objects.create(clinic=people.clinic, name="Room 1")
    consultation = Service.objects.create(
        clinic=people.clinic,
        key="consultation",
        name="Consultation",
        kind=ServiceKind.CONSULTATION,
        procedure_minutes=30,
    )
    face = Service.objects.create(
        clinic=people.clinic,
        key="rejuvenation-face",
        name="Facial rejuvenation: face",
        kind=ServiceKind.SESSION,
        indication="facial_rejuvenation",
        area="face",
        procedure_minutes=45,
    )
    for service in (consultation, face):
        service.practitioners.set([doctor])
    return Desk(people, doctor, room, consultation, face)


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), KOLKATA)


def booked(desk: Desk, start: datetime, service: Service | None = None) -> Appointment:
    return book(
        clinic=desk.people.clinic,
        patient=desk.people.patient,
        service=service or desk.consultation,
        practitioner_id=desk.doctor.pk,
        start=start,
        by=desk.people.front_desk,
    )


def course_form(desk: Desk, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "patient": desk.people.patient.pk,
        "service": desk.face.key,
        "sessions": "4",
        "first_earliest": "2026-03-03",
        "first_latest": "2026-03-06",
        "practitioner": desk.doctor.pk,
        "action": "propose",
    }
    data.update(changes)
    return data


PAGES = [
    "/staff/test/calendar/",
    "/staff/test/appointments/new/",
    "/staff/test/courses/new/",
]


# -- who may see the pages -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["front_desk", "practitioner", "manager"])
@pytest.mark.parametrize("path", PAGES)
def test_each_page_opens_for_the_clinics_staff(desk: Desk, who: str, path: str) -> None:
    response = client_for(getattr(desk.people, who)).get(path)
    assert response.status_code == 200
    assert response.context["clinic"] == desk.people.clinic
    assert response.context["member"].user == getattr(desk.people, who)


@pytest.mark.parametrize("who", ["front_desk", "practitioner", "manager"])
def test_the_course_page_opens_for_the_clinics_staff(desk: Desk, who: str) -> None:
    course = _book_course(desk)
    response = client_for(getattr(desk.people, who)).get(f"/staff/test/courses/{course.pk}/")
    assert response.status_code == 200


@pytest.mark.parametrize("path", [*PAGES, "/staff/test/courses/1/"])
def test_outsiders_and_patients_find_nothing(desk: Desk, path: str) -> None:
    assert client_for(desk.people.outsider).get(path).status_code == 404
    assert client_for(desk.people.patient.user).get(path).status_code == 404


@pytest.mark.parametrize("path", [*PAGES, "/staff/", "/staff/test/courses/1/"])
def test_anonymous_visitors_are_sent_to_log_in(desk: Desk, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_course_of_another_clinic_is_not_found(desk: Desk) -> None:
    course = _book_course(desk)
    other = StaffMember.objects.create(
        clinic=desk.people.other_clinic, user=make_user("dr-other"), role=Role.MANAGER
    )
    assert client_for(other.user).get(f"/staff/other/courses/{course.pk}/").status_code == 404


def test_staff_start_at_their_first_clinics_calendar(desk: Desk) -> None:
    response = client_for(desk.people.front_desk).get("/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/test/calendar/"
    response = client_for(desk.people.outsider).get("/staff/")
    assert response["Location"] == "/staff/other/calendar/"
    assert client_for(desk.people.patient.user).get("/staff/").status_code == 404


def test_the_account_page_links_staff_to_the_calendar(desk: Desk) -> None:
    response = client_for(desk.people.front_desk).get("/accounts/home/")
    assert 'href="/staff/test/calendar/"' in response.content.decode()
    response = client_for(desk.people.patient.user).get("/accounts/home/")
    assert "/calendar/" not in response.content.decode()


# -- the calendar ----------------------------------------------------------------------------


def test_the_calendar_is_set_up_in_the_clinics_zone_and_hours(desk: Desk) -> None:
    response = client_for(desk.people.front_desk).get("/staff/test/calendar/")
    config = response.context["config"]
    assert config["timeZone"] == "Asia/Kolkata"
    assert config["initialDate"] == "2026-03-02"
    assert config["initialView"] == "timeGridWeek"
    assert config["slotMinTime"] == "10:00"
    assert config["slotMaxTime"] == "19:00"
    assert config["hiddenDays"] == [0]  # Sunday, in FullCalendar's numbering
    assert config["colours"] == {str(desk.doctor.pk): 0}
    body = response.content.decode()
    assert '<script id="calendar-config" type="application/json">' in body
    assert "vendor/fullcalendar/fullcalendar.global.min.js" in body
    assert "js/calendar.js" in body


def test_the_calendar_spans_the_clinics_own_opening_hours(desk: Desk) -> None:
    clinic = desk.people.clinic
    for weekday in range(5):  # Monday to Friday, closed for lunch
        OpeningHours.objects.create(clinic=clinic, weekday=weekday, starts=time(9), ends=time(13))
        OpeningHours.objects.create(clinic=clinic, weekday=weekday, starts=time(14), ends=time(20))
    OpeningHours.objects.create(clinic=clinic, weekday=5, starts=time(10), ends=time(0))
    config = client_for(desk.people.front_desk).get("/staff/test/calendar/").context["config"]
    assert (config["slotMinTime"], config["slotMaxTime"]) == ("09:00", "24:00")
    assert config["hiddenDays"] == [0]
    assert config["businessHours"][:2] == [
        {"daysOfWeek": [1], "startTime": "09:00", "endTime": "13:00"},
        {"daysOfWeek": [1], "startTime": "14:00", "endTime": "20:00"},
    ]
    assert config["businessHours"][-1] == {
        "daysOfWeek": [6],
        "startTime": "10:00",
        "endTime": "24:00",
    }


def test_only_the_calendar_page_lets_fullcalendar_add_its_styles(desk: Desk) -> None:
    client = client_for(desk.people.front_desk)
    response = client.get("/staff/test/calendar/")
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"style-src 'self' 'nonce-([^']+)'", policy)
    assert nonce is not None, policy
    assert f'<meta name="csp-nonce" content="{nonce.group(1)}">' in response.content.decode()
    assert "script-src 'self';" in policy + ";"  # scripts stay files only
    assert "font-src 'self' data:" in policy  # FullCalendar's icon font
    other = client.get("/staff/test/appointments/new/")["Content-Security-Policy"]
    assert "nonce" not in other


def test_the_day_list_shows_the_days_appointments_in_clinic_time(desk: Desk) -> None:
    first = booked(desk, at(MONDAY, 11))
    booked(desk, at(MONDAY + timedelta(days=1), 11))
    response = client_for(desk.people.front_desk).get("/staff/test/calendar/")
    rows = response.context["appointments"]
    assert [item["row"].pk for item in rows] == [first.pk]
    body = response.content.decode()
    assert "11:00–11:30" in body
    assert f'action="/staff/test/appointments/{first.pk}/check-in/"' in body
    assert f'href="/staff/test/appointments/{first.pk}.ics"' in body


def test_the_day_list_can_show_one_room_or_practitioner(desk: Desk) -> None:
    booked(desk, at(MONDAY, 11))
    client = client_for(desk.people.front_desk)
    other_room = Room.objects.create(clinic=desk.people.clinic, name="Room 2")

    def shown(query: str) -> int:
        return len(client.get(f"/staff/test/calendar/?{query}").context["appointments"])

    assert shown(f"show=room:{desk.room.pk}") == 1
    assert shown(f"show=room:{other_room.pk}") == 0
    assert shown(f"show=practitioner:{desk.doctor.pk}") == 1
    assert shown("show=room:999999") == 1  # unknown: everything
    response = client.get(
        f"/staff/test/calendar/?show=practitioner:{desk.doctor.pk}&date=2026-03-03"
    )
    assert response.context["appointments"] == []
    assert response.context["day"] == date(2026, 3, 3)


def test_check_in_from_the_day_list(desk: Desk) -> None:
    appointment = booked(desk, at(MONDAY, 11))
    client = client_for(desk.people.front_desk)
    response = client.post(
        f"/staff/test/appointments/{appointment.pk}/check-in/",
        {"next": "/staff/test/calendar/?date=2026-03-02"},
        follow=True,
    )
    assert response.redirect_chain == [("/staff/test/calendar/?date=2026-03-02", 302)]
    appointment.refresh_from_db()
    assert appointment.status == Status.CHECKED_IN
    assert "is checked in" in response.content.decode()
    assert appointment.history.first().history_change_reason == "Checked in"


def test_a_refused_no_show_says_why_and_changes_nothing(desk: Desk) -> None:
    appointment = booked(desk, at(MONDAY, 11))
    response = client_for(desk.people.front_desk).post(
        f"/staff/test/appointments/{appointment.pk}/no-show/", follow=True
    )
    assert response.status_code == 200
    assert "once its start time has passed" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED
    assert appointment.history.count() == 1


def test_cancelling_needs_a_reason(desk: Desk) -> None:
    appointment = booked(desk, at(MONDAY, 11))
    client = client_for(desk.people.front_desk)
    response = client.post(f"/staff/test/appointments/{appointment.pk}/cancel/", follow=True)
    assert "Say why the appointment is cancelled." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED
    client.post(f"/staff/test/appointments/{appointment.pk}/cancel/", {"reason": "Fever"})
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (Status.CANCELLED, "Fever")


@pytest.mark.parametrize("action", ["check-in", "no-show", "cancel"])
def test_status_changes_refuse_get(desk: Desk, action: str) -> None:
    appointment = booked(desk, at(MONDAY, 11))
    response = client_for(desk.people.front_desk).get(
        f"/staff/test/appointments/{appointment.pk}/{action}/"
    )
    assert response.status_code == 405
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED


def test_status_changes_stay_inside_the_clinic(desk: Desk) -> None:
    appointment = booked(desk, at(MONDAY, 11))
    outsider = client_for(desk.people.outsider)
    assert outsider.post(f"/staff/test/appointments/{appointment.pk}/check-in/").status_code == 404
    other = StaffMember.objects.create(
        clinic=desk.people.other_clinic, user=make_user("desk-other"), role=Role.FRONT_DESK
    )
    response = client_for(other.user).post(f"/staff/other/appointments/{appointment.pk}/check-in/")
    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED


def test_an_unsafe_next_address_is_ignored(desk: Desk) -> None:
    appointment = booked(desk, at(MONDAY, 11))
    response = client_for(desk.people.front_desk).post(
        f"/staff/test/appointments/{appointment.pk}/check-in/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/staff/test/calendar/"


# -- booking one appointment -----------------------------------------------------------------


def test_the_booking_form_offers_the_free_times_of_the_day(desk: Desk) -> None:
    booked(desk, at(MONDAY, 11))
    response = client_for(desk.people.front_desk).get(
        "/staff/test/appointments/new/",
        {
            "patient": desk.people.other_patient.pk,
            "service": "consultation",
            "practitioner": desk.doctor.pk,
            "day": "2026-03-02",
        },
    )
    [group] = response.context["groups"]
    labels = [t.label for t in group.times]
    assert labels[0] == "10:00"
    assert "10:30" in labels and "11:00" not in labels and "11:15" not in labels
    assert labels[-1] == "18:30"
    assert group.times[0].value == f"{desk.doctor.pk}|2026-03-02T10:00:00+05:30"


def test_a_link_prefills_the_booking_form(desk: Desk) -> None:
    response = client_for(desk.people.front_desk).get(
        "/staff/test/appointments/new/",
        {"patient": desk.people.patient.pk, "service": "rejuvenation-face"},
    )
    form = response.context["form"]
    assert not form.is_bound
    assert form.initial["service"] == "rejuvenation-face"
    assert '<option value="rejuvenation-face" selected>' in response.content.decode()


def test_the_booking_form_books_the_chosen_time(desk: Desk) -> None:
    response = client_for(desk.people.front_desk).post(
        "/staff/test/appointments/new/",
        {
            "patient": desk.people.patient.pk,
            "service": "consultation",
            "practitioner": desk.doctor.pk,
            "day": "2026-03-03",
            "start": f"{desk.doctor.pk}|2026-03-03T14:15:00+05:30",
            "notes": "First visit",
            "action": "book",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/staff/test/calendar/?date=2026-03-03&view=day"
    [appointment] = Appointment.objects.all()
    assert appointment.starts_at == at(date(2026, 3, 3), 14, 15)
    assert appointment.practitioner == desk.doctor
    assert appointment.room == desk.room
    assert appointment.notes == "First visit"
    assert appointment.created_by == desk.people.front_desk


def test_the_booking_form_refuses_a_sunday_with_the_reason(desk: Desk) -> None:
    client = client_for(desk.people.front_desk)
    data = {
        "patient": desk.people.patient.pk,
        "service": "consultation",
        "practitioner": desk.doctor.pk,
        "day": SUNDAY.isoformat(),
    }
    response = client.post("/staff/test/appointments/new/", {**data, "action": "times"})
    assert response.context["closed"] is True
    assert response.context["groups"] == []
    assert "The clinic is closed on this day." in response.content.decode()

    response = client.post(
        "/staff/test/appointments/new/",
        {**data, "start": f"{desk.doctor.pk}|2026-03-08T11:00:00+05:30", "action": "book"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["start"]
    assert len(errors) == 1 and "closed" in errors[0].lower()
    assert 'id="id_start_error"' in response.content.decode()
    assert Appointment.objects.count() == 0


def test_a_taken_time_is_refused_next_to_the_time(desk: Desk) -> None:
    booked(desk, at(MONDAY, 11))
    response = client_for(desk.people.front_desk).post(
        "/staff/test/appointments/new/",
        {
            "patient": desk.people.other_patient.pk,
            "service": "consultation",
            "practitioner": desk.doctor.pk,
            "day": "2026-03-02",
            "start": f"{desk.doctor.pk}|2026-03-02T11:15:00+05:30",
            "action": "book",
        },
    )
    assert response.context["form"].errors["start"]
    assert Appointment.objects.count() == 1


def test_the_booking_form_needs_a_time_to_book(desk: Desk) -> None:
    response = client_for(desk.people.front_desk).post(
        "/staff/test/appointments/new/",
        {
            "patient": desk.people.patient.pk,
            "service": "consultation",
            "day": "2026-03-03",
            "action": "book",
        },
    )
    assert response.context["form"].errors["start"] == ["Choose one of the free times."]
    assert Appointment.objects.count() == 0


def test_the_booking_form_refuses_another_clinics_patient(desk: Desk) -> None:
    from patients.models import Patient

    stranger = Patient.objects.create(
        clinic=desk.people.other_clinic, first_name="Sam", last_name="Else"
    )
    response = client_for(desk.people.front_desk).post(
        "/staff/test/appointments/new/",
        {
            "patient": stranger.pk,
            "service": "consultation",
            "day": "2026-03-03",
            "start": f"{desk.doctor.pk}|2026-03-03T14:15:00+05:30",
            "action": "book",
        },
    )
    assert "patient" in response.context["form"].errors
    assert Appointment.objects.count() == 0


# -- booking a course ------------------------------------------------------------------------


def _book_course(desk: Desk) -> Course:
    response = client_for(desk.people.front_desk).post(
        "/staff/test/courses/new/", course_form(desk, action="book")
    )
    assert response.status_code == 302, response.context["form"].errors
    return Course.objects.get()


def test_the_course_form_proposes_every_session_and_books_nothing(desk: Desk) -> None:
    response = client_for(desk.people.front_desk).post(
        "/staff/test/courses/new/",
        course_form(desk, weekdays=["1", "3"], times_of_day=["afternoon"]),
    )
    proposal = response.context["proposal"]
    sessions = proposal["sessions"]
    assert [s["number"] for s in sessions] == [1, 2, 3, 4]
    assert sessions[0]["day"] == date(2026, 3, 3)  # a Tuesday, as preferred
    assert sessions[0]["time"] == "12:00"
    assert all(s["preferred"] for s in sessions)
    assert all(s["practitioner"] == "practitioner" for s in sessions)
    assert proposal["same_practitioner"] is True
    assert "Book all 4 sessions" in response.content.decode()
    assert (Course.objects.count(), Appointment.objects.count()) == (0, 0)


def test_the_course_form_books_all_sessions_and_shows_the_course(desk: Desk) -> None:
    client = client_for(desk.people.front_desk)
    response = client.post("/staff/test/courses/new/", course_form(desk, action="book"))
    course = Course.objects.get()
    assert response["Location"] == f"/staff/test/courses/{course.pk}/"
    assert (course.patient, course.service, course.sessions) == (
        desk.people.patient,
        desk.face,
        4,
    )
    appointments = list(course.appointments.order_by("session_number"))
    assert [a.session_number for a in appointments] == [1, 2, 3, 4]
    assert appointments[0].starts_at == at(date(2026, 3, 3), 10)
    for previous, following in pairwise(appointments):
        gap = (following.starts_at.date() - previous.starts_at.date()).days
        assert 7 <= gap <= 10

    page = client.get(response["Location"])
    assert [row["number"] for row in page.context["rows"]] == [1, 2, 3, 4]
    assert not any(row["misfit"] for row in page.context["rows"])
    body = page.content.decode()
    assert "Tue 3 Mar 2026" in body and "10:00–10:45" in body  # the clinic's time
    assert "/staff/test/calendar/?date=2026-03-03&amp;view=day" in body
    assert "Booked 4 sessions for Pat One." in body


def test_booking_refuses_when_the_calendar_changed_since_the_proposal(desk: Desk) -> None:
    client = client_for(desk.people.front_desk)
    shown = client.post("/staff/test/courses/new/", course_form(desk)).context["proposal"]
    first = shown["expected"][0]
    # Someone takes the first proposed time meanwhile.
    start = datetime.fromisoformat(first.split("|")[0])
    book(
        clinic=desk.people.clinic,
        patient=desk.people.other_patient,
        service=desk.face,
        practitioner_id=int(first.split("|")[1]),
        start=start,
        by=desk.people.manager,
    )
    response = client.post(
        "/staff/test/courses/new/",
        {**course_form(desk, action="book"), "expected": shown["expected"]},
    )
    assert response.status_code == 200
    assert "The calendar has changed since the proposal was shown" in response.content.decode()
    assert response.context["proposal"]["expected"][0] != first  # the new proposal is shown
    assert Course.objects.count() == 0
    assert Appointment.objects.filter(patient=desk.people.patient).count() == 0
    # Booking what is now shown works.
    agreed = response.context["proposal"]["expected"]
    booked = client.post(
        "/staff/test/courses/new/", {**course_form(desk, action="book"), "expected": agreed}
    )
    assert booked.status_code == 302
    assert Course.objects.get().appointments.count() == len(agreed)


def test_the_usual_number_of_sessions_is_the_default(desk: Desk) -> None:
    client = client_for(desk.people.front_desk)
    page = client.get("/staff/test/courses/new/")
    assert "Facial rejuvenation: face (usually 6 sessions)" in page.content.decode()
    response = client.post("/staff/test/courses/new/", course_form(desk, sessions=""))
    assert len(response.context["proposal"]["sessions"]) == 6


def test_a_course_that_cannot_fit_names_the_session_and_the_alternatives(desk: Desk) -> None:
    # Session 1 on Tuesday 3 March; the clinic is closed the whole of
    # session 2's window, 10 to 13 March.
    Closure.objects.create(
        clinic=desk.people.clinic,
        first_day=date(2026, 3, 10),
        last_day=date(2026, 3, 13),
        reason="Renovation",
    )
    client = client_for(desk.people.front_desk)
    for action in ("propose", "book"):
        response = client.post(
            "/staff/test/courses/new/",
            course_form(desk, first_latest="2026-03-03", action=action),
        )
        assert response.status_code == 200
        failure = response.context["failure"]
        assert failure["session"] == 2
        assert failure["window"].earliest == date(2026, 3, 10)
        alternatives = {str(label): slot for label, slot in failure["alternatives"]}
        assert list(alternatives) == ["Before the window", "After the window"]
        assert alternatives["Before the window"]["day"] == date(2026, 3, 9)
        assert alternatives["After the window"]["day"] == date(2026, 3, 14)
        body = response.content.decode()
        assert "Session 2 cannot be booked" in body
        assert "proposal" not in response.context
        assert (Course.objects.count(), Appointment.objects.count()) == (0, 0)


def test_a_wrong_first_window_is_refused_by_the_form(desk: Desk) -> None:
    response = client_for(desk.people.front_desk).post(
        "/staff/test/courses/new/",
        course_form(desk, first_earliest="2026-03-06", first_latest="2026-03-03"),
    )
    assert response.context["form"].errors["first_latest"]
    response = client_for(desk.people.front_desk).post(
        "/staff/test/courses/new/", course_form(desk, first_earliest="2026-03-01")
    )
    assert response.context["form"].errors["first_earliest"]
    assert Course.objects.count() == 0


def test_too_many_sessions_are_refused_next_to_the_number(desk: Desk) -> None:
    response = client_for(desk.people.front_desk).post(
        "/staff/test/courses/new/", course_form(desk, sessions="30")
    )
    assert response.context["form"].errors["sessions"]
    assert Course.objects.count() == 0


def test_the_course_form_offers_only_treatment_sessions(desk: Desk) -> None:
    response = client_for(desk.people.front_desk).post(
        "/staff/test/courses/new/", course_form(desk, service="consultation")
    )
    assert "service" in response.context["form"].errors
    assert Course.objects.count() == 0


def test_the_course_page_flags_a_session_moved_out_of_its_window(desk: Desk) -> None:
    from scheduling.courses import move_session

    course = _book_course(desk)
    second = course.appointments.get(session_number=2)
    move_session(
        clinic=desk.people.clinic,
        appointment_id=course.appointments.get(session_number=1).pk,
        start=at(date(2026, 3, 6), 10),
        by=desk.people.front_desk,
    )
    page = client_for(desk.people.front_desk).get(f"/staff/test/courses/{course.pk}/")
    flagged = [row["number"] for row in page.context["rows"] if row.get("misfit")]
    assert second.starts_at == at(date(2026, 3, 10), 10)  # 4 days after the 6th: too soon
    assert flagged == [2]
    assert "outside its window" in page.content.decode()
