"""Whole courses over the API: booked whole or not at all, each session in
its window; a moved session re-windows the later ones."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
import time_machine
from django.test import Client

from core.planning import out_of_window
from mesoclinic.catalog import get_catalog
from scheduling.models import Appointment, Course, Leave, Status
from tests.web.test_scheduling_api import KOLKATA, Cal, post, setup_calendar, staff_client

MONDAY = date(2026, 11, 23)


@pytest.fixture
def cal(people: Any) -> Cal:
    return setup_calendar(people)


@pytest.fixture(autouse=True)
def monday_morning() -> Any:
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=KOLKATA), tick=False):
        yield


def course(cal: Cal, **extra: Any) -> dict[str, Any]:
    return {
        "clinic": cal.clinic.slug,
        "patient": cal.people.patient.pk,
        "service": "hair-loss-scalp",
        "first_earliest": "2026-11-24",
        "first_latest": "2026-11-28",
        **extra,
    }


def local_dates(appointments: list[dict[str, Any]]) -> list[date]:
    return [date.fromisoformat(a["start"][:10]) for a in appointments]


def test_it_books_every_session_of_the_default_course_in_its_window(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    response = post(client, "/api/v1/courses", course(cal))
    assert response.status_code == 201, response.json()
    body = response.json()
    protocol = get_catalog().protocols["hair_loss_taper"]
    assert body["protocol"] == "hair_loss_taper"
    assert body["sessions"] == protocol.default_sessions
    appointments = body["appointments"]
    assert [a["session_number"] for a in appointments] == list(
        range(1, protocol.default_sessions + 1)
    )
    dates = local_dates(appointments)
    assert date(2026, 11, 24) <= dates[0] <= date(2026, 11, 28)
    assert out_of_window(protocol, dates) == ()
    assert body["windows"]["misfits"] == []
    assert {a["practitioner"]["id"] for a in appointments} == {cal.doctor.pk}
    assert all(a["device"]["name"] == "Gun A" for a in appointments)
    assert Appointment.objects.filter(course_id=body["id"]).count() == len(appointments)
    # Every one is attributed, with its history.
    for row in Appointment.objects.filter(course_id=body["id"]):
        assert row.created_by == cal.people.front_desk
        assert row.history.count() == 1


def test_it_prefers_the_patients_weekdays_and_time_of_day(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    preferences = {"weekdays": [3], "times_of_day": ["afternoon"]}  # Thursday afternoons
    proposal = post(
        client, "/api/v1/courses/proposal", course(cal, sessions=4, preferences=preferences)
    )
    assert proposal.status_code == 200, proposal.json()
    sessions = proposal.json()["sessions"]
    assert len(sessions) == 4
    for session in sessions:
        start = datetime.fromisoformat(session["start"])
        assert start.weekday() == 3
        assert time(12) <= start.time() < time(17)
        assert session["preferred"] is True
    # A proposal books nothing.
    assert Appointment.objects.count() == 0
    assert Course.objects.count() == 0


def test_a_course_that_cannot_fit_says_which_session_and_books_nothing(cal: Cal) -> None:
    # The only practitioner is away for the whole second window.
    Leave.objects.create(
        staff=cal.doctor, first_day=date(2026, 11, 30), last_day=date(2026, 12, 10)
    )
    client = staff_client(cal.people.front_desk)
    response = post(
        client,
        "/api/v1/courses",
        course(cal, first_earliest="2026-11-24", first_latest="2026-11-24", sessions=4),
    )
    assert response.status_code == 409, response.json()
    failure = response.json()["failure"]
    assert failure["session"] == 2
    assert failure["window"] == {"earliest": "2026-12-01", "latest": "2026-12-04"}
    assert failure["previous"] == "2026-11-24"
    after = failure["alternatives"]["after"]
    assert after is not None and after["start"].startswith("2026-12-11")
    assert response.json()["errors"][0]["field"] == "sessions"
    assert Appointment.objects.count() == 0
    assert Course.objects.count() == 0


def test_a_course_is_all_or_nothing_when_a_session_is_taken_meanwhile(cal: Cal) -> None:
    """If a chosen time is taken between the search and the write, the
    sessions already written are rolled back."""
    from scheduling import courses

    original = courses.propose
    client = staff_client(cal.people.front_desk)

    def propose_then_someone_books(clinic: Any, request: Any) -> Any:
        proposal = original(clinic, request)
        last = proposal.plan.sessions[-1].slot
        Appointment.objects.create(
            clinic=clinic,
            patient=cal.people.other_patient,
            service=cal.scalp,
            practitioner_id=last.practitioner_id,
            room_id=last.room_id,
            device_id=last.device_id,
            starts_at=last.start,
            ends_at=last.end,
            blocked_from=last.start,
            blocked_until=last.end,
            created_by=cal.people.manager,
        )
        return proposal

    courses.propose = propose_then_someone_books
    try:
        response = post(client, "/api/v1/courses", course(cal, sessions=4))
    finally:
        courses.propose = original
    assert response.status_code == 409, response.json()
    assert "Session 4" in response.json()["detail"]
    assert "Nothing was booked" in response.json()["detail"]
    assert Appointment.objects.filter(patient=cal.people.patient).count() == 0
    assert Course.objects.count() == 0


def test_moving_a_session_rewindows_the_later_ones_and_names_the_misfits(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    body = post(client, "/api/v1/courses", course(cal, sessions=5)).json()
    appointments = body["appointments"]
    second = appointments[1]
    third_date = date.fromisoformat(appointments[2]["start"][:10])
    # Move session 2 later by 5 days: session 3 (7-10 days after 2) may no longer fit.
    moved_day = date.fromisoformat(second["start"][:10]).toordinal() + 5
    new_start = datetime.combine(date.fromordinal(moved_day), time(11), KOLKATA)
    while new_start.weekday() == 6:  # not a Sunday
        new_start = new_start.replace(day=new_start.day + 1)
    response = post(
        client,
        f"/api/v1/appointments/{second['id']}/reschedule",
        {"start": new_start.isoformat(), "reason": "Patient travelling"},
    )
    assert response.status_code == 200, response.json()
    windows = response.json()["course"]
    assert windows["dates"][1] == new_start.date().isoformat()
    third_window = windows["windows"][2]
    earliest = date.fromisoformat(third_window["earliest"])
    assert (earliest - new_start.date()).days == 7
    expected_misfit = not (earliest <= third_date <= date.fromisoformat(third_window["latest"]))
    assert (3 in windows["misfits"]) is expected_misfit
    assert expected_misfit  # five days later, the old third date is too early
    # The later sessions are not moved behind the clinic's back.
    assert Appointment.objects.get(pk=appointments[2]["id"]).starts_at == datetime.fromisoformat(
        appointments[2]["start"]
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"service": "consultation"}, "service"),
        ({"sessions": 99}, "sessions"),
        ({"sessions": 1}, "sessions"),
        ({"protocol": "nope"}, "protocol"),
        ({"first_earliest": "2026-11-01", "first_latest": "2026-11-05"}, "first_earliest"),
        ({"first_latest": "2026-11-20"}, "first_latest"),
        ({"preferences": {"weekdays": [9]}}, "preferences.weekdays"),
        ({"preferences": {"times_of_day": ["night"]}}, "preferences.times_of_day.0"),
        ({"patient": 999999}, "patient"),
    ],
)
def test_bad_course_input_is_a_422_naming_the_field(
    cal: Cal, extra: dict[str, Any], field: str
) -> None:
    response = post(staff_client(cal.people.front_desk), "/api/v1/courses", course(cal, **extra))
    assert response.status_code == 422, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Appointment.objects.count() == 0
    assert Course.objects.count() == 0


def test_only_the_clinics_staff_may_book_or_read_a_course(cal: Cal) -> None:
    assert post(Client(), "/api/v1/courses", course(cal)).status_code == 401
    assert (
        post(staff_client(cal.people.outsider), "/api/v1/courses", course(cal)).status_code == 404
    )
    booked = post(staff_client(cal.people.front_desk), "/api/v1/courses", course(cal)).json()
    assert (
        staff_client(cal.people.outsider).get(f"/api/v1/courses/{booked['id']}").status_code == 404
    )
    mine = staff_client(cal.people.practitioner).get(f"/api/v1/courses/{booked['id']}")
    assert mine.status_code == 200
    assert len(mine.json()["appointments"]) == booked["sessions"]
    assert all(a["status"] == Status.BOOKED for a in mine.json()["appointments"])


def test_booking_what_was_proposed_refuses_a_changed_calendar(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    shown = post(client, "/api/v1/courses/proposal", course(cal, sessions=4)).json()
    expected = [
        {"start": s["start"], "practitioner": s["practitioner"]["id"]} for s in shown["sessions"]
    ]
    post(
        client,
        "/api/v1/appointments",
        {
            "clinic": "test",
            "patient": cal.people.other_patient.pk,
            "service": "hair-loss-scalp",
            "practitioner": cal.doctor.pk,
            "start": shown["sessions"][0]["start"],
        },
    )
    changed = post(client, "/api/v1/courses", course(cal, sessions=4, expected=expected))
    assert changed.status_code == 409
    assert changed.json()["proposal"]["sessions"][0]["start"] != shown["sessions"][0]["start"]
    assert Course.objects.count() == 0
    again = [
        {"start": s["start"], "practitioner": s["practitioner"]["id"]}
        for s in changed.json()["proposal"]["sessions"]
    ]
    booked = post(client, "/api/v1/courses", course(cal, sessions=4, expected=again))
    assert booked.status_code == 201
    assert [a["start"] for a in booked.json()["appointments"]] == [e["start"] for e in again]


def test_moving_the_first_session_out_of_the_agreed_window_is_flagged(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    body = post(client, "/api/v1/courses", course(cal, sessions=4)).json()
    first = body["appointments"][0]
    assert body["windows"]["windows"][0] == {"earliest": "2026-11-24", "latest": "2026-11-28"}
    moved = post(
        client,
        f"/api/v1/appointments/{first['id']}/reschedule",
        {"start": datetime(2026, 11, 30, 11, tzinfo=KOLKATA).isoformat()},
    )
    assert moved.status_code == 200, moved.json()
    assert 1 in moved.json()["course"]["misfits"]
