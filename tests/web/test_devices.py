"""Devices: a session may use a device only when its cleaning before the
session is recorded, and the chart keeps that cleaning; one cleaning
serving several sessions is pointed out, not refused; cleanings are
recorded in order, by the roles that may; the cleaning log shows the
sessions that used each cleaning."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from clinical.models import InjectionPoint, ScreeningRecord, SessionChart, TreatmentCourse
from clinics.models import Device, DeviceKind, StaffMember
from scheduling.models import Appointment, Service
from scheduling.models import Status as AppointmentStatus
from stock.models import DeviceCleaning, Lot, StockMovement
from tests.clients import login, post_json
from tests.clinical_factories import (
    clean_device,
    make_course,
    make_lot,
    make_screening,
    sign_consent,
)
from tests.conftest import People

NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 12:00 in Kolkata


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def written() -> tuple[int, int, int]:
    return (
        SessionChart.objects.count(),
        InjectionPoint.objects.count(),
        StockMovement.objects.filter(kind="used").count(),
    )


def ready_course(people: People) -> TreatmentCourse:
    course = make_course(people.patient, people.practitioner)
    sign_consent(people.patient, people.practitioner, course)
    make_screening(course, people.practitioner)
    return course


def gun(people: People, name: str = "Gun 1") -> Device:
    return Device.objects.create(
        clinic=people.clinic, name=name, kind=DeviceKind.INJECTOR_GUN, serial_number="G-1"
    )


def points(lot: Lot) -> list[dict[str, Any]]:
    return [
        {
            "diagram": "scalp",
            "x": 0.4,
            "y": 0.4,
            "zone": "crown",
            "product": lot.product_id,
            "lot": lot.pk,
            "volume_ml": "0.05",
            "depth_mm": "1.5",
        }
    ]


def chart_body(course: TreatmentCourse, lot: Lot, device: Device, **more: Any) -> dict[str, Any]:
    return {
        "course_id": course.pk,
        "session_number": 1,
        "technique": "injector_gun",
        "device_id": device.pk,
        "needle_gauge": 30,
        "needle_length_mm": "4",
        "depth": "nappage",
        "procedure_minutes": 30,
        "points": points(lot),
        **more,
    }


def charts_api(people: People, patient: Any = None) -> str:
    return f"/api/v1/patients/{(patient or people.patient).pk}/charts"


def new_chart_page(people: People, course: TreatmentCourse) -> str:
    return f"/staff/test/patients/{people.patient.pk}/record/charts/new/?course={course.pk}"


def chart_form(lot: Lot, device: Device) -> dict[str, Any]:
    return {
        "session_number": "1",
        "area": "scalp",
        "technique": "injector_gun",
        "device": str(device.pk),
        "needle_gauge": "30",
        "needle_length_mm": "4",
        "depth": "nappage",
        "numbing_minutes": "0",
        "procedure_minutes": "30",
        "points": json.dumps(points(lot)),
    }


# -- the gate ---------------------------------------------------------------------------------


def test_a_device_without_a_recorded_cleaning_is_refused(people: People) -> None:
    course = ready_course(people)
    lot = make_lot(people.clinic, number="HC-1")
    device = gun(people)
    # Another device's cleaning does not count.
    clean_device(gun(people, "Gun 2"), people.practitioner)
    client = login(people.practitioner)
    response = post_json(client, charts_api(people), chart_body(course, lot, device))
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [
        {
            "field": "device_id",
            "message": "Gun 1 has no recorded cleaning before this session: "
            "record its cleaning first.",
        }
    ]
    assert body["code"] == "device_not_cleaned"
    page = client.post(new_chart_page(people, course), chart_form(lot, device))
    assert page.status_code == 422
    html = page.content.decode()
    assert 'data-field="device">Gun 1 has no recorded cleaning before this session' in html
    assert written() == (0, 0, 0)
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.PLANNED


def test_with_its_cleaning_recorded_the_session_is_charted_and_keeps_it(people: People) -> None:
    course = ready_course(people)
    lot = make_lot(people.clinic, number="HC-1")
    device = gun(people)
    older = clean_device(device, people.practitioner, at=NOW - timedelta(days=2), cycle="C-1")
    cleaning = clean_device(device, people.manager, at=NOW - timedelta(hours=2), cycle="C-2")
    client = login(people.practitioner)
    response = post_json(client, charts_api(people), chart_body(course, lot, device))
    assert response.status_code == 201, response.json()
    assert response.json()["warnings"] == []
    chart = SessionChart.objects.get()
    assert chart.device == device and chart.device_cleaning == cleaning != older
    shown = client.get(
        f"/staff/test/patients/{people.patient.pk}/record/charts/{chart.pk}/"
    ).content.decode()
    # Cleaned at 10:00 in Kolkata (04:30 UTC).
    assert 'id="chart-device-cleaning">Steam sterilisation (autoclave), 2026-03-02 10:00' in shown
    assert "cycle C-2" in shown


def appointment_at(people: People, starts: datetime, device: Device) -> Appointment:
    service = Service.objects.create(
        clinic=people.clinic,
        key="hair",
        name="Hair session",
        kind="session",
        indication="hair_loss",
        area="scalp",
        procedure_minutes=30,
    )
    return Appointment.objects.create(
        clinic=people.clinic,
        patient=people.patient,
        service=service,
        practitioner=StaffMember.objects.get(user=people.practitioner),
        device=device,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        blocked_from=starts,
        blocked_until=starts + timedelta(minutes=30),
        status=AppointmentStatus.CHECKED_IN,
        created_by=people.front_desk,
    )


def test_a_cleaning_after_the_session_started_does_not_count(people: People) -> None:
    course = ready_course(people)
    lot = make_lot(people.clinic, number="HC-1")
    device = gun(people)
    starts = NOW - timedelta(hours=1)
    appointment = appointment_at(people, starts, device)
    ScreeningRecord.objects.filter(course=course).update(appointment=appointment)
    after = clean_device(device, people.practitioner, at=starts + timedelta(minutes=5))
    client = login(people.practitioner)
    body = chart_body(course, lot, device, appointment_id=appointment.pk)
    response = post_json(client, charts_api(people), body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "device_id"
    assert written() == (0, 0, 0)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN

    # A cleaning at the very minute the session starts counts; the later one does not.
    at_start = clean_device(device, people.practitioner, at=starts)
    response = post_json(client, charts_api(people), body)
    assert response.status_code == 201
    assert SessionChart.objects.get().device_cleaning == at_start != after


def test_one_cleaning_serving_two_sessions_is_pointed_out_not_refused(people: People) -> None:
    lot = make_lot(people.clinic, number="HC-1")
    device = gun(people)
    cleaning = clean_device(device, people.practitioner, at=NOW - timedelta(hours=3), cycle="C-9")
    first = ready_course(people)
    client = login(people.practitioner)
    assert post_json(client, charts_api(people), chart_body(first, lot, device)).status_code == 201

    other = people.other_patient
    second = make_course(other, people.practitioner)
    sign_consent(other, people.practitioner, second)
    make_screening(second, people.practitioner)
    response = post_json(client, charts_api(people, other), chart_body(second, lot, device))
    assert response.status_code == 201
    warnings = response.json()["warnings"]
    assert [(w["field"], w["code"]) for w in warnings] == [("device", "cleaning_reused")]
    assert warnings[0]["message"] == (
        "The last recorded cleaning of Gun 1 (2026-03-02 09:00) already served the session "
        "of 2026-03-02: check that the device was cleaned before this session, and record "
        "that cleaning."
    )
    assert list(cleaning.charts.order_by("pk").values_list("patient", flat=True)) == [
        people.patient.pk,
        other.pk,
    ]
    # The first session is not marked by the second.
    first_chart = SessionChart.objects.get(patient=people.patient)
    read = client.get(f"{charts_api(people)}/{first_chart.pk}").json()
    assert read["warnings"] == []

    # The device's log traces the cleaning to both sessions.
    page = client.get(f"/staff/test/stock/devices/{device.pk}/").content.decode()
    row = page[page.index(f'id="cleaning-{cleaning.pk}"') :]
    assert "Pat One, session 1 on 2026-03-02" in row and "Pat Two, session 1 on 2026-03-02" in row
    assert "one cleaning, several sessions" in row
    listed = client.get(f"/api/v1/clinics/test/devices/{device.pk}/cleanings").json()
    assert [(c["cycle"], c["charts"]) for c in listed] == [
        ("C-9", list(cleaning.charts.order_by("pk").values_list("pk", flat=True)))
    ]
    # The front desk sees that sessions used it, not whose.
    desk = login(people.front_desk).get(f"/staff/test/stock/devices/{device.pk}/")
    assert "2 sessions" in desk.content.decode() and "Pat One" not in desk.content.decode()
    desk_api = login(people.front_desk).get(f"/api/v1/clinics/test/devices/{device.pk}/cleanings")
    assert desk_api.json()[0]["charts"] is None


def test_amending_the_device_needs_the_new_devices_cleaning(people: People) -> None:
    course = ready_course(people)
    lot = make_lot(people.clinic, number="HC-1")
    first, second = gun(people), gun(people, "Gun 2")
    clean_device(first, people.practitioner)
    client = login(people.practitioner)
    chart_id = post_json(client, charts_api(people), chart_body(course, lot, first)).json()["id"]
    url = f"{charts_api(people)}/{chart_id}/amendments"
    refused = post_json(client, url, {"reason": "Other gun", "device_id": second.pk})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "device_id"
    chart = SessionChart.objects.get()
    assert chart.device == first
    # Cleaned before the session (charted now, without an appointment): accepted.
    cleaning = clean_device(second, people.practitioner, at=NOW - timedelta(minutes=30))
    assert (
        post_json(client, url, {"reason": "Other gun", "device_id": second.pk}).status_code == 201
    )
    chart.refresh_from_db()
    assert (chart.device, chart.device_cleaning) == (second, cleaning)
    assert chart.history.first().history_user == people.practitioner


# -- recording cleanings ----------------------------------------------------------------------


def cleanings_api(device: Device) -> str:
    return f"/api/v1/clinics/test/devices/{device.pk}/cleanings"


def test_cleanings_are_recorded_in_order_and_refused_naming_the_field(people: People) -> None:
    device = gun(people)
    theirs = Device.objects.create(
        clinic=people.other_clinic, name="Gun X", kind=DeviceKind.INJECTOR_GUN
    )
    client = login(people.practitioner)
    made = post_json(
        client,
        cleanings_api(device),
        {"cleaned_at": "2026-03-02T11:00:00+05:30", "method": "autoclave", "cycle": "AC-77"},
    )
    assert made.status_code == 201
    cleaning = DeviceCleaning.objects.get()
    assert (cleaning.cleaned_at, cleaning.by, cleaning.recorded_at, cleaning.cycle) == (
        datetime(2026, 3, 2, 5, 30, tzinfo=UTC),
        people.practitioner,
        NOW,
        "AC-77",
    )
    assert cleaning.clinic == people.clinic
    assert cleaning.history.get().history_user == people.practitioner
    refused = [
        ({"cleaned_at": "2026-03-02T12:01:00+05:30", "method": "autoclave"}, "cleaned_at"),
        ({"cleaned_at": "2026-03-02T10:59:00+05:30", "method": "autoclave"}, "cleaned_at"),
        ({"cleaned_at": "2026-03-02T11:00:00+05:30", "method": "autoclave"}, "cleaned_at"),
        ({"cleaned_at": "2026-03-02T11:30:00", "method": "autoclave"}, "cleaned_at"),
        ({"cleaned_at": "yesterday", "method": "autoclave"}, "cleaned_at"),
        ({"method": "tap water"}, "method"),
        ({"method": "autoclave", "cycle": "x" * 81}, "cycle"),
        ({"method": "autoclave", "colour": "blue"}, "colour"),
    ]
    for body, field in refused:
        response = post_json(client, cleanings_api(device), body)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field, body
    response = post_json(client, cleanings_api(theirs), {"method": "autoclave"})
    assert response.status_code == 404
    assert DeviceCleaning.objects.count() == 1
    # Without a time: now.
    assert post_json(client, cleanings_api(device), {"method": "chemical"}).status_code == 201
    assert DeviceCleaning.objects.latest("pk").cleaned_at == NOW


def test_the_device_pages_record_a_cleaning_in_the_clinics_time(people: People) -> None:
    device = gun(people)
    client = login(people.practitioner)
    listing = client.get("/staff/test/stock/devices/").content.decode()
    assert "none recorded: it may not be used" in listing
    response = client.post(
        "/staff/test/stock/devices/",
        {"device": str(device.pk), "cleaned_at": "2026-03-02T09:15", "method": "autoclave"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/test/stock/devices/{device.pk}/"
    cleaning = DeviceCleaning.objects.get()
    assert cleaning.cleaned_at == datetime(2026, 3, 2, 3, 45, tzinfo=UTC)  # 09:15 in Kolkata
    listing = client.get("/staff/test/stock/devices/").content.decode()
    assert "2026-03-02 09:15, Steam sterilisation (autoclave)" in listing
    # On the device's own page; in the future is refused beside its field.
    url = f"/staff/test/stock/devices/{device.pk}/"
    future = client.post(url, {"cleaned_at": "2026-03-02T12:05", "method": "autoclave"})
    assert future.status_code == 422
    assert 'id="id_cleaned_at-errors"' in future.content.decode()
    assert client.post(url, {"cleaned_at": "", "method": "chemical"}).status_code == 302
    assert DeviceCleaning.objects.count() == 2


def test_device_pages_and_api_follow_the_roles(people: People) -> None:
    device = gun(people)
    theirs = Device.objects.create(clinic=people.other_clinic, name="Gun X", kind="injector_gun")
    pages = ["/staff/test/stock/devices/", f"/staff/test/stock/devices/{device.pk}/"]
    reads = ["/api/v1/clinics/test/devices", cleanings_api(device)]
    for who, status in [
        ("front_desk", 200),
        ("practitioner", 200),
        ("manager", 200),
        ("outsider", 404),
    ]:
        client = login(getattr(people, who))
        assert [client.get(u).status_code for u in pages + reads] == [status] * 4, who
    assert login(people.patient.user).get(pages[0]).status_code == 404
    assert Client().get(reads[0]).status_code == 401
    assert login(people.manager).get(f"/staff/test/stock/devices/{theirs.pk}/").status_code == 404
    # Front desk and outsiders record nothing; practitioners and managers do.
    form = {"device": str(device.pk), "method": "autoclave"}
    assert login(people.front_desk).post(pages[0], form).status_code == 403
    assert login(people.front_desk).post(pages[1], form).status_code == 403
    assert post_json(login(people.front_desk), reads[1], {"method": "autoclave"}).status_code == 403
    assert post_json(login(people.outsider), reads[1], {"method": "autoclave"}).status_code == 404
    assert login(people.outsider).post(pages[0], form).status_code == 404
    assert DeviceCleaning.objects.count() == 0
    assert login(people.manager).post(pages[1], form).status_code == 302
    # The front desk sees no form to fill.
    assert 'id="cleaning-form"' not in login(people.front_desk).get(pages[1]).content.decode()
    listed = login(people.front_desk).get(reads[0]).json()
    assert [(d["name"], d["last_cleaning"]["method"]) for d in listed] == [("Gun 1", "autoclave")]


def test_a_recalled_cleaning_is_no_cleaning_until_the_device_is_cleaned_again(
    people: People,
) -> None:
    from stock.recall import recall_cleaning

    course = ready_course(people)
    lot = make_lot(people.clinic, number="HC-1")
    device = gun(people)
    faulty = clean_device(device, people.practitioner, at=NOW - timedelta(hours=3), cycle="C-9")
    recall_cleaning(cleanings=[faulty], reason="Rinsed with tap water", by=people.manager)
    client = login(people.practitioner)
    response = post_json(client, charts_api(people), chart_body(course, lot, device))
    assert response.status_code == 422
    assert response.json()["code"] == "cleaning_recalled"
    assert response.json()["errors"][0]["field"] == "device_id"
    assert written() == (0, 0, 0)
    # Cleaned again (after the faulty one, before the session): accepted.
    again = clean_device(device, people.practitioner, at=NOW - timedelta(hours=1), cycle="C-10")
    response = post_json(client, charts_api(people), chart_body(course, lot, device))
    assert response.status_code == 201, response.json()
    assert SessionChart.objects.get().device_cleaning == again
