"""Charting a session: only with consent and a screening that allows it,
only with lots usable on the day; a chart is amended, never overwritten;
the record is for practitioners (write) and managers (read) only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from clinical.models import (
    Amendment,
    InjectionPoint,
    RecordAccess,
    ScreeningRecord,
    SessionChart,
    TreatmentCourse,
)
from clinics.models import Device, DeviceKind, StaffMember
from scheduling.models import Appointment, Service
from scheduling.models import Status as AppointmentStatus
from stock.models import Lot
from tests.clients import login, post_json
from tests.clinical_factories import (
    clean_device,
    make_chart,
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


@dataclass
class Setup:
    people: People
    course: TreatmentCourse
    lot: Lot

    @property
    def base(self) -> str:
        return f"/staff/test/patients/{self.people.patient.pk}/record/charts/"

    @property
    def new(self) -> str:
        return f"{self.base}new/?course={self.course.pk}"

    @property
    def api(self) -> str:
        return f"/api/v1/patients/{self.people.patient.pk}/charts"


def prepare(people: People, consent: bool = True, verdict: str | None = "eligible") -> Setup:
    course = make_course(people.patient, people.practitioner)
    if consent:
        sign_consent(people.patient, people.practitioner, course)
    if verdict:
        make_screening(course, people.practitioner, verdict=verdict)
    return Setup(people, course, make_lot(people.clinic, number="HC-001"))


@pytest.fixture
def ready(people: People) -> Setup:
    return prepare(people)


def points(lot: Lot, n: int = 2, **changes: Any) -> list[dict[str, Any]]:
    return [
        {
            "diagram": "scalp",
            "x": 0.3 + 0.1 * i,
            "y": 0.4,
            "zone": "crown",
            "product": lot.product_id,
            "lot": lot.pk,
            "volume_ml": "0.05",
            "depth_mm": "1.5",
            **changes,
        }
        for i in range(n)
    ]


def form(lot: Lot, map_points: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "session_number": "1",
        "area": "scalp",
        "technique": "syringe",
        "device": "",
        "needle_gauge": "30",
        "needle_length_mm": "4",
        "depth": "nappage",
        "numbing": "Lidocaine cream",
        "numbing_minutes": "20",
        "procedure_minutes": "30",
        "immediate_reactions": "Mild redness",
        "notes": "Tolerated well",
        "points": json.dumps(points(lot) if map_points is None else map_points),
        **extra,
    }


def body(lot: Lot, course: TreatmentCourse, **extra: Any) -> dict[str, Any]:
    return {
        "course_id": course.pk,
        "session_number": 1,
        "technique": "syringe",
        "needle_gauge": 30,
        "needle_length_mm": "4",
        "depth": "nappage",
        "numbing": "Lidocaine cream",
        "numbing_minutes": 20,
        "procedure_minutes": 30,
        "points": points(lot),
        **extra,
    }


def written() -> tuple[int, int, int]:
    return (
        SessionChart.objects.count(),
        InjectionPoint.objects.count(),
        Amendment.objects.count(),
    )


def errors_of(html: str) -> str:
    match = re.search(r'<section[^>]*id="chart-errors".*?</section>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


# -- the gates ---------------------------------------------------------------------------


def test_it_refuses_to_chart_without_consent(people: People) -> None:
    setup = prepare(people, consent=False)
    client = login(people.practitioner)
    page = client.get(setup.new)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="blocker-no_consent"' in html
    consent_page = (
        f"/staff/test/patients/{people.patient.pk}/record/courses/{setup.course.pk}/consent/"
    )
    assert f'href="{consent_page}"' in html
    assert 'id="chart-form"' not in html
    response = client.post(setup.new, form(setup.lot))
    assert response.status_code == 422
    assert 'id="blocker-no_consent"' in response.content.decode()
    assert written() == (0, 0, 0)
    setup.course.refresh_from_db()
    assert setup.course.status == TreatmentCourse.Status.PLANNED


def test_it_refuses_with_a_defer_screening_not_overridden(people: People) -> None:
    setup = prepare(people, verdict="defer")
    client = login(people.practitioner)
    assert 'id="blocker-screening_stops"' in client.get(setup.new).content.decode()
    response = client.post(setup.new, form(setup.lot))
    assert response.status_code == 422
    assert "The check-in screening says defer" in response.content.decode()
    assert written() == (0, 0, 0)

    # Overridden by a practitioner with a written reason, the session may go ahead.
    ScreeningRecord.objects.filter(course=setup.course).update(
        override_reason="Cold sore healed; checked the site.",
        overridden_by=people.practitioner,
        overridden_at=timezone.now(),
    )
    assert client.post(setup.new, form(setup.lot)).status_code == 302
    assert written() == (1, 2, 0)


def test_it_refuses_without_a_check_in_screening(people: People) -> None:
    setup = prepare(people, verdict=None)
    response = login(people.practitioner).post(setup.new, form(setup.lot))
    assert response.status_code == 422
    assert written() == (0, 0, 0)


def test_a_lot_that_expired_yesterday_is_refused(ready: Setup) -> None:
    today = ready.people.clinic.today()
    expired = make_lot(ready.people.clinic, number="OLD-1", expiry=today - timedelta(days=1))
    map_points = points(ready.lot, 1) + points(expired, 1)
    response = login(ready.people.practitioner).post(ready.new, form(ready.lot, map_points))
    assert response.status_code == 422
    html = errors_of(response.content.decode())
    assert 'data-field="points.1.lot"' in html
    assert "Lot OLD-1 expired on 2026-03-01" in html
    assert written() == (0, 0, 0)
    ready.course.refresh_from_db()
    assert ready.course.status == TreatmentCourse.Status.PLANNED


def test_a_lot_that_expires_today_may_still_be_used(ready: Setup) -> None:
    today = ready.people.clinic.today()
    last_day = make_lot(ready.people.clinic, number="LAST-1", expiry=today)
    response = login(ready.people.practitioner).post(ready.new, form(last_day))
    assert response.status_code == 302
    assert written() == (1, 2, 0)
    assert set(InjectionPoint.objects.values_list("lot__number", flat=True)) == {"LAST-1"}


def test_a_recalled_lot_is_refused(ready: Setup) -> None:
    Lot.objects.filter(pk=ready.lot.pk).update(
        recalled_at=timezone.now(), recall_reason="Maker's recall"
    )
    response = login(ready.people.practitioner).post(ready.new, form(ready.lot))
    assert response.status_code == 422
    assert "was recalled" in errors_of(response.content.decode())
    assert written() == (0, 0, 0)


def test_a_lot_of_another_clinic_is_refused(ready: Setup) -> None:
    theirs = make_lot(ready.people.other_clinic, number="THEIRS")
    response = login(ready.people.practitioner).post(ready.new, form(theirs))
    assert response.status_code == 422
    assert 'data-field="points.0.product"' in errors_of(response.content.decode())
    assert written() == (0, 0, 0)


def test_a_chart_without_points_is_refused(ready: Setup) -> None:
    response = login(ready.people.practitioner).post(ready.new, form(ready.lot, []))
    assert response.status_code == 422
    assert 'data-field="points"' in errors_of(response.content.decode())
    assert written() == (0, 0, 0)


def test_a_technique_with_a_device_needs_the_clinics_device_of_its_kind(ready: Setup) -> None:
    clinic = ready.people.clinic
    pen = Device.objects.create(clinic=clinic, name="Pen 1", kind=DeviceKind.DERMAPEN)
    gun = Device.objects.create(
        clinic=clinic, name="Gun 1", kind=DeviceKind.INJECTOR_GUN, serial_number="G-77"
    )
    theirs = Device.objects.create(
        clinic=ready.people.other_clinic, name="Gun 2", kind=DeviceKind.INJECTOR_GUN
    )
    client = login(ready.people.practitioner)
    for device in ("", str(pen.pk), str(theirs.pk)):
        response = client.post(ready.new, form(ready.lot, technique="injector_gun", device=device))
        assert response.status_code in (400, 422), device
        assert written() == (0, 0, 0)
    clean_device(gun, ready.people.practitioner)
    response = client.post(ready.new, form(ready.lot, technique="injector_gun", device=gun.pk))
    assert response.status_code == 302
    chart = SessionChart.objects.get()
    assert chart.device == gun
    assert "G-77" in client.get(response["Location"]).content.decode()


# -- a chart saved and shown ---------------------------------------------------------------


def test_a_full_chart_is_saved_with_what_allowed_it_and_shown(ready: Setup) -> None:
    client = login(ready.people.practitioner)
    page = client.get(ready.new)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="injection-map"' in html and 'data-diagram="scalp"' in html
    assert 'id="add-centre-point"' in html and 'id="save-chart"' in html
    assert 'id="chart-products"' in html and "HC-001" in html
    assert "<script>" not in html and 'style="' not in html

    response = client.post(ready.new, form(ready.lot))
    assert response.status_code == 302
    chart = SessionChart.objects.get()
    assert response["Location"] == f"{ready.base}{chart.pk}/"
    assert (chart.session_number, chart.area, chart.technique, chart.depth) == (
        1,
        "scalp",
        "syringe",
        "nappage",
    )
    assert (chart.needle_gauge, chart.needle_length_mm) == (30, Decimal("4.0"))
    assert (chart.numbing, chart.numbing_minutes, chart.procedure_minutes) == (
        "Lidocaine cream",
        20,
        30,
    )
    assert chart.consent.course == ready.course
    assert chart.screening.course == ready.course
    assert chart.performed_on == ready.people.clinic.today()
    assert chart.charted_by == ready.people.practitioner
    assert [(p.zone, p.lot_id, p.volume_ml) for p in chart.points.all()] == [
        ("crown", ready.lot.pk, Decimal("0.050")),
        ("crown", ready.lot.pk, Decimal("0.050")),
    ]
    ready.course.refresh_from_db()
    assert ready.course.status == TreatmentCourse.Status.ACTIVE

    shown = client.get(response["Location"]).content.decode()
    assert shown.count('class="map-point"') == 2
    assert "HC-001" in shown and ready.lot.expiry.isoformat() in shown
    assert "Lidocaine cream" in shown and "Mild redness" in shown
    assert "30G, 4.0 mm" in shown
    assert 'id="chart-warnings"' not in shown
    assert "Crown" in shown  # the zone's label, not its key


def test_the_plain_table_works_without_javascript(ready: Setup) -> None:
    data = form(ready.lot, points="")
    data.update(
        {
            "row-0-zone": "crown",
            "row-0-product": str(ready.lot.product_id),
            "row-0-lot": str(ready.lot.pk),
            "row-0-volume_ml": "0.1",
            "row-0-depth_mm": "2",
            # The product may be left out: the lot names it.
            "row-3-zone": "occipital",
            "row-3-lot": str(ready.lot.pk),
            "row-3-volume_ml": "0.05",
            "row-3-depth_mm": "1",
        }
    )
    response = login(ready.people.practitioner).post(ready.new, data)
    assert response.status_code == 302
    assert list(InjectionPoint.objects.values_list("zone", "x", "y", "diagram")) == [
        ("crown", 0.5, 0.639, "scalp"),
        ("occipital", 0.5, 0.819, "scalp"),
    ]


def test_a_plain_row_without_its_zone_is_refused(ready: Setup) -> None:
    data = form(ready.lot, points="")
    data.update({"row-0-lot": str(ready.lot.pk), "row-0-volume_ml": "0.1", "row-0-depth_mm": "2"})
    response = login(ready.people.practitioner).post(ready.new, data)
    assert response.status_code == 400
    assert 'data-field="points.0.zone"' in errors_of(response.content.decode())
    assert written() == (0, 0, 0)


def test_warnings_outside_the_protocol_are_shown_but_do_not_refuse(ready: Setup) -> None:
    client = login(ready.people.practitioner)
    response = client.post(ready.new, form(ready.lot, needle_gauge="25", procedure_minutes="90"))
    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    assert 'id="chart-warnings"' in shown
    assert "A 25G needle; the protocol gives 27G, 30G, 31G, 32G." in shown
    assert "A procedure of 90 min; the protocol gives 30-45 min." in shown
    assert "never replace it" in shown


def test_a_session_is_charted_once(ready: Setup) -> None:
    client = login(ready.people.practitioner)
    assert client.post(ready.new, form(ready.lot)).status_code == 302
    again = client.post(ready.new, form(ready.lot))
    assert again.status_code == 409
    assert written() == (1, 2, 0)


def test_a_checked_in_appointment_is_completed_by_its_chart(ready: Setup) -> None:
    clinic, people = ready.people.clinic, ready.people
    service = Service.objects.create(
        clinic=clinic,
        key="hair",
        name="Hair session",
        kind="session",
        indication="hair_loss",
        area="scalp",
        procedure_minutes=30,
    )
    member = StaffMember.objects.get(user=people.practitioner)
    appointment = Appointment.objects.create(
        clinic=clinic,
        patient=people.patient,
        service=service,
        practitioner=member,
        starts_at=NOW,
        ends_at=NOW + timedelta(minutes=30),
        blocked_from=NOW,
        blocked_until=NOW + timedelta(minutes=30),
        status=AppointmentStatus.CHECKED_IN,
        created_by=people.front_desk,
    )
    # The check-in screening of this appointment.
    ScreeningRecord.objects.filter(course=ready.course).update(appointment=appointment)
    url = f"{ready.new}&appointment={appointment.pk}"
    response = login(people.practitioner).post(url, form(ready.lot))
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert appointment.history.first().history_change_reason == "Session 1 charted"
    assert SessionChart.objects.get().appointment == appointment


# -- the printable record ------------------------------------------------------------------


def test_the_printable_record_holds_everything_needed_years_later(ready: Setup) -> None:
    chart = make_chart(ready.course, ready.people.practitioner, lot=ready.lot)
    for user in (ready.people.practitioner, ready.people.manager):
        response = login(user).get(f"{ready.base}{chart.pk}/print/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "css/clinical-chart.css" in html and "@media print" not in html
        for text in (
            "Test Clinic",
            "Pat One",
            f"Patient no. {ready.people.patient.pk}",
            "practitioner",
            "HC-001",
            ready.lot.expiry.isoformat(),
            'id="chart-map"',
            escape(f"{chart.consent.text.title} v{chart.consent.text.version}"),
            "Session record",
        ):
            assert text in html, text
        assert html.count('class="map-point"') == 2
        assert "<script>" not in html and 'style="' not in html


# -- amendments ----------------------------------------------------------------------------


def test_an_amendment_keeps_the_original(ready: Setup) -> None:
    chart = make_chart(ready.course, ready.people.practitioner, lot=ready.lot)
    client = login(ready.people.practitioner)
    url = f"{ready.base}{chart.pk}/amend/"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "technique": "syringe",
        "device": "",
        "needle_gauge": "",
        "needle_length_mm": "",
        "depth": "nappage",
        "numbing": "",
        "numbing_minutes": "0",
        "procedure_minutes": "35",
        "immediate_reactions": "",
        "notes": "",
        "reason": "Timer misread: the procedure took 35 minutes.",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    chart.refresh_from_db()
    assert chart.procedure_minutes == 35
    amendment = Amendment.objects.get()
    assert amendment.changes == {"procedure_minutes": {"from": 20, "to": 35}}
    assert amendment.amended_by == ready.people.practitioner
    assert amendment.reason == "Timer misread: the procedure took 35 minutes."
    versions = list(chart.history.order_by("history_date", "history_id"))
    assert [v.procedure_minutes for v in versions] == [20, 35]
    assert versions[-1].history_change_reason.startswith("Amendment: Timer misread")

    shown = client.get(f"{ready.base}{chart.pk}/").content.decode()
    amendments = shown[shown.index('id="amendments"') :]
    assert '<td class="amendment-from">20</td>' in amendments
    assert '<td class="amendment-to">35</td>' in amendments
    assert "Timer misread" in amendments
    assert "2 versions of this chart are kept." in amendments


def test_a_point_amendment_rechecks_the_lot_against_the_session_day(ready: Setup) -> None:
    chart = make_chart(ready.course, ready.people.practitioner, lot=ready.lot)
    point = chart.points.first()
    today = ready.people.clinic.today()
    expired = make_lot(ready.people.clinic, number="OLD-2", expiry=today - timedelta(days=1))
    fresh = make_lot(ready.people.clinic, number="NEW-2")
    client = login(ready.people.practitioner)
    url = f"{ready.base}{chart.pk}/points/{point.pk}/amend/"
    assert client.get(url).status_code == 200
    data = {
        "zone": "",
        "x": "0.3",
        "y": "0.4",
        "product": str(ready.lot.product_id),
        "lot": str(expired.pk),
        "volume_ml": "0.05",
        "depth_mm": "1.5",
        "reason": "Wrong vial noted",
    }
    refused = client.post(url, data)
    assert refused.status_code == 422
    assert "Lot OLD-2 expired on 2026-03-01" in refused.content.decode()
    assert Amendment.objects.count() == 0
    point.refresh_from_db()
    assert point.lot == ready.lot

    assert client.post(url, data | {"lot": str(fresh.pk)}).status_code == 302
    amendment = Amendment.objects.get()
    assert amendment.changes == {"lot": {"from": ready.lot.pk, "to": fresh.pk}}
    shown = client.get(f"{ready.base}{chart.pk}/").content.decode()
    assert "HC-001" in shown and "NEW-2" in shown


def test_an_amendment_without_a_reason_is_refused(ready: Setup) -> None:
    chart = make_chart(ready.course, ready.people.practitioner, lot=ready.lot)
    data = {
        "technique": "syringe",
        "depth": "nappage",
        "numbing_minutes": "0",
        "procedure_minutes": "35",
        "reason": "   ",
    }
    response = login(ready.people.practitioner).post(f"{ready.base}{chart.pk}/amend/", data)
    assert response.status_code == 400
    assert Amendment.objects.count() == 0
    chart.refresh_from_db()
    assert chart.procedure_minutes == 20
    assert chart.history.count() == 1


# -- who may ------------------------------------------------------------------------------


def chart_pages(setup: Setup, chart: SessionChart) -> list[str]:
    point = chart.points.first()
    return [
        setup.new,
        f"{setup.base}{chart.pk}/",
        f"{setup.base}{chart.pk}/print/",
        f"{setup.base}{chart.pk}/amend/",
        f"{setup.base}{chart.pk}/points/{point.pk}/amend/",
    ]


def test_front_desk_outsiders_and_patients_are_refused_every_chart_page(ready: Setup) -> None:
    chart = make_chart(ready.course, ready.people.practitioner, lot=ready.lot)
    people = ready.people
    before = written()
    new, detail, printed, amend, amend_point = chart_pages(ready, chart)
    for user, status in (
        (people.front_desk, 403),
        (people.outsider, 404),
        (people.patient.user, 404),
    ):
        client = login(user)
        for url in (new, detail, printed, amend, amend_point):
            assert client.get(url).status_code == status, (user, url)
        for url in (new, amend, amend_point):
            assert client.post(url, form(ready.lot) | {"reason": "x"}).status_code == status
    anonymous = Client()
    for url in chart_pages(ready, chart):
        assert anonymous.get(url).status_code == 302
    assert written() == before


def test_a_manager_reads_and_prints_but_does_not_chart_or_amend(ready: Setup) -> None:
    chart = make_chart(ready.course, ready.people.practitioner, lot=ready.lot)
    client = login(ready.people.manager)
    new, detail, printed, amend, amend_point = chart_pages(ready, chart)
    assert client.get(detail).status_code == 200
    assert 'id="amend-chart-link"' not in client.get(detail).content.decode()
    assert client.get(printed).status_code == 200
    for url in (new, amend, amend_point):
        assert client.get(url).status_code == 403
        assert client.post(url, form(ready.lot) | {"reason": "x"}).status_code == 403
    assert written() == (1, 2, 0)
    reads = RecordAccess.objects.filter(user=ready.people.manager).values_list("what", flat=True)
    # The refused form pages were never shown, so they are not logged as reads.
    shown = [f"chart {chart.pk}", f"chart {chart.pk}", f"chart {chart.pk} (print)"]
    assert sorted(reads) == sorted(shown)


def test_a_chart_of_another_patient_is_not_found(ready: Setup) -> None:
    chart = make_chart(ready.course, ready.people.practitioner, lot=ready.lot)
    other = f"/staff/test/patients/{ready.people.other_patient.pk}/record/charts/{chart.pk}/"
    assert login(ready.people.practitioner).get(other).status_code == 404
    course_of_other = f"{ready.base}new/?course=999999"
    assert login(ready.people.practitioner).get(course_of_other).status_code == 404


def test_the_record_hub_lists_charts_and_offers_to_chart_a_course(ready: Setup) -> None:
    chart = make_chart(ready.course, ready.people.practitioner, lot=ready.lot)
    hub = f"/staff/test/patients/{ready.people.patient.pk}/record/"
    html = login(ready.people.practitioner).get(hub).content.decode()
    assert f'id="record-chart-{chart.pk}"' in html
    assert f'id="chart-course-{ready.course.pk}"' in html
    manager = login(ready.people.manager).get(hub).content.decode()
    assert f'id="record-chart-{chart.pk}"' in manager
    assert f'id="chart-course-{ready.course.pk}"' not in manager


# -- the API -------------------------------------------------------------------------------


def test_the_api_charts_a_session_and_reads_it_back(ready: Setup) -> None:
    client = login(ready.people.practitioner)
    response = post_json(client, ready.api, body(ready.lot, ready.course))
    assert response.status_code == 201, response.json()
    chart = response.json()
    assert chart["session_number"] == 1 and chart["course"] == ready.course.pk
    assert [p["lot"]["number"] for p in chart["points"]] == ["HC-001", "HC-001"]
    assert chart["points"][0]["volume_ml"] == "0.050"
    assert chart["warnings"] == [] and chart["amendments"] == []
    assert written() == (1, 2, 0)

    listed = client.get(ready.api).json()
    assert [c["id"] for c in listed] == [chart["id"]]
    read = client.get(f"{ready.api}/{chart['id']}").json()
    assert read["points"] == chart["points"]

    again = post_json(client, ready.api, body(ready.lot, ready.course))
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "session_number"
    assert written() == (1, 2, 0)


@pytest.mark.parametrize(
    "case, field",
    [("no_consent", "consent"), ("defer", "screening"), ("expired", "points.1.lot")],
)
def test_the_api_refuses_a_session_that_may_not_be_charted(
    people: People, case: str, field: str
) -> None:
    setup = prepare(
        people, consent=case != "no_consent", verdict="defer" if case == "defer" else "eligible"
    )
    data = body(setup.lot, setup.course)
    if case == "expired":
        old = make_lot(people.clinic, number="OLD", expiry=people.clinic.today() - timedelta(1))
        data["points"] = points(setup.lot, 1) + points(old, 1)
    response = post_json(login(people.practitioner), setup.api, data)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert written() == (0, 0, 0)


def test_the_api_amends_and_keeps_the_original(ready: Setup) -> None:
    chart = make_chart(ready.course, ready.people.practitioner, lot=ready.lot)
    point = chart.points.first()
    client = login(ready.people.practitioner)
    url = f"{ready.api}/{chart.pk}/amendments"
    refused = post_json(client, url, {"procedure_minutes": 35, "reason": ""})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "reason"
    assert Amendment.objects.count() == 0

    response = post_json(client, url, {"procedure_minutes": 35, "reason": "Timer misread"})
    assert response.status_code == 201
    answer = response.json()
    assert answer["amendment"]["changes"] == {"procedure_minutes": {"from": 20, "to": 35}}
    assert answer["chart"]["procedure_minutes"] == 35

    point_url = f"{ready.api}/{chart.pk}/points/{point.pk}/amendments"
    response = post_json(client, point_url, {"volume_ml": "0.1", "reason": "Two shots"})
    assert response.status_code == 201
    assert response.json()["amendment"]["changes"] == {
        "volume_ml": {"from": "0.050", "to": "0.100"}
    }
    unchanged = post_json(client, point_url, {"volume_ml": "0.1", "reason": "Again"})
    assert unchanged.status_code == 200 and unchanged.json()["amendment"] is None
    read = client.get(f"{ready.api}/{chart.pk}").json()
    assert [a["record"] for a in read["amendments"]] == ["point", "chart"]
    assert Amendment.objects.count() == 2

    recalled = make_lot(ready.people.clinic, number="BAD")
    Lot.objects.filter(pk=recalled.pk).update(recalled_at=timezone.now(), recall_reason="Recall")
    bad = post_json(client, point_url, {"lot": recalled.pk, "reason": "Other vial"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "lot"
    theirs = make_lot(ready.people.other_clinic, number="THEIRS")
    bad = post_json(client, point_url, {"lot": theirs.pk, "reason": "Other vial"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "lot"
    assert Amendment.objects.count() == 2


def test_the_api_refuses_front_desk_outsiders_and_patients(ready: Setup) -> None:
    chart = make_chart(ready.course, ready.people.practitioner, lot=ready.lot)
    point = chart.points.first()
    people = ready.people
    gets = [ready.api, f"{ready.api}/{chart.pk}"]
    posts = [
        (ready.api, body(ready.lot, ready.course, session_number=2)),
        (f"{ready.api}/{chart.pk}/amendments", {"notes": "x", "reason": "x"}),
        (f"{ready.api}/{chart.pk}/points/{point.pk}/amendments", {"zone": "x", "reason": "x"}),
    ]
    before = written()
    for user, status in (
        (people.front_desk, 403),
        (people.outsider, 404),
        (people.patient.user, 404),
    ):
        client = login(user)
        for url in gets:
            assert client.get(url).status_code == status, (user, url)
        for url, data in posts:
            assert post_json(client, url, data).status_code == status, (user, url)
    manager = login(people.manager)
    assert all(manager.get(url).status_code == 200 for url in gets)
    assert all(post_json(manager, url, data).status_code == 403 for url, data in posts)
    assert Client().get(ready.api).status_code == 401
    assert written() == before
    other = f"/api/v1/patients/{people.other_patient.pk}/charts/{chart.pk}"
    assert login(people.practitioner).get(other).status_code == 404


def test_the_api_lists_the_clinics_products_with_usable_lots_only(ready: Setup) -> None:
    clinic = ready.people.clinic
    make_lot(clinic, number="OLD", expiry=clinic.today() - timedelta(days=1))
    make_lot(clinic, number="TODAY", expiry=clinic.today())
    recalled = make_lot(clinic, number="RECALLED")
    Lot.objects.filter(pk=recalled.pk).update(recalled_at=timezone.now(), recall_reason="Recall")
    make_lot(ready.people.other_clinic, number="THEIRS")
    url = "/api/v1/clinics/test/products"
    for user in (ready.people.practitioner, ready.people.manager):
        products = login(user).get(url).json()
        assert [p["name"] for p in products] == ["Hair cocktail"]
        assert [lot["number"] for lot in products[0]["lots"]] == ["TODAY", "HC-001"]
    assert login(ready.people.front_desk).get(url).status_code == 403
    assert login(ready.people.outsider).get(url).status_code == 404
    assert login(ready.people.patient.user).get(url).status_code == 404
