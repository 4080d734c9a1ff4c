"""Walk-in tokens: numbering, estimates, calling (which books a
consultation), the waiting room's screen, the staff page and the API."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test import Client

from accounts.models import User
from clinics.models import Role, Room, StaffMember
from patients.models import Patient
from scheduling import booking
from scheduling.models import Appointment, Closure, Service, ServiceKind, WorkingHours
from scheduling.models import Status as AppointmentStatus
from tests.conftest import People, make_user
from tokens import queueing
from tokens.models import Token, TokenStatus

IST = ZoneInfo("Asia/Kolkata")
MONDAY = date(2026, 3, 2)
API = "/api/v1/tokens"
PAGE = "/staff/test/queue/"


def at(hour: int, minute: int = 0, second: int = 0, day: date = MONDAY) -> datetime:
    return datetime.combine(day, time(hour, minute, second), IST)


@pytest.fixture(autouse=True)
def monday_morning() -> Iterator[None]:
    # 11:00:20 in Mumbai: the clinic is open; a call books from 11:01.
    with time_machine.travel(at(11, 0, 20), tick=False):
        yield


@dataclass
class Desk:
    people: People
    service: Service
    room: Room
    doctor: StaffMember  # people.practitioner's membership

    def member(self, user: User) -> StaffMember:
        return StaffMember.objects.get(user=user, clinic=self.people.clinic)

    def second_doctor(self) -> StaffMember:
        user = make_user("second")
        staff = StaffMember.objects.create(
            clinic=self.people.clinic, user=user, role=Role.PRACTITIONER
        )
        self.service.practitioners.add(staff)
        return staff


@pytest.fixture
def desk(people: People) -> Desk:
    clinic = people.clinic
    room = Room.objects.create(clinic=clinic, name="Room 1")
    service = Service.objects.create(
        clinic=clinic,
        key="consultation",
        name="Consultation",
        kind=ServiceKind.CONSULTATION,
        procedure_minutes=30,
    )
    doctor = StaffMember.objects.get(user=people.practitioner)
    service.practitioners.add(doctor)
    return Desk(people, service, room, doctor)


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def staff_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def give(desk: Desk, *names: str) -> list[Token]:
    return [
        queueing.issue(clinic=desk.people.clinic, by=desk.people.front_desk, name=name).token
        for name in names
    ]


def waiting_numbers(desk: Desk) -> list[int]:
    return list(
        Token.objects.filter(clinic=desk.people.clinic, status=TokenStatus.WAITING)
        .order_by("number")
        .values_list("number", flat=True)
    )


# -- issuing -----------------------------------------------------------------------------------


def test_issuing_answers_the_number_place_and_estimated_wait(desk: Desk) -> None:
    desk.second_doctor()
    give(desk, "A One", "B Two", "C Three")
    response = post(
        staff_client(desk.people.front_desk),
        API,
        {"clinic": "test", "name": "Asha Verma", "phone": "+91 98200 00000"},
    )
    assert response.status_code == 201, response.content
    # Three ahead x 30 minutes / two practitioners, from 11:01 (now, rounded up).
    assert response.json() == {
        "id": Token.objects.get(number=4).pk,
        "number": 4,
        "day": "2026-03-02",
        "position": 4,
        "wait_minutes": 45,
        "estimated_at": "2026-03-02T11:46:00+05:30",
        "time_zone": "Asia/Kolkata",
    }
    token = Token.objects.get(number=4)
    assert (token.name, token.phone, token.status) == ("Asha Verma", "+91 98200 00000", "waiting")
    assert (token.day, token.issued_by) == (MONDAY, desk.people.front_desk)
    assert token.history.count() == 1


def test_the_estimate_counts_only_tokens_waiting_and_practitioners_working(desk: Desk) -> None:
    second = desk.second_doctor()
    WorkingHours.objects.create(staff=second, weekday=0, starts=time(14), ends=time(19))
    give(desk, "A One", "B Two", "C Three")
    queueing.call_next(clinic=desk.people.clinic, by=desk.people.practitioner, member=desk.doctor)
    issued = queueing.issue(clinic=desk.people.clinic, by=desk.people.front_desk, name="D Four")
    # Two still waiting ahead; only one practitioner works in the morning.
    assert (issued.estimate.position, issued.estimate.wait_minutes) == (3, 60)
    assert issued.estimate.at == at(12, 1)


def test_before_opening_the_wait_counts_from_the_opening(desk: Desk) -> None:
    with time_machine.travel(at(9, 15), tick=False):
        give(desk, "A One")
        response = post(staff_client(desk.people.front_desk), API, {"clinic": "test", "name": "B"})
    assert response.status_code == 201
    assert response.json()["estimated_at"] == "2026-03-02T10:30:00+05:30"


def test_numbers_run_per_clinic_and_day_and_restart_the_next_day(desk: Desk) -> None:
    other = desk.people.other_clinic
    Service.objects.create(
        clinic=other, key="consultation", name="Consult", kind="consultation", procedure_minutes=20
    )
    outsider = staff_client(desk.people.outsider)
    front = staff_client(desk.people.front_desk)
    assert [post(front, API, {"clinic": "test", "name": n}).json()["number"] for n in "AB"] == [
        1,
        2,
    ]
    assert post(outsider, API, {"clinic": "other", "name": "C"}).json()["number"] == 1
    assert post(front, API, {"clinic": "test", "name": "D"}).json()["number"] == 3
    with time_machine.travel(at(10, 5, day=MONDAY + timedelta(days=1)), tick=False):
        response = post(front, API, {"clinic": "test", "name": "E"})
        assert (response.json()["number"], response.json()["day"]) == (1, "2026-03-03")
    assert list(
        Token.objects.filter(clinic=desk.people.clinic)
        .order_by("day", "number")
        .values_list("day", "number")
    ) == [(MONDAY, 1), (MONDAY, 2), (MONDAY, 3), (MONDAY + timedelta(days=1), 1)]


def test_the_day_is_the_clinics_local_date_not_utc(desk: Desk) -> None:
    # 23:00 UTC on Sunday is 04:30 on Monday in Mumbai.
    with time_machine.travel(datetime(2026, 3, 1, 23, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        (token,) = give(desk, "Early Bird")
    assert token.day == MONDAY


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (at(11, 0, day=date(2026, 3, 1)), "The clinic is closed today"),  # Sunday
        (at(19, 30), "The clinic has closed for today"),
        (at(18, 59, 30), "The clinic has closed for today"),
    ],
)
def test_a_closed_clinic_gives_no_token(desk: Desk, moment: datetime, message: str) -> None:
    with time_machine.travel(moment, tick=False):
        response = post(staff_client(desk.people.front_desk), API, {"clinic": "test", "name": "A"})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [{"field": "clinic", "message": body["detail"]}]
    assert body["detail"].startswith(message)
    assert Token.objects.count() == 0


def test_a_holiday_gives_no_token(desk: Desk) -> None:
    Closure.objects.create(
        clinic=desk.people.clinic, first_day=MONDAY, last_day=MONDAY, reason="Holi"
    )
    response = post(staff_client(desk.people.front_desk), API, {"clinic": "test", "name": "A"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "clinic"
    assert Token.objects.count() == 0


def test_a_clinic_without_a_consultation_service_gives_no_token(desk: Desk) -> None:
    desk.service.active = False
    desk.service.save()
    response = post(staff_client(desk.people.front_desk), API, {"clinic": "test", "name": "A"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "clinic"
    assert Token.objects.count() == 0


def test_a_token_names_somebody(desk: Desk) -> None:
    client = staff_client(desk.people.front_desk)
    response = post(client, API, {"clinic": "test", "name": "   "})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    other = Patient.objects.create(clinic=desk.people.other_clinic, first_name="X", last_name="Y")
    response = post(client, API, {"clinic": "test", "patient": other.pk})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "patient"
    assert Token.objects.count() == 0
    response = post(client, API, {"clinic": "test", "patient": desk.people.patient.pk})
    assert response.status_code == 201
    token = Token.objects.get()
    assert (token.patient, token.name, token.display_name) == (desk.people.patient, "", "Pat One")


# -- calling -----------------------------------------------------------------------------------


def test_calling_next_books_a_consultation_starting_now(desk: Desk) -> None:
    give(desk, "Asha Devi Verma", "Ravi K")
    Token.objects.filter(number=1).update(phone="98200 00000")
    response = post(staff_client(desk.people.practitioner), f"{API}/call-next", {"clinic": "test"})
    assert response.status_code == 200, response.content
    body = response.json()
    token = Token.objects.get(number=1)
    appointment = Appointment.objects.get()
    assert (appointment.practitioner, appointment.service, appointment.room) == (
        desk.doctor,
        desk.service,
        desk.room,
    )
    assert appointment.starts_at == at(11, 1)  # 11:00:20 rounded up to the minute
    assert appointment.ends_at == at(11, 31)
    assert (appointment.status, appointment.created_by) == ("booked", desk.people.practitioner)
    patient = appointment.patient
    assert (patient.clinic, patient.first_name, patient.last_name, patient.phone) == (
        desk.people.clinic,
        "Asha",
        "Devi Verma",
        "98200 00000",
    )
    assert (token.status, token.appointment, token.patient) == ("called", appointment, patient)
    assert (token.practitioner, token.called_by) == (desk.doctor, desk.people.practitioner)
    assert token.called_at == at(11, 0, 20)
    assert (body["number"], body["status"], body["room"]) == (1, "called", "Room 1")
    assert body["practitioner"] == {"id": desk.doctor.pk, "name": "practitioner"}
    assert waiting_numbers(desk) == [2]
    assert [h.history_change_reason for h in token.history.order_by("history_id")] == [
        "Issued",
        "Called",
    ]


def test_a_known_patient_is_booked_not_created_again(desk: Desk) -> None:
    desk.people.patient.phone = "98200 11111"
    desk.people.patient.save()
    give(desk, "pat one")
    Token.objects.update(phone="98200 11111")
    queueing.call_next(clinic=desk.people.clinic, by=desk.people.practitioner, member=desk.doctor)
    assert Appointment.objects.get().patient == desk.people.patient
    assert Patient.objects.count() == 2


def test_front_desk_calls_for_a_chosen_practitioner(desk: Desk) -> None:
    second = desk.second_doctor()
    give(desk, "A One")
    client = staff_client(desk.people.front_desk)
    response = post(client, f"{API}/call-next", {"clinic": "test"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "practitioner"
    assert waiting_numbers(desk) == [1]
    response = post(client, f"{API}/call-next", {"clinic": "test", "practitioner": second.pk})
    assert response.status_code == 200
    assert Appointment.objects.get().practitioner == second
    # Someone who is not a practitioner here cannot be chosen.
    give(desk, "B Two")
    front = desk.member(desk.people.front_desk)
    response = post(client, f"{API}/call-next", {"clinic": "test", "practitioner": front.pk})
    assert response.status_code == 422
    assert waiting_numbers(desk) == [2]


def test_a_busy_practitioner_leaves_the_token_waiting(desk: Desk) -> None:
    booking.book(
        clinic=desk.people.clinic,
        patient=desk.people.patient,
        service=desk.service,
        practitioner_id=desk.doctor.pk,
        start=at(10, 45),
        by=desk.people.front_desk,
        now=at(10, 0),
    )
    give(desk, "Asha Verma")
    patients = Patient.objects.count()
    response = post(staff_client(desk.people.practitioner), f"{API}/call-next", {"clinic": "test"})
    assert response.status_code == 409
    body = response.json()
    assert body["errors"] == [{"field": "practitioner", "message": body["detail"]}]
    assert "token 1 stays in the queue" in body["detail"]
    token = Token.objects.get()
    assert (token.status, token.appointment, token.called_at) == ("waiting", None, None)
    assert Appointment.objects.count() == 1
    assert Patient.objects.count() == patients  # the walk-in's patient was rolled back
    assert token.history.count() == 1


def test_calling_with_nobody_waiting_is_refused(desk: Desk) -> None:
    response = post(staff_client(desk.people.practitioner), f"{API}/call-next", {"clinic": "test"})
    assert response.status_code == 404
    assert response.json()["detail"] == "Nobody is waiting."
    assert Appointment.objects.count() == 0


def test_yesterdays_waiting_tokens_are_not_called_today(desk: Desk) -> None:
    with time_machine.travel(at(18, 0, day=MONDAY - timedelta(days=2)), tick=False):  # Saturday
        give(desk, "Late")
    give(desk, "Today")
    token = queueing.call_next(
        clinic=desk.people.clinic, by=desk.people.practitioner, member=desk.doctor
    )
    assert (token.day, token.name) == (MONDAY, "Today")


def test_served_checks_in_left_cancels_and_requeue_restores(desk: Desk) -> None:
    clinic, user = desk.people.clinic, desk.people.practitioner
    first, second = give(desk, "A One", "B Two")
    called = queueing.call_next(clinic=clinic, by=user, member=desk.doctor)
    served = queueing.mark_served(clinic=clinic, token_id=called.pk, by=user)
    assert served.status == "served"
    assert Appointment.objects.get(token=served).status == AppointmentStatus.CHECKED_IN

    with time_machine.travel(at(11, 40), tick=False):
        called = queueing.call_next(clinic=clinic, by=user, member=desk.doctor)
        assert called.pk == second.pk
        left = queueing.mark_left(clinic=clinic, token_id=called.pk, by=user)
    appointment = Appointment.objects.get(pk=left.appointment_id)
    assert (left.status, appointment.status) == ("left", AppointmentStatus.CANCELLED)
    assert appointment.cancel_reason == "Walk-in token 2 did not answer the call."

    back = queueing.requeue(clinic=clinic, token_id=left.pk, by=user)
    assert (back.status, back.appointment, back.practitioner) == ("waiting", None, None)
    with pytest.raises(queueing.TokenError) as refused:
        queueing.mark_served(clinic=clinic, token_id=first.pk, by=user)
    assert refused.value.status == 422
    assert Token.objects.get(pk=first.pk).status == "served"


def test_calling_again_puts_the_token_back_on_top_of_the_screen(desk: Desk) -> None:
    second = desk.second_doctor()
    Room.objects.create(clinic=desk.people.clinic, name="Room 2")
    clinic = desk.people.clinic
    give(desk, "A One", "B Two")
    first = queueing.call_next(clinic=clinic, by=desk.people.practitioner, member=desk.doctor)
    with time_machine.travel(at(11, 2), tick=False):
        queueing.call_next(
            clinic=clinic, by=desk.people.front_desk, member=second, practitioner_id=second.pk
        )
        assert queueing.screen(clinic).serving == [(2, "Room 2"), (1, "Room 1")]
    with time_machine.travel(at(11, 5), tick=False):
        queueing.recall(clinic=clinic, token_id=first.pk, by=desk.people.front_desk)
        assert queueing.screen(clinic).serving == [(1, "Room 1"), (2, "Room 2")]
    assert Token.objects.get(pk=first.pk).called_at == at(11, 5)


# -- concurrency (PostgreSQL: row locks and concurrent connections) ----------------------------


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks and concurrent connections")


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads that start together, each on its
    own database connection."""
    start = threading.Barrier(count, timeout=30)

    def run(i: int) -> Any:
        try:
            start.wait()
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_issues_get_numbers_one_to_ten(postgres: None, desk: Desk) -> None:
    clinic, user = desk.people.clinic, desk.people.front_desk

    def issue(i: int) -> int:
        return queueing.issue(clinic=clinic, by=user, name=f"Walk-in {i}").token.number

    numbers = in_threads(10, issue)
    assert sorted(numbers) == list(range(1, 11))
    assert sorted(Token.objects.values_list("number", flat=True)) == list(range(1, 11))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_calls_never_take_the_same_token(postgres: None, desk: Desk) -> None:
    second = desk.second_doctor()
    Room.objects.create(clinic=desk.people.clinic, name="Room 2")
    give(desk, "A One", "B Two", "C Three")
    doctors = [desk.doctor, second]

    def call(i: int) -> int:
        member = doctors[i]
        token = queueing.call_next(clinic=desk.people.clinic, by=member.user, member=member)
        return token.number

    assert sorted(in_threads(2, call)) == [1, 2]
    assert waiting_numbers(desk) == [3]
    rows = Appointment.objects.order_by("practitioner_id")
    assert [a.practitioner_id for a in rows] == [desk.doctor.pk, second.pk]
    assert len({a.room_id for a in rows}) == 2
    assert Token.objects.filter(status="called").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_token_locked_by_another_caller_is_skipped_not_waited_for(
    postgres: None, desk: Desk
) -> None:
    second = desk.second_doctor()
    Room.objects.create(clinic=desk.people.clinic, name="Room 2")
    first, _ = give(desk, "A One", "B Two")
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        # Another caller in the middle of calling token 1.
        try:
            with transaction.atomic():
                Token.objects.select_for_update().get(pk=first.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        token = queueing.call_next(clinic=desk.people.clinic, by=second.user, member=second)
        assert token.number == 2
    finally:
        release.set()
        holder.join(timeout=30)
    assert waiting_numbers(desk) == [1]


# -- the waiting room's screen -----------------------------------------------------------------


def test_the_public_screen_shows_numbers_and_rooms_but_no_names(desk: Desk) -> None:
    for name, phone in [("Asha Verma", "98200 12345"), ("Ravi Nair", "98200 67890")]:
        queueing.issue(clinic=desk.people.clinic, by=desk.people.front_desk, name=name, phone=phone)
    give(desk, "Meena Iyer")
    queueing.call_next(clinic=desk.people.clinic, by=desk.people.practitioner, member=desk.doctor)
    anonymous = Client()
    page = anonymous.get("/queue/test/")
    state = anonymous.get("/queue/test/state.json")
    assert page.status_code == 200
    assert state.json() == {"serving": [{"number": 1, "room": "Room 1"}], "waiting": [2, 3]}
    html = page.content.decode()
    for private in ("Asha", "Verma", "Ravi", "Nair", "Meena", "98200", "practitioner"):
        assert private not in html
        assert private not in state.content.decode()
    assert "Room 1" in html
    assert 'src="/static/js/queue.js"' in html
    assert "no-cache" in state["Cache-Control"]


def test_an_unknown_clinic_has_no_screen(desk: Desk) -> None:
    assert Client().get("/queue/nowhere/").status_code == 404
    assert Client().get("/queue/nowhere/state.json").status_code == 404


# -- the staff page ----------------------------------------------------------------------------


def test_the_front_desk_gives_and_calls_tokens_from_the_page(desk: Desk) -> None:
    client = staff_client(desk.people.front_desk)
    response = client.post(f"{PAGE}issue/", {"name": "Asha Verma", "phone": "98200 12345"})
    assert response.status_code == 302
    page = client.get(PAGE)
    html = page.content.decode()
    assert "Token 1 for Asha Verma: 0 ahead, about 0 minutes (around 11:01, Asia/Kolkata)." in html
    assert "Asha Verma" in html and "98200 12345" in html
    assert "Call next for practitioner" in html

    response = client.post(f"{PAGE}call-next/", {"practitioner": desk.doctor.pk}, follow=True)
    assert "Token 1 called: Asha Verma, to Room 1." in response.content.decode()
    token = Token.objects.get()
    assert token.status == "called"

    client.post(f"{PAGE}{token.pk}/served/")
    assert Token.objects.get().status == "served"


def test_a_refused_call_comes_back_as_a_message(desk: Desk) -> None:
    client = staff_client(desk.people.front_desk)
    response = client.post(f"{PAGE}call-next/", {"practitioner": desk.doctor.pk}, follow=True)
    assert "Nobody is waiting." in response.content.decode()
    assert Appointment.objects.count() == 0


def test_an_invalid_issue_form_is_shown_again_with_the_error(desk: Desk) -> None:
    client = staff_client(desk.people.front_desk)
    response = client.post(f"{PAGE}issue/", {"name": ""})
    assert response.status_code == 422
    assert Token.objects.count() == 0
    with time_machine.travel(at(19, 30), tick=False):
        response = client.post(f"{PAGE}issue/", {"name": "Late"})
    assert response.status_code == 422
    assert "The clinic has closed for today" in response.content.decode()
    assert Token.objects.count() == 0


@pytest.mark.parametrize(
    "url", [f"{PAGE}issue/", f"{PAGE}call-next/", f"{PAGE}1/served/", f"{PAGE}1/left/"]
)
def test_changes_need_a_post(desk: Desk, url: str) -> None:
    assert staff_client(desk.people.front_desk).get(url).status_code == 405


# -- who may ---------------------------------------------------------------------------------


def test_the_anonymous_are_sent_to_log_in_and_refused_by_the_api(desk: Desk) -> None:
    client = Client()
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.post(f"{PAGE}issue/", {"name": "A"}).status_code == 302
    assert client.get(f"{API}?clinic=test").status_code == 401
    assert post(client, API, {"clinic": "test", "name": "A"}).status_code == 401
    assert post(client, f"{API}/call-next", {"clinic": "test"}).status_code == 401
    assert Token.objects.count() == 0


def test_outsiders_and_patients_see_no_queue(desk: Desk) -> None:
    (token,) = give(desk, "Asha Verma")
    for user in (desk.people.outsider, desk.people.patient.user):
        assert user is not None
        client = staff_client(user)
        assert client.get(PAGE).status_code == 404
        assert client.post(f"{PAGE}issue/", {"name": "A"}).status_code == 404
        assert client.post(f"{PAGE}{token.pk}/left/").status_code == 404
        response = client.get(f"{API}?clinic=test")
        assert response.status_code == 404
        assert response.json()["errors"][0]["field"] == "clinic"
        assert post(client, API, {"clinic": "test", "name": "A"}).status_code == 404
        assert post(client, f"{API}/call-next", {"clinic": "test"}).status_code == 404
        assert post(client, f"{API}/{token.pk}/left", {}).status_code == 404
    assert list(Token.objects.values_list("number", "status")) == [(1, "waiting")]
    assert Appointment.objects.count() == 0


def test_staff_list_todays_tokens_with_their_estimates(desk: Desk) -> None:
    give(desk, "A One", "B Two", "C Three")
    queueing.call_next(clinic=desk.people.clinic, by=desk.people.practitioner, member=desk.doctor)
    response = staff_client(desk.people.manager).get(f"{API}?clinic=test")
    assert response.status_code == 200
    body = response.json()
    assert (body["clinic"], body["day"], body["time_zone"]) == (
        "test",
        "2026-03-02",
        "Asia/Kolkata",
    )
    rows = [
        (t["number"], t["name"], t["status"], t["room"], t["position"], t["wait_minutes"])
        for t in body["tokens"]
    ]
    assert rows == [
        (1, "A One", "called", "Room 1", None, None),
        (2, "B Two", "waiting", None, 1, 0),
        (3, "C Three", "waiting", None, 2, 30),
    ]
    assert body["tokens"][2]["estimated_at"] == "2026-03-02T11:31:00+05:30"
    assert body["tokens"][0]["called_at"] == "2026-03-02T11:00:20+05:30"


def test_token_actions_over_the_api(desk: Desk) -> None:
    give(desk, "A One", "B Two")
    client = staff_client(desk.people.front_desk)
    first, second = Token.objects.order_by("number")
    response = post(client, f"{API}/{second.pk}/left", {})
    assert (response.status_code, response.json()["status"]) == (200, "left")
    response = post(client, f"{API}/{second.pk}/requeue", {})
    assert (response.status_code, response.json()["status"]) == (200, "waiting")
    response = post(client, f"{API}/{first.pk}/served", {})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "token"
    assert post(client, f"{API}/999999/served", {}).status_code == 404
    assert waiting_numbers(desk) == [1, 2]
