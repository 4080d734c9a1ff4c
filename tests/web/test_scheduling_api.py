"""Availability and booking over the API: what the front desk relies on.

The clinic opens by default Monday-Saturday 10:00-19:00 in its own zone;
"now" is fixed by time_machine, never by sleeping.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from clinics.models import Clinic, Device, DeviceKind, Role, Room, StaffMember
from scheduling.booking import BookingError, book
from scheduling.models import (
    Appointment,
    Break,
    Closure,
    Leave,
    OpeningHours,
    Service,
    ServiceKind,
    Status,
    WorkingHours,
)
from tests.conftest import People, make_user

KOLKATA = ZoneInfo("Asia/Kolkata")
PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 11, 23)


@dataclass
class Cal:
    people: People
    clinic: Clinic
    doctor: StaffMember
    second: StaffMember
    consult_room: Room
    rooms: list[Room]
    gun: Device
    consultation: Service
    scalp: Service


def setup_calendar(people: People, clinic: Clinic | None = None) -> Cal:
    clinic = clinic or people.clinic
    doctor = StaffMember.objects.get(clinic=people.clinic, user=people.practitioner)
    if clinic != people.clinic:
        doctor = StaffMember.objects.create(
            clinic=clinic, user=make_user(f"dr-{clinic.slug}"), role=Role.PRACTITIONER
        )
    second = StaffMember.objects.create(
        clinic=clinic, user=make_user(f"second-{clinic.slug}"), role=Role.PRACTITIONER
    )
    consult_room = Room.objects.create(clinic=clinic, name="Consultation room")
    rooms = [Room.objects.create(clinic=clinic, name=f"Room {n}") for n in (1, 2)]
    gun = Device.objects.create(clinic=clinic, name="Gun A", kind=DeviceKind.INJECTOR_GUN)
    consultation = Service.objects.create(
        clinic=clinic,
        key="consultation",
        name="Consultation",
        kind=ServiceKind.CONSULTATION,
        procedure_minutes=30,
    )
    consultation.rooms.set([consult_room])
    consultation.practitioners.set([doctor, second])
    scalp = Service.objects.create(
        clinic=clinic,
        key="hair-loss-scalp",
        name="Hair loss: Scalp",
        kind=ServiceKind.SESSION,
        indication="hair_loss",
        area="scalp",
        numbing_minutes=0,
        procedure_minutes=45,
        cleanup_minutes=10,
        buffer_after_minutes=5,
        device_kind=DeviceKind.INJECTOR_GUN,
    )
    scalp.rooms.set(rooms)
    scalp.practitioners.set([doctor])
    return Cal(people, clinic, doctor, second, consult_room, rooms, gun, consultation, scalp)


@pytest.fixture
def cal(people: People) -> Cal:
    return setup_calendar(people)


@pytest.fixture
def monday_morning() -> Any:
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=KOLKATA), tick=False):
        yield


def staff_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def booking(cal: Cal, start: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "clinic": cal.clinic.slug,
        "patient": cal.people.patient.pk,
        "service": "consultation",
        "practitioner": cal.doctor.pk,
        "start": start.isoformat(),
        **extra,
    }


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = KOLKATA) -> datetime:
    return datetime.combine(day, time(hour, minute), tz)


def slots(client: Client, cal: Cal, **params: Any) -> list[dict[str, Any]]:
    query = {"clinic": cal.clinic.slug, "service": "consultation", **params}
    response = client.get("/api/v1/availability", query)
    assert response.status_code == 200, response.json()
    return list(response.json()["slots"])


# -- booking ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("monday_morning")
def test_it_books_a_free_slot_and_returns_it_in_the_clinic_zone(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    response = post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11)))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["start"] == "2026-11-23T11:00:00+05:30"
    assert body["end"] == "2026-11-23T11:30:00+05:30"
    assert body["room"] == {"id": cal.consult_room.pk, "name": "Consultation room"}
    assert body["status"] == "booked"
    row = Appointment.objects.get()
    assert row.starts_at == datetime(2026, 11, 23, 5, 30, tzinfo=UTC)
    assert row.created_by == cal.people.front_desk
    history = list(row.history.all())
    assert [(h.history_change_reason, h.history_user) for h in history] == [
        ("Booked", cal.people.front_desk)
    ]


@pytest.mark.usefixtures("monday_morning")
def test_a_taken_slot_is_refused_with_409_and_nothing_is_written(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    assert post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11))).status_code == 201
    # Overlaps by 15 minutes with the first.
    response = post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11, 15)))
    assert response.status_code == 409
    body = response.json()
    assert body["errors"][0]["field"] == "start"
    assert body["detail"] == "practitioner is already booked at 2026-11-23 11:15 (Asia/Kolkata)."
    assert Appointment.objects.count() == 1


@pytest.mark.usefixtures("monday_morning")
def test_the_room_is_shared_between_practitioners(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    assert post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11))).status_code == 201
    # One consultation room: the second practitioner cannot consult at 11:00.
    response = post(
        client, "/api/v1/appointments", booking(cal, at(MONDAY, 11), practitioner=cal.second.pk)
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "room"
    assert Appointment.objects.count() == 1


@pytest.mark.usefixtures("monday_morning")
@pytest.mark.parametrize(
    ("start", "words"),
    [
        (at(date(2026, 11, 29), 11), "closed on Sunday 2026-11-29"),
        (at(MONDAY, 9, 30), "opening hours"),
        (at(MONDAY, 18, 45), "opening hours"),  # would end at 19:15
        (at(date(2026, 11, 20), 11), "in the past"),
    ],
)
def test_it_refuses_a_time_the_clinic_is_not_open_with_422(
    cal: Cal, start: datetime, words: str
) -> None:
    response = post(
        staff_client(cal.people.front_desk), "/api/v1/appointments", booking(cal, start)
    )
    assert response.status_code == 422
    assert words in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "start"
    assert Appointment.objects.count() == 0


@pytest.mark.usefixtures("monday_morning")
def test_it_refuses_a_holiday_and_leave(cal: Cal) -> None:
    Closure.objects.create(clinic=cal.clinic, first_day=MONDAY, last_day=MONDAY, reason="Holiday")
    Leave.objects.create(
        staff=cal.doctor, first_day=date(2026, 11, 24), last_day=date(2026, 11, 25)
    )
    client = staff_client(cal.people.front_desk)
    holiday = post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11)))
    assert holiday.status_code == 422
    assert "closed on Monday 2026-11-23" in holiday.json()["detail"]
    leave = post(client, "/api/v1/appointments", booking(cal, at(date(2026, 11, 25), 11)))
    assert leave.status_code == 422
    assert "on leave" in leave.json()["detail"]
    assert Appointment.objects.count() == 0


@pytest.mark.usefixtures("monday_morning")
def test_it_refuses_working_hours_breaks_and_services_not_given(cal: Cal) -> None:
    WorkingHours.objects.create(staff=cal.second, weekday=0, starts=time(14), ends=time(19))
    Break.objects.create(staff=cal.doctor, weekday=0, starts=time(13), ends=time(14))
    client = staff_client(cal.people.front_desk)
    early = post(
        client, "/api/v1/appointments", booking(cal, at(MONDAY, 11), practitioner=cal.second.pk)
    )
    assert early.status_code == 422
    assert "working hours" in early.json()["detail"]
    lunch = post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 13, 15)))
    assert lunch.status_code == 422
    assert "break" in lunch.json()["detail"]
    not_given = post(
        client,
        "/api/v1/appointments",
        booking(cal, at(MONDAY, 15), practitioner=cal.second.pk, service="hair-loss-scalp"),
    )
    assert not_given.status_code == 422
    assert not_given.json()["errors"][0]["field"] == "practitioner"
    assert "does not give Hair loss: Scalp" in not_given.json()["detail"]
    assert Appointment.objects.count() == 0


@pytest.mark.usefixtures("monday_morning")
def test_opening_hours_of_the_clinic_replace_the_default_week(cal: Cal) -> None:
    OpeningHours.objects.create(clinic=cal.clinic, weekday=6, starts=time(9), ends=time(13))
    client = staff_client(cal.people.front_desk)
    sunday = post(client, "/api/v1/appointments", booking(cal, at(date(2026, 11, 29), 9)))
    assert sunday.status_code == 201
    monday = post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11)))
    assert monday.status_code == 422  # only Sunday mornings now
    assert "closed on Monday" in monday.json()["detail"]


@pytest.mark.usefixtures("monday_morning")
def test_a_session_takes_a_device_and_another_session_then_needs_another(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    first = post(
        client, "/api/v1/appointments", booking(cal, at(MONDAY, 11), service="hair-loss-scalp")
    )
    assert first.status_code == 201
    assert first.json()["device"]["name"] == "Gun A"
    assert first.json()["end"] == "2026-11-23T11:55:00+05:30"
    cal.scalp.practitioners.add(cal.second)
    second = post(
        client,
        "/api/v1/appointments",
        booking(cal, at(MONDAY, 11, 30), service="hair-loss-scalp", practitioner=cal.second.pk),
    )
    assert second.status_code == 409  # the only gun is in use until 12:00 (buffer included)
    assert second.json()["errors"][0]["field"] == "device"
    after_buffer = post(
        client,
        "/api/v1/appointments",
        booking(cal, at(MONDAY, 12), service="hair-loss-scalp", practitioner=cal.second.pk),
    )
    assert after_buffer.status_code == 201


@pytest.mark.usefixtures("monday_morning")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2026-11-23T11:00:00"}, "start"),  # no offset
        ({"start": 1763875800}, "start"),  # a number
        ({"start": "tomorrow"}, "start"),
        ({"practitioner": "x"}, "practitioner"),
        ({"service": "nope"}, "service"),
        ({"patient": 999999}, "patient"),
        ({"room": 999999}, "room"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(cal: Cal, body: dict[str, Any], field: str) -> None:
    response = post(
        staff_client(cal.people.front_desk),
        "/api/v1/appointments",
        {**booking(cal, at(MONDAY, 11)), **body},
    )
    assert response.status_code == 422, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Appointment.objects.count() == 0


@pytest.mark.usefixtures("monday_morning")
def test_another_clinics_patient_cannot_be_booked(cal: Cal) -> None:
    from patients.models import Patient

    stranger = Patient.objects.create(clinic=cal.people.other_clinic, first_name="A", last_name="B")
    response = post(
        staff_client(cal.people.front_desk),
        "/api/v1/appointments",
        booking(cal, at(MONDAY, 11), patient=stranger.pk),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "patient"


# -- who may book -------------------------------------------------------------------------


@pytest.mark.usefixtures("monday_morning")
def test_only_the_clinics_staff_may_book(cal: Cal) -> None:
    anonymous = post(Client(), "/api/v1/appointments", booking(cal, at(MONDAY, 11)))
    assert anonymous.status_code == 401
    outsider = post(
        staff_client(cal.people.outsider), "/api/v1/appointments", booking(cal, at(MONDAY, 11))
    )
    assert outsider.status_code == 404
    patient = post(
        staff_client(cal.people.patient.user), "/api/v1/appointments", booking(cal, at(MONDAY, 11))
    )
    assert patient.status_code == 404
    assert Appointment.objects.count() == 0
    for user in (cal.people.front_desk, cal.people.practitioner, cal.people.manager):
        Appointment.objects.all().delete()
        response = post(staff_client(user), "/api/v1/appointments", booking(cal, at(MONDAY, 11)))
        assert response.status_code == 201, user


@pytest.mark.usefixtures("monday_morning")
def test_a_browser_session_needs_the_csrf_token(cal: Cal) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cal.people.front_desk)
    response = post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11)))
    assert response.status_code == 403
    assert Appointment.objects.count() == 0


@pytest.mark.usefixtures("monday_morning")
def test_another_clinics_staff_cannot_see_or_change_an_appointment(cal: Cal) -> None:
    appointment = book(
        clinic=cal.clinic,
        patient=cal.people.patient,
        service=cal.consultation,
        practitioner_id=cal.doctor.pk,
        start=at(MONDAY, 11),
        by=cal.people.front_desk,
    )
    outsider = staff_client(cal.people.outsider)
    base = f"/api/v1/appointments/{appointment.pk}"
    assert outsider.get(base).status_code == 404
    assert outsider.get(f"{base}/history").status_code == 404
    assert post(outsider, f"{base}/cancel", {"reason": "x"}).status_code == 404
    assert post(outsider, f"{base}/check-in", {}).status_code == 404
    assert (
        post(outsider, f"{base}/reschedule", {"start": at(MONDAY, 12).isoformat()}).status_code
        == 404
    )
    listing = outsider.get("/api/v1/appointments", {"clinic": "test", "start": "2026-11-23"})
    assert listing.status_code == 404
    appointment.refresh_from_db()
    assert (appointment.status, appointment.starts_at) == (Status.BOOKED, at(MONDAY, 11))


# -- availability -----------------------------------------------------------------------------


@pytest.mark.usefixtures("monday_morning")
def test_availability_skips_bookings_breaks_and_closing_time(cal: Cal) -> None:
    Break.objects.create(staff=cal.doctor, weekday=0, starts=time(13), ends=time(14))
    book(
        clinic=cal.clinic,
        patient=cal.people.patient,
        service=cal.consultation,
        practitioner_id=cal.doctor.pk,
        start=at(MONDAY, 11),
        by=cal.people.front_desk,
    )
    found = slots(Client(), cal, start="2026-11-23", practitioner=cal.doctor.pk, granularity=30)
    starts = [s["start"][11:16] for s in found]
    assert starts == [
        "10:00", "10:30", "11:30", "12:00", "12:30",
        "14:00", "14:30", "15:00", "15:30", "16:00", "16:30", "17:00", "17:30", "18:00", "18:30",
    ]  # fmt: skip


@pytest.mark.usefixtures("monday_morning")
def test_availability_for_anyone_lists_each_practitioner(cal: Cal) -> None:
    found = slots(Client(), cal, start="2026-11-23", granularity=60)
    names = {s["practitioner"]["id"] for s in found}
    assert names == {cal.doctor.pk, cal.second.pk}
    assert len(found) == 2 * 9  # 10:00 to 18:00, hourly, each


def test_availability_in_paris_follows_the_clocks_across_the_spring_change(
    people: People,
) -> None:
    paris = setup_calendar(people, people.other_clinic)
    with time_machine.travel(datetime(2027, 3, 20, 8, 0, tzinfo=PARIS), tick=False):
        # 2027-03-27 is a Saturday in winter time, 03-29 a Monday in summer time.
        found = slots(Client(), paris, start="2027-03-27", end="2027-03-29", granularity=60)
    by_day: dict[str, dict[str, Any]] = {}
    for slot in found:
        if slot["practitioner"]["id"] == paris.doctor.pk:
            by_day.setdefault(slot["start"][:10], slot)
    assert by_day["2027-03-27"]["start"] == "2027-03-27T10:00:00+01:00"
    assert by_day["2027-03-29"]["start"] == "2027-03-29T10:00:00+02:00"
    assert "2027-03-28" not in by_day  # Sunday


@pytest.mark.usefixtures("monday_morning")
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-11-23", "end": "2026-11-22"}, "end"),
        ({"start": "2026-11-23", "end": "2027-03-01"}, "end"),
        ({"start": "23/11/2026"}, "start"),
        ({"start": "2026-11-23", "service": "nope"}, "service"),
        ({"start": "2026-11-23", "clinic": "nope"}, "clinic"),
        ({"start": "2026-11-23", "practitioner": 999999}, "practitioner"),
        ({"start": "2026-11-23", "granularity": 1}, "granularity"),
    ],
)
def test_availability_bad_input_is_a_422_naming_the_field(
    cal: Cal, params: dict[str, Any], field: str
) -> None:
    query = {"clinic": "test", "service": "consultation", **params}
    response = Client().get("/api/v1/availability", query)
    assert response.status_code == 422, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]


def _every_offered_slot_is_bookable(cal: Cal, day: date, service: Service) -> int:
    """Book each offered slot in a savepoint that is then rolled back."""
    found = slots(Client(), cal, start=day.isoformat(), service=service.key, granularity=5)
    for slot in found:
        sid = transaction.savepoint_create()
        try:
            book(
                clinic=cal.clinic,
                patient=cal.people.patient,
                service=service,
                practitioner_id=slot["practitioner"]["id"],
                start=datetime.fromisoformat(slot["start"]),
                room_id=None if slot["room"] is None else slot["room"]["id"],
                device_id=None if slot["device"] is None else slot["device"]["id"],
                by=cal.people.front_desk,
            )
        except BookingError as error:  # pragma: no cover - the failure message
            pytest.fail(f"offered {slot['start']} but booking said: {error.message}")
        finally:
            transaction.savepoint_rollback(sid)
    return len(found)


@pytest.mark.usefixtures("monday_morning")
def test_availability_never_offers_a_slot_that_booking_refuses(cal: Cal) -> None:
    cal.scalp.practitioners.add(cal.second)
    Break.objects.create(staff=cal.doctor, weekday=1, starts=time(13), ends=time(13, 40))
    WorkingHours.objects.create(staff=cal.second, weekday=1, starts=time(12), ends=time(17))
    Leave.objects.create(
        staff=cal.second,
        first_day=date(2026, 11, 24),
        last_day=date(2026, 11, 24),
        starts=time(15),
        ends=time(16),
    )
    tuesday = date(2026, 11, 24)
    for start, service, who in [
        (at(tuesday, 10, 5), cal.scalp, cal.doctor),
        (at(tuesday, 12, 10), cal.scalp, cal.second),
        (at(tuesday, 14, 20), cal.consultation, cal.doctor),
        (at(tuesday, 16, 35), cal.scalp, cal.doctor),
    ]:
        book(
            clinic=cal.clinic,
            patient=cal.people.other_patient,
            service=service,
            practitioner_id=who.pk,
            start=start,
            by=cal.people.front_desk,
        )
    offered = _every_offered_slot_is_bookable(cal, tuesday, cal.scalp)
    offered += _every_offered_slot_is_bookable(cal, tuesday, cal.consultation)
    assert offered > 50
    assert Appointment.objects.count() == 4


# -- changes ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("monday_morning")
def test_reschedule_checks_like_a_booking_and_keeps_history(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    first = post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11))).json()
    other = post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 12))).json()
    url = f"/api/v1/appointments/{first['id']}/reschedule"
    clash = post(client, url, {"start": at(MONDAY, 12, 10).isoformat()})
    assert clash.status_code == 409
    sunday = post(client, url, {"start": at(date(2026, 11, 29), 12).isoformat()})
    assert sunday.status_code == 422
    # Moving onto its own time (overlapping only itself) is fine.
    moved = post(client, url, {"start": at(MONDAY, 11, 15).isoformat(), "reason": "Late bus"})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["appointment"]["start"] == "2026-11-23T11:15:00+05:30"
    assert moved.json()["course"] is None
    history = client.get(f"/api/v1/appointments/{first['id']}/history").json()
    assert [h["change"] for h in history] == [
        "Booked",
        "Moved from 2026-11-23 11:00 to 2026-11-23 11:15: Late bus",
    ]
    assert {h["by"] for h in history} == {cal.people.front_desk.get_full_name()}
    untouched = Appointment.objects.get(pk=other["id"])
    assert untouched.starts_at == at(MONDAY, 12)


@pytest.mark.usefixtures("monday_morning")
def test_cancel_needs_a_reason_and_frees_the_time(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    first = post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11))).json()
    url = f"/api/v1/appointments/{first['id']}/cancel"
    blank = post(client, url, {"reason": "  "})
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "reason"
    missing = post(client, url, {})
    assert missing.status_code == 422
    assert Appointment.objects.get().status == Status.BOOKED
    done = post(client, url, {"reason": "Patient has a fever"})
    assert done.status_code == 200
    assert done.json()["status"] == "cancelled"
    assert done.json()["cancel_reason"] == "Patient has a fever"
    again = post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11)))
    assert again.status_code == 201
    twice = post(client, url, {"reason": "again"})
    assert twice.status_code == 422


def test_check_in_only_on_the_day_and_no_show_only_after_the_start(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    with time_machine.travel(at(date(2026, 11, 20), 9), tick=False):
        tomorrow = post(client, "/api/v1/appointments", booking(cal, at(date(2026, 11, 21), 11)))
        appointment = tomorrow.json()["id"]
        early = post(client, f"/api/v1/appointments/{appointment}/check-in", {})
        assert early.status_code == 422
        assert "on the day" in early.json()["detail"]
    with time_machine.travel(at(date(2026, 11, 21), 10, 50), tick=False):
        not_yet = post(client, f"/api/v1/appointments/{appointment}/no-show", {})
        assert not_yet.status_code == 422
        checked = post(client, f"/api/v1/appointments/{appointment}/check-in", {})
        assert checked.status_code == 200
        assert checked.json()["status"] == "checked_in"
        assert checked.json()["checked_in_at"] is not None
        moved = post(
            client,
            f"/api/v1/appointments/{appointment}/reschedule",
            {"start": at(date(2026, 11, 21), 12).isoformat()},
        )
        assert moved.status_code == 422  # a checked-in patient is not moved
    with time_machine.travel(at(date(2026, 11, 21), 9), tick=False):
        second = post(
            client,
            "/api/v1/appointments",
            booking(cal, at(date(2026, 11, 21), 15), patient=cal.people.other_patient.pk),
        ).json()["id"]
    with time_machine.travel(at(date(2026, 11, 21), 15, 20), tick=False):
        gone = post(client, f"/api/v1/appointments/{second}/no-show", {})
        assert gone.status_code == 200
        assert gone.json()["status"] == "no_show"
        # The rest of the slot is free for a walk-in.
        walk_in = post(
            client,
            "/api/v1/appointments",
            booking(cal, at(date(2026, 11, 21), 15, 20)),
        )
        assert walk_in.status_code == 201
    history = [h.history_change_reason for h in Appointment.objects.get(pk=second).history.all()]
    assert sorted(history) == ["Booked", "No-show"]


@pytest.mark.usefixtures("monday_morning")
def test_the_day_list_shows_the_clinics_appointments_only(cal: Cal) -> None:
    client = staff_client(cal.people.front_desk)
    post(client, "/api/v1/appointments", booking(cal, at(MONDAY, 11)))
    post(client, "/api/v1/appointments", booking(cal, at(date(2026, 11, 24), 11)))
    day = client.get("/api/v1/appointments", {"clinic": "test", "start": "2026-11-23"})
    assert day.status_code == 200
    assert [a["start"] for a in day.json()] == ["2026-11-23T11:00:00+05:30"]
    week = client.get(
        "/api/v1/appointments", {"clinic": "test", "start": "2026-11-23", "end": "2026-11-29"}
    )
    assert len(week.json()) == 2
    assert (
        Client().get("/api/v1/appointments", {"clinic": "test", "start": "2026-11-23"}).status_code
        == 401
    )


def test_nothing_is_half_written_when_a_later_check_fails(cal: Cal) -> None:
    """A refused booking leaves no appointment and no history row."""
    with time_machine.travel(at(MONDAY, 8), tick=False), pytest.raises(BookingError):
        book(
            clinic=cal.clinic,
            patient=cal.people.patient,
            service=cal.scalp,
            practitioner_id=cal.second.pk,  # does not give it
            start=at(MONDAY, 11),
            by=cal.people.front_desk,
        )
    assert Appointment.objects.count() == 0
    assert Appointment.history.count() == 0


def test_paris_booking_on_the_autumn_change_day_is_stored_in_utc(people: People) -> None:
    paris = setup_calendar(people, people.other_clinic)
    # 2026-10-25: clocks go back at 03:00 CEST to 02:00 CET; the clinic opens 10:00
    # on Saturday 24 (CEST, +02:00) and Monday 26 (CET, +01:00).
    with time_machine.travel(datetime(2026, 10, 20, 8, tzinfo=PARIS), tick=False):
        for day in (date(2026, 10, 24), date(2026, 10, 26)):
            book(
                clinic=paris.clinic,
                patient=_paris_patient(paris),
                service=paris.consultation,
                practitioner_id=paris.doctor.pk,
                start=at(day, 10, tz=PARIS),
                by=people.outsider,
            )
    starts = sorted(a.starts_at for a in Appointment.objects.all())
    assert starts == [
        datetime(2026, 10, 24, 8, tzinfo=UTC),
        datetime(2026, 10, 26, 9, tzinfo=UTC),
    ]


def _paris_patient(cal: Cal) -> Any:
    from patients.models import Patient

    return Patient.objects.get_or_create(clinic=cal.clinic, first_name="Jeanne", last_name="D")[0]


@pytest.mark.usefixtures("monday_morning")
def test_availability_follows_every_change_to_the_calendar_at_once(cal: Cal) -> None:
    """The static calendar is cached per process; each change must show in
    the very next answer."""
    client = Client()

    def starts() -> list[str]:
        found = slots(client, cal, start="2026-11-23", practitioner=cal.doctor.pk, granularity=60)
        return [s["start"][11:16] for s in found]

    assert starts()[:2] == ["10:00", "11:00"]
    brk = Break.objects.create(staff=cal.doctor, weekday=0, starts=time(10), ends=time(11))
    assert starts()[0] == "11:00"
    brk.delete()
    assert starts()[0] == "10:00"
    OpeningHours.objects.create(clinic=cal.clinic, weekday=0, starts=time(15), ends=time(17))
    assert starts() == ["15:00", "16:00"]
    WorkingHours.objects.create(staff=cal.doctor, weekday=0, starts=time(16), ends=time(19))
    assert starts() == ["16:00"]
    cal.consultation.practitioners.remove(cal.doctor)
    assert starts() == []
    cal.doctor.services.add(cal.consultation)
    assert starts() == ["16:00"]
    cal.people.practitioner.first_name = "Renamed"
    cal.people.practitioner.save()
    found = slots(client, cal, start="2026-11-23", practitioner=cal.doctor.pk, granularity=60)
    assert found[0]["practitioner"]["name"].startswith("Renamed")
    Room.objects.filter(pk__in=[r.pk for r in cal.rooms]).delete()
    cal.consult_room.delete()
    assert starts() == []  # the clinic has no room left


def test_refusals_name_each_resource_by_whole_id() -> None:
    from types import SimpleNamespace

    from scheduling.booking import _named

    def person(name: str) -> Any:
        return SimpleNamespace(user=SimpleNamespace(get_full_name=lambda: name, username=name))

    data: Any = SimpleNamespace(
        staff={1: person("Dr One"), 12: person("Dr Twelve")},
        room_rows={1: SimpleNamespace(name="Room A")},
        device_rows={},
    )
    message = "Practitioner 12 is already booked; practitioner 1 is free; Room 1; Device 3."
    assert _named(message, data) == "Dr Twelve is already booked; Dr One is free; Room A; Device 3."
