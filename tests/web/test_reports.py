"""Adverse-event reports: exact counts per product, lot, practitioner and
indication, each with its levels and with the sessions and patients of the
same group (so a rate is visible), over a range of session days; on the
page, as CSV and over the API; for managers and practitioners only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from accounts.models import User
from clinical.models import InjectionPoint, SessionChart
from clinics.models import Role, StaffMember
from patients.models import Patient
from safety.models import AdverseEvent
from safety.reports import adverse_event_report
from stock.models import Lot
from tests.clients import login
from tests.clinical_factories import make_chart, make_course, make_lot
from tests.conftest import People, make_user

NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 12:00 in Kolkata
PAGE = "/staff/test/safety/reports/"
CSV = "/staff/test/safety/reports/adverse-events.csv"
API = "/api/v1/clinics/test/reports/adverse-events"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class World:
    people: People
    second: User  # a second practitioner
    lots: dict[str, Lot]
    charts: dict[str, SessionChart]


def event(chart: SessionChart, level: str, lots: list[Lot]) -> AdverseEvent:
    created = AdverseEvent.objects.create(
        clinic=chart.clinic,
        patient=chart.patient,
        chart=chart,
        reported_via="staff",
        reported_by=chart.practitioner.user,
        reported_at=NOW,
        effect="redness",
        started_at=NOW - timedelta(hours=3),
        severity="mild",
        level=level,
        triage={},
        status="open",
    )
    created.lots.set(lots)
    return created


def add_point(chart: SessionChart, lot: Lot) -> None:
    InjectionPoint.objects.create(
        clinic=chart.clinic,
        chart=chart,
        diagram="face",
        x=0.5,
        y=0.5,
        product=lot.product,
        lot=lot,
        volume_ml=Decimal("0.05"),
        depth_mm=Decimal("1.5"),
    )


@pytest.fixture
def world(people: People) -> World:
    second = make_user("secondpractitioner")
    second.first_name, second.last_name = "Sita", "Second"
    second.save()
    StaffMember.objects.create(clinic=people.clinic, user=second, role=Role.PRACTITIONER)
    first = people.practitioner
    lots = {
        "H1": make_lot(people.clinic, "H1", product="Hair cocktail"),
        "H2": make_lot(people.clinic, "H2", product="Hair cocktail"),
        "F1": make_lot(people.clinic, "F1", product="Face serum"),
    }
    three = Patient.objects.create(clinic=people.clinic, first_name="Tara", last_name="Three")
    four = Patient.objects.create(clinic=people.clinic, first_name="Fay", last_name="Four")
    hair_one = make_course(people.patient, first)
    face = ("facial_rejuvenation", ("face",))
    charts = {
        "one_1": make_chart(hair_one, first, 1, lots["H1"]),
        "one_2": make_chart(hair_one, first, 2, lots["H1"]),
        "two": make_chart(make_course(people.other_patient, second), second, 1, lots["H2"]),
        "three": make_chart(make_course(three, second, *face), second, 1, lots["F1"]),
        "four_old": make_chart(make_course(four, first, *face), first, 1, lots["F1"]),
    }
    add_point(charts["two"], lots["F1"])  # two products at one session
    SessionChart.objects.filter(pk=charts["four_old"].pk).update(
        performed_on=NOW.date() - timedelta(days=40)
    )
    event(charts["one_1"], "expected", [lots["H1"]])
    event(charts["one_2"], "review", [lots["H1"]])
    event(charts["two"], "urgent", [lots["H2"], lots["F1"]])
    event(charts["three"], "expected", [lots["F1"]])
    event(charts["four_old"], "review", [lots["F1"]])
    event(charts["three"], "expected", [])  # no lot recorded

    # Another clinic's event counts nowhere here.
    outsider_patient = Patient.objects.create(
        clinic=people.other_clinic, first_name="Oda", last_name="Outside"
    )
    outside = make_lot(people.other_clinic, "H1", product="Hair cocktail")
    event(
        make_chart(make_course(outsider_patient, people.outsider), people.outsider, 1, outside),
        "urgent",
        [outside],
    )
    return World(people, second, lots, charts)


def table(report: Any) -> dict[str, tuple[int, int, int, int, int, int]]:
    """label -> (events, expected, review, urgent, sessions, patients)."""
    return {
        r.label: (r.events, r.expected, r.review, r.urgent, r.sessions, r.patients)
        for r in report.rows
    }


def test_counts_are_exact_per_product_lot_practitioner_and_indication(world: World) -> None:
    clinic = world.people.clinic
    assert table(adverse_event_report(clinic, "lot")) == {
        "Hair cocktail, lot H1": (2, 1, 1, 0, 2, 1),
        "Hair cocktail, lot H2": (1, 0, 0, 1, 1, 1),
        "Face serum, lot F1": (3, 1, 1, 1, 3, 3),
        "No lot recorded": (1, 1, 0, 0, 0, 0),
    }
    assert table(adverse_event_report(clinic, "product")) == {
        # The session with two products counts once for each.
        "Hair cocktail": (3, 1, 1, 1, 3, 2),
        "Face serum": (3, 1, 1, 1, 3, 3),
        "No lot recorded": (1, 1, 0, 0, 0, 0),
    }
    assert table(adverse_event_report(clinic, "practitioner")) == {
        "practitioner": (3, 1, 2, 0, 3, 2),
        "Sita Second": (3, 2, 0, 1, 2, 2),
    }
    assert table(adverse_event_report(clinic, "indication")) == {
        "Hair loss (alopecia)": (3, 1, 1, 1, 3, 2),
        "Facial rejuvenation": (3, 2, 1, 0, 2, 2),
    }
    report = adverse_event_report(clinic, "lot")
    assert (report.events, report.sessions) == (6, 5)
    h1 = next(r for r in report.rows if r.label == "Hair cocktail, lot H1")
    assert h1.per_100_sessions == Decimal("100.0")
    assert report.rows[0].label == "Face serum, lot F1"  # most events first


def test_a_date_range_picks_sessions_and_their_events(world: World) -> None:
    clinic = world.people.clinic
    week_ago = NOW.date() - timedelta(days=7)
    report = adverse_event_report(clinic, "lot", week_ago, NOW.date())
    assert table(report)["Face serum, lot F1"] == (2, 1, 0, 1, 2, 2)
    assert (report.events, report.sessions) == (5, 4)
    old = adverse_event_report(clinic, "practitioner", None, week_ago)
    assert table(old) == {"practitioner": (1, 0, 1, 0, 1, 1)}


def test_the_page_and_csv_show_the_counts(world: World) -> None:
    client = login(world.people.manager)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    for by in ("product", "lot", "practitioner", "indication"):
        assert f'id="report-{by}"' in html
    f1 = world.lots["F1"].pk
    row = html.split(f'id="lot-{f1}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="events">3</td>' in row
    assert '<td class="sessions">3</td>' in row
    assert '<td class="rate">100.0</td>' in row

    ranged = client.get(PAGE, {"date_from": str(NOW.date() - timedelta(days=7))})
    row = ranged.content.decode().split(f'id="lot-{f1}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="events">2</td>' in row

    bad = client.get(PAGE, {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert bad.status_code == 400
    assert "The end of the range is before its start." in bad.content.decode()

    download = client.get(CSV, {"by": "lot"})
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == [
        "group",
        "id",
        "name",
        "events",
        "expected",
        "review",
        "urgent",
        "sessions",
        "patients",
        "events_per_100_sessions",
    ]
    assert ["lot", str(f1), "Face serum, lot F1", "3", "1", "1", "1", "3", "3", "100.0"] in rows
    assert ["lot", "", "No lot recorded", "1", "1", "0", "0", "0", "0", ""] in rows
    assert len(rows) == 5
    assert client.get(CSV, {"by": "nonsense"}).status_code == 400


def test_practitioners_may_read_front_desk_and_outsiders_may_not(world: World) -> None:
    people = world.people
    assert login(people.practitioner).get(PAGE).status_code == 200
    assert login(people.practitioner).get(CSV).status_code == 200
    assert login(people.front_desk).get(PAGE).status_code == 403
    assert login(people.front_desk).get(CSV).status_code == 403
    assert login(people.outsider).get(PAGE).status_code == 404
    assert login(people.outsider).get(CSV).status_code == 404
    assert login(people.front_desk).get(API).status_code == 403
    assert login(people.outsider).get(API).status_code == 404


def test_the_api_counts_by_the_grouping_asked(world: World) -> None:
    client = login(world.people.manager)
    answer = client.get(API, {"by": "indication"})
    assert answer.status_code == 200
    data = answer.json()
    assert (data["by"], data["events"], data["sessions"]) == ("indication", 6, 5)
    rows = {r["key"]: r for r in data["rows"]}
    assert set(rows) == {"hair_loss", "facial_rejuvenation"}
    assert (rows["hair_loss"]["events"], rows["hair_loss"]["urgent"]) == (3, 1)
    assert rows["facial_rejuvenation"]["sessions"] == 2
    wrong = client.get(API, {"by": "colour"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "by"
    backwards = client.get(API, {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "date_to"
