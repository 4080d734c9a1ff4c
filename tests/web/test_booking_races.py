"""Racing bookings: however many requests race for one practitioner, room or
device, exactly one wins and every other is refused with 409.

On PostgreSQL the exclusion constraints of scheduling migration 0002 decide
the race, so these tests also race bookings that have all passed the Python
check before any of them writes, and insert rows that bypass the check. On
SQLite the write lock every booking takes at BEGIN decides it; that needs a
database file (the test database is in memory), so the race runs in a
subprocess on a copy of the test database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction

from accounts.models import User
from clinics.models import Clinic, Device, Role, Room, StaffMember
from patients.models import Patient
from scheduling import booking
from scheduling.booking import BookingError, book
from scheduling.models import Appointment, Service, Status
from tests.conftest import People

N = 16
# Monday 23 November 2026 in Asia/Kolkata (UTC+05:30): the clinic opens at
# 10:00; "now" is 08:00 that morning and the contested slot is 11:00.
NOW = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
SLOT = datetime(2026, 11, 23, 5, 30, tzinfo=UTC)

on_postgresql = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the exclusion constraints are PostgreSQL's",
)
on_sqlite = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the SQLite write lock",
)


@dataclass
class Calendar:
    clinic: Clinic
    practitioners: list[StaffMember]  # N of them
    rooms: list[Room]  # N of them
    device: Device
    patients: list[Patient]  # N of them
    consultation: Service  # needs no room
    treatment: Service  # needs a room
    session: Service  # needs a room and an injector gun
    by: User


@pytest.fixture(autouse=True)
def monday_morning() -> Iterator[None]:
    with time_machine.travel(NOW):
        yield


@pytest.fixture
def calendar(people: People) -> Calendar:
    clinic = people.clinic
    staff = [StaffMember.objects.get(clinic=clinic, user=people.practitioner)]
    for n in range(1, N):
        user = User.objects.create(username=f"practitioner{n}", first_name=f"P{n}")
        staff.append(StaffMember.objects.create(clinic=clinic, user=user, role=Role.PRACTITIONER))
    rooms = [Room.objects.create(clinic=clinic, name=f"Room {n}") for n in range(N)]
    device = Device.objects.create(clinic=clinic, name="Gun 1", kind="injector_gun")
    patients = [people.patient, people.other_patient] + [
        Patient.objects.create(clinic=clinic, first_name="Racer", last_name=str(n))
        for n in range(2, N)
    ]
    consultation = Service.objects.create(
        clinic=clinic,
        key="consultation",
        name="Consultation",
        kind="consultation",
        procedure_minutes=30,
        needs_room=False,
    )
    treatment = Service.objects.create(
        clinic=clinic, key="peel", name="Peel", kind="consultation", procedure_minutes=30
    )
    session = Service.objects.create(
        clinic=clinic,
        key="hair-session",
        name="Hair loss session",
        kind="session",
        indication="hair_loss",
        area="scalp",
        procedure_minutes=30,
        buffer_after_minutes=10,
        device_kind="injector_gun",
    )
    for service in (consultation, treatment, session):
        service.practitioners.set(staff)
    return Calendar(
        clinic=clinic,
        practitioners=staff,
        rooms=rooms,
        device=device,
        patients=patients,
        consultation=consultation,
        treatment=treatment,
        session=session,
        by=people.front_desk,
    )


def race(attempts: list[Callable[[], Any]]) -> list[Any]:
    """Run each attempt in its own thread, on its own database connection,
    all released at once; each result is the return value or the exception."""
    barrier = threading.Barrier(len(attempts))
    results: list[Any] = [None] * len(attempts)

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[n] = attempts[n]()
        except Exception as error:
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def outcome(results: list[Any]) -> tuple[list[Appointment], list[tuple[int, str]]]:
    """The bookings made, and (status, code) of every refusal; anything else
    (a deadlock, an IntegrityError let through) fails the test."""
    won = [r for r in results if isinstance(r, Appointment)]
    lost = [(r.status, r.code) for r in results if isinstance(r, BookingError)]
    others = [r for r in results if not isinstance(r, Appointment | BookingError)]
    assert others == []
    return won, lost


def attempt(cal: Calendar, n: int, service: Service, practitioner: int, **kwargs: Any) -> Any:
    return lambda: book(
        clinic=cal.clinic,
        patient=cal.patients[n],
        service=service,
        practitioner_id=practitioner,
        start=SLOT,
        by=cal.by,
        **kwargs,
    )


def same_practitioner(cal: Calendar) -> list[Callable[[], Any]]:
    return [
        attempt(cal, n, cal.consultation, cal.practitioners[0].pk, room_id=None) for n in range(N)
    ]


def same_room(cal: Calendar) -> list[Callable[[], Any]]:
    return [
        attempt(cal, n, cal.treatment, cal.practitioners[n].pk, room_id=cal.rooms[0].pk)
        for n in range(N)
    ]


def same_device(cal: Calendar) -> list[Callable[[], Any]]:
    return [
        attempt(cal, n, cal.session, cal.practitioners[n].pk, room_id=cal.rooms[n].pk)
        for n in range(N)
    ]


RACES = {
    "practitioner": (same_practitioner, "practitioner_busy"),
    "room": (same_room, "room_busy"),
    "device": (same_device, "device_busy"),
}


def assert_one_winner(cal: Calendar, results: list[Any], code: str) -> None:
    won, lost = outcome(results)
    assert len(won) == 1
    assert lost == [(409, code)] * (N - 1)
    rows = Appointment.objects.filter(clinic=cal.clinic)
    assert list(rows.values_list("pk", "status")) == [(won[0].pk, Status.BOOKED)]
    assert won[0].starts_at == SLOT


# -- PostgreSQL ------------------------------------------------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("resource", list(RACES))
def test_racing_bookings_of_one_resource_give_one_appointment(
    calendar: Calendar, resource: str
) -> None:
    attempts, code = RACES[resource]
    assert_one_winner(calendar, race(attempts(calendar)), code)


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("resource", list(RACES))
def test_bookings_that_all_passed_the_check_still_give_one_appointment(
    calendar: Calendar, resource: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every booking finds the time free before any of them writes: only the
    # exclusion constraints can stop the other fifteen. Two INSERTs may each
    # meet the other's uncommitted row while the constraint is checked and
    # wait for each other (a deadlock, which PostgreSQL breaks after a
    # second); the losers must still be answered 409, never an error.
    barrier = threading.Barrier(N)
    checked = threading.local()
    place = booking.place

    def place_then_wait(*args: Any, **kwargs: Any) -> Any:
        where = place(*args, **kwargs)
        if not getattr(checked, "once", False):
            checked.once = True
            barrier.wait(timeout=10)
        return where

    monkeypatch.setattr(booking, "place", place_then_wait)
    attempts, code = RACES[resource]
    assert_one_winner(calendar, race(attempts(calendar)), code)


def _row(cal: Calendar, **kwargs: Any) -> Appointment:
    """A live session at SLOT with practitioner 0, room 0 and the gun, unsaved."""
    values: dict[str, Any] = {
        "clinic": cal.clinic,
        "patient": cal.patients[0],
        "service": cal.session,
        "practitioner": cal.practitioners[0],
        "room": cal.rooms[0],
        "device": cal.device,
        "starts_at": SLOT,
        "ends_at": SLOT + timedelta(minutes=30),
        "blocked_from": SLOT,
        "blocked_until": SLOT + timedelta(minutes=40),
        "created_by": cal.by,
    }
    values.update(kwargs)
    return Appointment(**values)


def _overlapping(cal: Calendar, resource: str, **kwargs: Any) -> Appointment:
    """A row ten minutes after ``_row(cal)`` that shares only ``resource`` with it."""
    others = {
        "practitioner": {"room": cal.rooms[1], "device": None},
        "room": {"practitioner": cal.practitioners[1], "device": None},
        "device": {"practitioner": cal.practitioners[1], "room": cal.rooms[1]},
    }[resource]
    late = SLOT + timedelta(minutes=10)
    return _row(
        cal,
        patient=cal.patients[1],
        starts_at=late,
        ends_at=late + timedelta(minutes=30),
        blocked_from=late,
        blocked_until=late + timedelta(minutes=40),
        **others,
        **kwargs,
    )


# Rows saved directly, without the booking service's check. The exclusion
# constraints are not deferred, so the INSERT itself fails: these tests need
# no transactional database.


@on_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("resource", list(RACES))
def test_the_database_refuses_an_overlapping_live_row(calendar: Calendar, resource: str) -> None:
    _row(calendar).save()
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        _overlapping(calendar, resource).save()
    constraint = refused.value.__cause__.diag.constraint_name  # type: ignore[union-attr]
    assert constraint == f"appointment_no_{resource}_overlap"
    assert booking._overlap(refused.value) == resource
    assert Appointment.objects.count() == 1


@on_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("resource", list(RACES))
def test_the_database_allows_overlapping_cancelled_and_no_show_rows(
    calendar: Calendar, resource: str
) -> None:
    _row(calendar).save()
    _overlapping(calendar, resource, status=Status.CANCELLED, cancel_reason="Ill").save()
    _overlapping(calendar, resource, status=Status.NO_SHOW).save()
    assert Appointment.objects.count() == 3


@on_postgresql
@pytest.mark.django_db
def test_the_database_allows_a_row_that_starts_when_another_is_freed(
    calendar: Calendar,
) -> None:
    first = _row(calendar)
    first.save()
    then = first.blocked_until
    _row(
        calendar,
        patient=calendar.patients[1],
        starts_at=then,
        ends_at=then + timedelta(minutes=30),
        blocked_from=then,
        blocked_until=then + timedelta(minutes=40),
    ).save()
    assert Appointment.objects.count() == 2


# -- SQLite ----------------------------------------------------------------------------------

# Runs in a subprocess on a file copy of the test database: django.setup(),
# then, race after race, N threads book one slot; prints the outcomes as JSON.
SQLITE_RACES = """
import json, sys, threading
from datetime import datetime
import django
django.setup()
import time_machine
from django.db import connections
from accounts.models import User
from clinics.models import Clinic
from patients.models import Patient
from scheduling.booking import BookingError, book
from scheduling.models import Service

args = json.loads(sys.argv[1])
clinic = Clinic.objects.get(pk=args["clinic"])
patients = list(Patient.objects.filter(pk__in=args["patients"]))
by = User.objects.get(pk=args["by"])
connections.close_all()

def run(race, results, barrier, n):
    try:
        service = Service.objects.get(pk=race["service"])
        barrier.wait(timeout=10)
        book(clinic=clinic, patient=patients[n], service=service,
             practitioner_id=race["practitioners"][n], room_id=race["rooms"][n],
             start=datetime.fromisoformat(race["start"]), by=by)
        results[n] = "booked"
    except BookingError as error:
        results[n] = f"{error.status} {error.code}"
    except Exception as error:
        results[n] = f"{type(error).__name__}: {error}"
    finally:
        connections.close_all()

outcomes = []
with time_machine.travel(datetime.fromisoformat(args["now"])):
    for race in args["races"]:
        results = [None] * len(patients)
        barrier = threading.Barrier(len(patients))
        threads = [
            threading.Thread(target=run, args=(race, results, barrier, n))
            for n in range(len(patients))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outcomes.append(results)
print(json.dumps(outcomes))
"""


@on_sqlite
@pytest.mark.django_db(transaction=True)  # the copy must see the calendar: committed
def test_racing_bookings_on_sqlite_give_one_appointment_each(
    calendar: Calendar, tmp_path: Path
) -> None:
    cal = calendar
    copy = tmp_path / "race.sqlite3"
    with sqlite3.connect(copy) as target:
        connection.ensure_connection()
        connection.connection.backup(target)  # type: ignore[union-attr]
    one_hour = timedelta(hours=1)
    races = [
        # One practitioner, no room needed.
        (cal.consultation, [cal.practitioners[0].pk] * N, [None] * N, SLOT),
        # One room, a different practitioner each, an hour later.
        (cal.treatment, [p.pk for p in cal.practitioners], [cal.rooms[0].pk] * N, SLOT + one_hour),
    ]
    args = {
        "clinic": cal.clinic.pk,
        "patients": [p.pk for p in cal.patients],
        "by": cal.by.pk,
        "now": NOW.isoformat(),
        "races": [
            {
                "service": service.pk,
                "practitioners": practitioners,
                "rooms": rooms,
                "start": start.isoformat(),
            }
            for service, practitioners, rooms, start in races
        ],
    }
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{copy}", "MESOCLINIC_TESTING": "1"}
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_RACES, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    practitioner_race, room_race = json.loads(done.stdout)
    # No "database is locked": the losers waited for the write lock, then saw the winner.
    assert sorted(practitioner_race) == ["409 practitioner_busy"] * (N - 1) + ["booked"]
    assert sorted(room_race) == ["409 room_busy"] * (N - 1) + ["booked"]
    with sqlite3.connect(copy) as db:
        rows = db.execute(
            "SELECT practitioner_id, room_id, starts_at FROM scheduling_appointment"
        ).fetchall()
    assert len(rows) == 2
    assert {(room, start[:16]) for _, room, start in rows} == {
        (None, "2026-11-23 05:30"),
        (cal.rooms[0].pk, "2026-11-23 06:30"),
    }
