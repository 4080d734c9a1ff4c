"""Stock: deliveries make lots and movements; charting takes exactly what
it injected out of stock, lot by lot; an amended point is compensated,
never rewritten; first expiry first out; the low-stock and expiring lists;
who may do what; bad input refused naming the field."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from clinical.charting import usable_products
from clinical.models import InjectionPoint, SessionChart, TreatmentCourse
from clinics.models import Clinic
from stock.models import Lot, MovementKind, Product, StockMovement
from stock.stock import expiring, low_stock, on_hand, suggest_lot
from tests.clients import login, post_json
from tests.clinical_factories import (
    make_course,
    make_lot,
    make_screening,
    receive_stock,
    sign_consent,
)
from tests.conftest import People

NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 12:00 in Kolkata
TODAY = date(2026, 3, 2)
D = Decimal


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def stock_url(rest: str = "") -> str:
    return f"/staff/test/stock/{rest}"


def api_url(rest: str) -> str:
    return f"/api/v1/clinics/test/{rest}"


def movements() -> list[tuple[str, str, Decimal, int | None]]:
    return [
        (m.lot.number, m.kind, m.quantity, m.chart_id)
        for m in StockMovement.objects.select_related("lot").order_by("pk")
    ]


def product(clinic: Clinic, name: str = "Hair cocktail", **values: Any) -> Product:
    return Product.objects.create(clinic=clinic, name=name, authorised_supplier=True, **values)


def lot(
    people: People,
    number: str,
    days: int = 365,
    stock: str | None = "10",
    name: str = "Hair cocktail",
) -> Lot:
    return make_lot(
        people.clinic, number=number, expiry=TODAY + timedelta(days=days), product=name, stock=stock
    )


# -- receiving -------------------------------------------------------------------------------


def test_receiving_a_delivery_makes_the_lot_and_its_movement(people: People) -> None:
    item = product(people.clinic)
    client = login(people.front_desk)
    assert client.get(stock_url("receive/")).status_code == 200
    data = {
        "product": str(item.pk),
        "number": " HC-7 ",
        "expiry": "2027-01-31",
        "quantity": "25.5",
        "received_on": "2026-03-01",
        "note": "Invoice 1234",
    }
    response = client.post(stock_url("receive/"), data)
    assert response.status_code == 302
    made = Lot.objects.get()
    assert response["Location"] == stock_url(f"lots/{made.pk}/")
    assert (made.product, made.number, made.expiry, made.received_on) == (
        item,
        "HC-7",
        date(2027, 1, 31),
        date(2026, 3, 1),
    )
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.quantity, movement.by, movement.at) == (
        MovementKind.RECEIVED,
        D("25.500"),
        people.front_desk,
        NOW,
    )
    assert movement.note == "Invoice 1234" and movement.clinic == people.clinic
    assert made.history.get().history_user == people.front_desk

    # The same lot again: one more movement, no second lot.
    assert client.post(stock_url("receive/"), data | {"quantity": "4.5"}).status_code == 302
    assert Lot.objects.count() == 1
    assert on_hand(made) == D("30.000")
    page = client.get(stock_url(f"lots/{made.pk}/")).content.decode()
    assert 'id="on-hand">30 ml' in page


def test_a_delivery_with_bad_input_is_refused_naming_the_field(people: People) -> None:
    item = product(people.clinic)
    theirs = product(people.other_clinic)
    existing = lot(people, "HC-1", days=100)
    client = login(people.manager)
    good = {
        "product": item.pk,
        "number": "HC-2",
        "expiry": "2027-01-31",
        "quantity": "5",
    }
    before = (Lot.objects.count(), movements())
    cases = [
        ({"expiry": "2026-03-01"}, "expiry", "expired on 2026-03-01"),
        ({"quantity": "0"}, "quantity", "above 0"),
        ({"quantity": "-2"}, "quantity", "above 0"),
        ({"quantity": "0.0001"}, "quantity", "3 decimal places"),
        ({"product": theirs.pk}, "product", "this clinic's products"),
        ({"number": "  "}, "number", "lot number"),
        ({"received_on": "2026-03-03"}, "received_on", "on its day or after"),
        (
            {"number": "HC-1", "expiry": "2027-01-31"},
            "expiry",
            f"recorded as expiring on {existing.expiry.isoformat()}",
        ),
    ]
    for change, field, words in cases:
        response = post_json(client, api_url("stock/lots"), good | change)
        assert response.status_code == 422, change
        body = response.json()
        assert body["errors"][0]["field"] == field, change
        assert words in body["detail"], change
    response = post_json(client, api_url("stock/lots"), {"product": item.pk, "number": "X"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"expiry", "quantity"}
    # The page names the field beside it too.
    page = client.post(stock_url("receive/"), good | {"expiry": "2026-02-01"})
    assert page.status_code == 422
    assert 'id="id_expiry-errors"' in page.content.decode()
    assert (Lot.objects.count(), movements()) == before

    created = post_json(client, api_url("stock/lots"), good)
    assert created.status_code == 201
    assert created.json()["lot"]["on_hand"] == "5.000"
    assert created.json()["movement"]["kind"] == "received"


def test_a_recalled_lot_is_not_received_again(people: People) -> None:
    recalled = lot(people, "BAD-1")
    Lot.objects.filter(pk=recalled.pk).update(recalled_at=timezone.now(), recall_reason="Recall")
    response = post_json(
        login(people.front_desk),
        api_url("stock/lots"),
        {
            "product": recalled.product_id,
            "number": "BAD-1",
            "expiry": recalled.expiry.isoformat(),
            "quantity": "5",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "number"
    assert on_hand(recalled) == D("10.000")


# -- charting takes stock --------------------------------------------------------------------


def ready_course(people: People) -> TreatmentCourse:
    course = make_course(people.patient, people.practitioner)
    sign_consent(people.patient, people.practitioner, course)
    make_screening(course, people.practitioner)
    return course


def point(item: Lot, volume: str, i: int = 0) -> dict[str, Any]:
    return {
        "diagram": "scalp",
        "x": 0.2 + 0.05 * i,
        "y": 0.4,
        "zone": "crown",
        "product": item.product_id,
        "lot": item.pk,
        "volume_ml": volume,
        "depth_mm": "1.5",
    }


def chart_body(course: TreatmentCourse, points: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "course_id": course.pk,
        "session_number": 1,
        "technique": "syringe",
        "needle_gauge": 30,
        "needle_length_mm": "4",
        "depth": "nappage",
        "procedure_minutes": 30,
        "points": points,
    }


def charts_api(people: People) -> str:
    return f"/api/v1/patients/{people.patient.pk}/charts"


def test_charting_takes_the_exact_volume_of_each_lot_out_of_stock(people: People) -> None:
    course = ready_course(people)
    first, second = lot(people, "A-1"), lot(people, "B-1", name="HA 1%")
    cream = lot(people, "CR-1", name="Numbing cream")
    Product.objects.filter(pk=cream.product_id).update(unit="g")
    points = [
        point(first, "0.05", 0),
        point(second, "0.2", 1),
        point(first, "0.1", 2),
        point(second, "0.25", 3),
        point(first, "0.15", 4),
        point(cream, "0.5", 5),
    ]
    response = post_json(login(people.practitioner), charts_api(people), chart_body(course, points))
    assert response.status_code == 201, response.json()
    assert response.json()["warnings"] == []
    chart = SessionChart.objects.get()
    used = StockMovement.objects.filter(kind=MovementKind.USED).order_by("lot__number")
    assert [(m.lot.number, m.quantity, m.chart, m.by, m.at) for m in used] == [
        ("A-1", D("-0.300"), chart, people.practitioner, NOW),
        ("B-1", D("-0.450"), chart, people.practitioner, NOW),
    ]
    # A product counted in grams is not taken out by a volume in ml.
    assert on_hand(cream) == D("10.000")
    assert (on_hand(first), on_hand(second)) == (D("9.700"), D("9.550"))

    # A refused chart takes nothing.
    again = post_json(login(people.practitioner), charts_api(people), chart_body(course, points))
    assert again.status_code == 409
    assert StockMovement.objects.filter(kind=MovementKind.USED).count() == 2

    # The lot page shows who took what, for which session, to staff who read records.
    page = login(people.practitioner).get(stock_url(f"lots/{first.pk}/")).content.decode()
    chart_link = f"/staff/test/patients/{people.patient.pk}/record/charts/{chart.pk}/"
    assert f'href="{chart_link}"' in page and "Pat One, session 1 on 2026-03-02" in page
    assert "-0.3 ml" in page
    desk = login(people.front_desk).get(stock_url(f"lots/{first.pk}/")).content.decode()
    assert chart_link not in desk and "Pat One" not in desk


def test_a_lot_without_recorded_stock_is_charted_with_a_warning(people: People) -> None:
    course = ready_course(people)
    empty = lot(people, "NONE-1", stock=None)
    short = lot(people, "SHORT-1", stock="0.1", name="HA 1%")
    points = [point(empty, "0.1", 0), point(short, "0.15", 1)]
    client = login(people.practitioner)
    response = post_json(client, charts_api(people), chart_body(course, points))
    assert response.status_code == 201
    warnings = [(w["field"], w["code"], w["message"]) for w in response.json()["warnings"]]
    assert warnings == [
        (
            "points.0.lot",
            "no_recorded_stock",
            "Lot NONE-1 has no recorded stock left: record its delivery, or correct the count.",
        ),
        (
            "points.1.lot",
            "stock_short",
            "Lot SHORT-1 had 0.1 ml recorded; this session used 0.15 ml: check the count.",
        ),
    ]
    assert (on_hand(empty), on_hand(short)) == (D("-0.100"), D("-0.050"))
    # The chart's page shows the same warnings, as does a later read.
    chart = SessionChart.objects.get()
    shown = client.get(
        f"/staff/test/patients/{people.patient.pk}/record/charts/{chart.pk}/"
    ).content.decode()
    assert 'id="chart-warnings"' in shown and "Lot NONE-1 has no recorded stock left" in shown
    read = client.get(f"{charts_api(people)}/{chart.pk}").json()
    assert [w["code"] for w in read["warnings"]] == ["no_recorded_stock", "stock_short"]
    # A delivery recorded afterwards does not rewrite what the chart found.
    receive_stock(empty, "5", people.manager)
    read = client.get(f"{charts_api(people)}/{chart.pk}").json()
    assert [w["code"] for w in read["warnings"]] == ["no_recorded_stock", "stock_short"]


def test_an_amended_point_is_compensated_by_new_movements(people: People) -> None:
    course = ready_course(people)
    first, second = lot(people, "A-1"), lot(people, "A-2", days=200)
    client = login(people.practitioner)
    body = chart_body(course, [point(first, "0.1", 0), point(first, "0.1", 1)])
    chart_id = post_json(client, charts_api(people), body).json()["id"]
    points = list(InjectionPoint.objects.order_by("pk"))
    url = f"{charts_api(people)}/{chart_id}/points/{points[0].pk}/amendments"

    more = post_json(client, url, {"reason": "Syringe read again", "volume_ml": "0.15"})
    assert more.status_code == 201
    moved = post_json(client, url, {"reason": "Wrong vial noted", "lot": second.pk})
    assert moved.status_code == 201
    same = post_json(client, url, {"reason": "No change", "lot": second.pk})
    assert same.status_code == 200
    zone = post_json(client, url, {"reason": "Zone", "zone": "frontal"})
    assert zone.status_code == 201

    assert movements()[2:] == [
        ("A-1", "used", D("-0.200"), chart_id),
        ("A-1", "adjusted", D("-0.050"), chart_id),
        ("A-1", "adjusted", D("0.150"), chart_id),
        ("A-2", "adjusted", D("-0.150"), chart_id),
    ]
    assert (on_hand(first), on_hand(second)) == (D("9.900"), D("9.850"))
    assert StockMovement.objects.get(kind="adjusted", lot=second).note == (
        "Chart amended: Wrong vial noted"
    )
    assert StockMovement.objects.get(kind="adjusted", lot=second).by == people.practitioner

    # The page's amendment does the same.
    page_url = (
        f"/staff/test/patients/{people.patient.pk}/record/charts/{chart_id}/points/"
        f"{points[1].pk}/amend/"
    )
    data = {
        "zone": "crown",
        "x": "0.25",
        "y": "0.4",
        "product": str(first.product_id),
        "lot": str(first.pk),
        "volume_ml": "0.05",
        "depth_mm": "1.5",
        "reason": "Half the dose",
    }
    assert client.post(page_url, data).status_code == 302
    assert movements()[-1] == ("A-1", "adjusted", D("0.050"), chart_id)
    assert on_hand(first) == D("9.950")


def test_an_expired_or_recalled_lot_with_stock_is_still_refused(people: People) -> None:
    course = ready_course(people)
    expired = lot(people, "OLD-1", days=-1)
    recalled = lot(people, "BAD-1", name="HA 1%")
    Lot.objects.filter(pk=recalled.pk).update(recalled_at=timezone.now(), recall_reason="Recall")
    client = login(people.practitioner)
    before = movements()
    for bad in (expired, recalled):
        response = post_json(client, charts_api(people), chart_body(course, [point(bad, "0.1")]))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "points.0.lot"
    assert SessionChart.objects.count() == 0 and movements() == before


# -- first expiry, first out -----------------------------------------------------------------


def use_up(item: Lot, people: People) -> None:
    StockMovement.objects.create(
        clinic=people.clinic,
        lot=item,
        kind=MovementKind.WASTED,
        quantity=-on_hand(item),
        by=people.practitioner,
        at=NOW,
    )


def test_the_suggested_lot_is_the_first_usable_to_expire_with_stock(people: People) -> None:
    expired = lot(people, "EXPIRED", days=-1)
    recalled = lot(people, "RECALLED", days=2)
    Lot.objects.filter(pk=recalled.pk).update(recalled_at=timezone.now(), recall_reason="Recall")
    lot(people, "EMPTY", days=5, stock=None)
    use_up(lot(people, "EMPTIED", days=8, stock="1"), people)
    later = lot(people, "LATER", days=40)
    sooner = lot(people, "SOONER", days=20)
    lot(people, "OTHER PRODUCT", days=1, name="HA 1%")
    make_lot(people.other_clinic, number="THEIRS", expiry=TODAY, product="Hair cocktail")
    item = sooner.product
    assert suggest_lot(item, TODAY) == sooner
    # The day decides: the day after SOONER's expiry, LATER is first...
    assert suggest_lot(item, sooner.expiry + timedelta(days=1)) == later
    # ...and the day before today, the lot that expired since was.
    assert suggest_lot(item, TODAY - timedelta(days=1)) == expired

    listed = next(p for p in usable_products(people.clinic.pk, TODAY) if p["id"] == item.pk)
    assert [(x["number"], x["on_hand"], x["suggested"]) for x in listed["lots"]] == [
        ("EMPTY", "0", False),
        ("EMPTIED", "0", False),
        ("SOONER", "10", True),
        ("LATER", "10", False),
    ]
    use_up(sooner, people)
    assert suggest_lot(item, TODAY) == later
    use_up(later, people)
    assert suggest_lot(item, TODAY) is None
    listed = next(p for p in usable_products(people.clinic.pk, TODAY) if p["id"] == item.pk)
    assert not any(x["suggested"] for x in listed["lots"])


def test_the_chart_form_marks_and_offers_the_suggested_lot(people: People) -> None:
    course = ready_course(people)
    lot(people, "LATER", days=40)
    sooner = lot(people, "SOONER", days=20)
    grey = lot(people, "GREY-1", name="Grey market vitamin C")
    Product.objects.filter(pk=grey.product_id).update(authorised_supplier=False)
    page = login(people.practitioner).get(
        f"/staff/test/patients/{people.patient.pk}/record/charts/new/?course={course.pk}"
    )
    html = page.content.decode()
    data = json.loads(re.search(r'id="chart-products"[^>]*>(.*?)</script>', html, re.S).group(1))
    cocktail = next(p for p in data if p["id"] == sooner.product_id)
    assert [(x["number"], x["suggested"]) for x in cocktail["lots"]] == [
        ("SOONER", True),
        ("LATER", False),
    ]
    # Without JavaScript, the plain table's lot choice says it too.
    assert "Hair cocktail, lot SOONER (expires 2026-03-22), 10 ml on hand — use first" in html
    # A product from an unauthorised supplier is flagged where its lot is chosen.
    assert f'id="counterfeit-warning-{grey.product_id}"' in html
    assert "Beware of counterfeit products" in html
    assert "Grey market vitamin C (unauthorised supplier)" in html
    marketed = next(p for p in data if p["id"] == grey.product_id)
    assert "Beware of counterfeit products" in marketed["warning"]
    assert cocktail["warning"] == ""


# -- the lists -------------------------------------------------------------------------------


def test_the_low_stock_list_counts_usable_lots_only(people: People) -> None:
    def item(name: str, level: str, **values: Any) -> Product:
        return product(people.clinic, name, reorder_level=D(level), **values)

    below = item("Below", "5")
    lot(people, "BELOW-1", stock="4", name="Below")
    lot(people, "BELOW-OLD", days=-2, stock="10", name="Below")  # expired: not counted
    at_level = item("At level", "5")
    lot(people, "AT-1", stock="2", name="At level")
    lot(people, "AT-2", stock="3", name="At level")
    above = item("Above", "5")
    lot(people, "ABOVE-1", stock="5.001", name="Above")
    recalled_only = item("Recalled only", "1")
    bad = lot(people, "REC-1", stock="9", name="Recalled only")
    Lot.objects.filter(pk=bad.pk).update(recalled_at=timezone.now(), recall_reason="Recall")
    none_at_all = item("None at all", "2")
    item("No level", "0")
    item("Not stocked", "5", active=False)
    product(people.other_clinic, "Theirs", reorder_level=D(5))

    found = [(row.product, row.on_hand) for row in low_stock(people.clinic, TODAY)]
    assert found == [
        (at_level, D("5.000")),
        (below, D("4.000")),
        (none_at_all, D("0.000")),
        (recalled_only, D("0.000")),
    ]
    assert above not in [p for p, _ in found]
    listed = login(people.front_desk).get(api_url("stock/low")).json()
    assert [(r["name"], r["on_hand"], r["reorder_level"]) for r in listed] == [
        ("At level", "5.000", "5.000"),
        ("Below", "4.000", "5.000"),
        ("None at all", "0.000", "2.000"),
        ("Recalled only", "0.000", "1.000"),
    ]
    page = login(people.front_desk).get(stock_url()).content.decode()
    panel = page[page.index('id="low-stock"') : page.index('id="expiring"')]
    rows = re.findall(r'id="low-\d+"><th scope="row"><a [^>]*>([^<]*)</a></th>(.*?)</tr>', panel)
    assert rows == [
        ("At level", "<td>5 ml</td><td>5 ml</td>"),
        ("Below", "<td>4 ml</td><td>5 ml</td>"),
        ("None at all", "<td>0 ml</td><td>2 ml</td>"),
        ("Recalled only", "<td>0 ml</td><td>1 ml</td>"),
    ]


def test_the_expiring_list_holds_lots_with_stock_expiring_soon_or_expired(
    people: People,
) -> None:
    lot(people, "GONE", days=-3, stock="2")
    lot(people, "GONE-EMPTY", days=-3, stock=None)
    lot(people, "TODAY", days=0, stock="1")
    lot(people, "SOON", days=10, stock="3")
    lot(people, "SOON-EMPTY", days=10, stock=None)
    lot(people, "EDGE", days=60, stock="4")
    lot(people, "LATER", days=61, stock="5")
    bad = lot(people, "RECALLED", days=5, stock="6")
    Lot.objects.filter(pk=bad.pk).update(recalled_at=timezone.now(), recall_reason="Recall")
    make_lot(people.other_clinic, number="THEIRS", expiry=TODAY, product="Hair cocktail")

    found = [
        (r.lot.number, r.on_hand, r.days_left, r.expired) for r in expiring(people.clinic, TODAY)
    ]
    assert found == [
        ("GONE", D("2.000"), -3, True),
        ("TODAY", D("1.000"), 0, False),
        ("SOON", D("3.000"), 10, False),
        ("EDGE", D("4.000"), 60, False),
    ]
    client = login(people.practitioner)
    listed = client.get(api_url("stock/expiring?days=10")).json()
    assert [(r["number"], r["days_left"], r["expired"]) for r in listed] == [
        ("GONE", -3, True),
        ("TODAY", 0, False),
        ("SOON", 10, False),
    ]
    assert client.get(api_url("stock/expiring?days=-1")).status_code == 422
    page = client.get(stock_url("?days=10")).content.decode()
    panel = page[page.index('id="expiring"') : page.index('id="products"')]
    assert re.findall(r'id="expiring-\d+">\s*<th scope="row"><a [^>]*>([^<]+)', panel) == [
        "GONE",
        "TODAY",
        "SOON",
    ]
    assert "expired: discard it" in panel
    # The recalled lot is listed apart, to be returned or destroyed.
    assert 'id="recalled-stock"' in page and "RECALLED" in page


# -- movements by hand -----------------------------------------------------------------------


def test_waste_returns_and_corrections_follow_the_rules(people: People) -> None:
    item = lot(people, "HC-1", stock="2")
    url = api_url(f"stock/lots/{item.pk}/movements")
    practitioner, desk, manager = (
        login(people.practitioner),
        login(people.front_desk),
        login(people.manager),
    )
    refused = [
        (practitioner, {"kind": "wasted", "quantity": "2.5"}, 422, "quantity"),
        (practitioner, {"kind": "wasted", "quantity": "0"}, 422, "quantity"),
        (practitioner, {"kind": "returned", "quantity": "1"}, 403, "kind"),
        (practitioner, {"kind": "adjusted", "quantity": "1", "note": "x"}, 403, "kind"),
        (desk, {"kind": "wasted", "quantity": "1"}, 403, "kind"),
        (desk, {"kind": "adjusted", "quantity": "1", "note": "x"}, 403, "kind"),
        (manager, {"kind": "adjusted", "quantity": "1"}, 422, "note"),
        (manager, {"kind": "adjusted", "quantity": "-3", "note": "Count"}, 422, "quantity"),
        (manager, {"kind": "used", "quantity": "1"}, 422, "kind"),
        (manager, {"kind": "wasted", "quantity": "x"}, 422, "quantity"),
    ]
    for client, body, status, field in refused:
        response = post_json(client, url, body)
        assert response.status_code == status, body
        assert response.json()["errors"][0]["field"] == field, body
    assert on_hand(item) == D("2.000")
    assert post_json(practitioner, url, {"kind": "wasted", "quantity": "0.5"}).status_code == 201
    assert post_json(desk, url, {"kind": "returned", "quantity": "0.5"}).status_code == 201
    found = post_json(manager, url, {"kind": "adjusted", "quantity": "-0.25", "note": "Counted"})
    assert found.status_code == 201
    assert movements()[1:] == [
        ("HC-1", "wasted", D("-0.500"), None),
        ("HC-1", "returned", D("-0.500"), None),
        ("HC-1", "adjusted", D("-0.250"), None),
    ]
    assert on_hand(item) == D("0.750")
    listed = desk.get(url).json()
    assert [(m["kind"], m["quantity"], m["by"]) for m in listed] == [
        ("received", "2.000", "frontdesk"),
        ("wasted", "-0.500", "practitioner"),
        ("returned", "-0.500", "frontdesk"),
        ("adjusted", "-0.250", "manager"),
    ]

    # The lot page offers each role its own kinds only.
    page = practitioner.post(stock_url(f"lots/{item.pk}/"), {"kind": "adjusted", "quantity": "1"})
    assert page.status_code == 400
    assert (
        practitioner.post(
            stock_url(f"lots/{item.pk}/"), {"kind": "wasted", "quantity": "0.25"}
        ).status_code
        == 302
    )
    over = manager.post(stock_url(f"lots/{item.pk}/"), {"kind": "wasted", "quantity": "9"})
    assert over.status_code == 422 and 'id="id_quantity-errors"' in over.content.decode()
    assert on_hand(item) == D("0.500")


# -- products --------------------------------------------------------------------------------


def test_a_manager_adds_and_edits_products_with_catalog_actives(people: People) -> None:
    client = login(people.manager)
    good = {
        "name": "Vitamin C vial",
        "supplier": "Marketplace",
        "authorised_supplier": False,
        "actives": ["vitamin_c"],
        "unit": "ml",
        "reorder_level": "5",
    }
    refused = [
        ({"actives": ["vitamin_c", "unicorn_dust"]}, "actives", "unicorn_dust"),
        ({"name": "  "}, "name", "name"),
        ({"unit": "litre"}, "unit", ""),
        ({"reorder_level": "-1"}, "reorder_level", "0 or more"),
    ]
    for change, field, words in refused:
        response = post_json(client, api_url("stock/products"), good | change)
        assert response.status_code == 422, change
        assert response.json()["errors"][0]["field"] == field, change
        assert words in response.json()["detail"], change
    assert Product.objects.count() == 0
    created = post_json(client, api_url("stock/products"), good)
    assert created.status_code == 201
    made = created.json()
    assert (made["authorised_supplier"], made["actives"], made["reorder_level"]) == (
        False,
        ["vitamin_c"],
        "5.000",
    )
    assert "Beware of counterfeit products" in made["warning"]
    again = post_json(client, api_url("stock/products"), good | {"name": "vitamin c VIAL"})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "name"
    item = Product.objects.get()
    assert item.history.get().history_user == people.manager

    # The page: an unknown active is refused beside its field.
    url = stock_url(f"products/{item.pk}/edit/")
    page = {
        "name": "Vitamin C vial",
        "supplier": "Maker's distributor",
        "authorised_supplier": "on",
        "actives": ["vitamin_c", "unicorn_dust"],
        "unit": "ml",
        "reorder_level": "5",
        "active": "on",
    }
    response = client.post(url, page)
    assert response.status_code == 400 and 'id="id_actives-errors"' in response.content.decode()
    assert client.post(url, page | {"actives": ["vitamin_c"]}).status_code == 302
    item.refresh_from_db()
    assert (item.supplier, item.authorised_supplier) == ("Maker's distributor", True)
    assert client.get(stock_url("products/new/")).status_code == 200
    made = client.post(stock_url("products/new/"), page | {"name": "HA 1%", "actives": []})
    assert made.status_code == 302
    assert Product.objects.count() == 2


def test_an_unauthorised_supplier_is_flagged_on_the_stock_pages(people: People) -> None:
    grey = lot(people, "GREY-1", name="Grey market vitamin C")
    Product.objects.filter(pk=grey.product_id).update(
        authorised_supplier=False, supplier="Marketplace"
    )
    lot(people, "OK-1")
    client = login(people.front_desk)
    page = client.get(stock_url()).content.decode()
    assert 'id="counterfeit-warning"' in page
    assert f'id="unauthorised-{grey.product_id}"' in page
    assert page.count("Unauthorised supplier: beware of counterfeit products") == 1
    lot_page = client.get(stock_url(f"lots/{grey.pk}/")).content.decode()
    assert 'id="counterfeit-warning"' in lot_page
    assert "Beware of counterfeit products" in lot_page
    receive = client.get(stock_url("receive/")).content.decode()
    assert "Grey market vitamin C (ml) — unauthorised supplier" in receive


# -- who may --------------------------------------------------------------------------------


def test_stock_pages_follow_the_roles(people: People) -> None:
    item = lot(people, "HC-1")
    theirs = make_lot(people.other_clinic, number="THEIRS")
    pages = [
        stock_url(),
        stock_url("receive/"),
        stock_url(f"lots/{item.pk}/"),
        stock_url("products/new/"),
        stock_url(f"products/{item.product_id}/edit/"),
    ]
    allowed = {
        "front_desk": [200, 200, 200, 403, 403],
        "practitioner": [200, 403, 200, 403, 403],
        "manager": [200, 200, 200, 200, 200],
        "outsider": [404, 404, 404, 404, 404],
        "patient": [404, 404, 404, 404, 404],
    }
    for who, statuses in allowed.items():
        user = getattr(people, who) if who != "patient" else people.patient.user
        client = login(user)
        assert [client.get(url).status_code for url in pages] == statuses, who
    assert Client().get(stock_url()).status_code == 302  # to the login page
    # Another clinic's lot is not found, even by a manager here.
    assert login(people.manager).get(stock_url(f"lots/{theirs.pk}/")).status_code == 404
    # A refused write writes nothing.
    before = (Lot.objects.count(), movements(), Product.objects.count())
    data = {"product": item.product_id, "number": "N", "expiry": "2027-01-01", "quantity": "1"}
    assert login(people.practitioner).post(stock_url("receive/"), data).status_code == 403
    assert login(people.outsider).post(stock_url("receive/"), data).status_code == 404
    assert (
        login(people.front_desk).post(stock_url("products/new/"), {"name": "X"}).status_code == 403
    )
    assert (Lot.objects.count(), movements(), Product.objects.count()) == before


def test_the_stock_api_follows_the_roles(people: People) -> None:
    item = lot(people, "HC-1")
    reads = [
        "stock/products",
        "stock/lots",
        f"stock/lots/{item.pk}/movements",
        "stock/low",
        "stock/expiring",
    ]
    for who in ("front_desk", "practitioner", "manager"):
        client = login(getattr(people, who))
        assert [client.get(api_url(r)).status_code for r in reads] == [200] * 5, who
    for client, status in (
        (login(people.outsider), 404),
        (login(people.patient.user), 404),
        (Client(), 401),
    ):
        assert [client.get(api_url(r)).status_code for r in reads] == [status] * 5
    body = {"product": item.product_id, "number": "N-1", "expiry": "2027-01-01", "quantity": "1"}
    new = {"name": "New product", "actives": []}
    before = (Lot.objects.count(), movements(), Product.objects.count())
    assert post_json(login(people.practitioner), api_url("stock/lots"), body).status_code == 403
    assert post_json(login(people.outsider), api_url("stock/lots"), body).status_code == 404
    assert post_json(login(people.practitioner), api_url("stock/products"), new).status_code == 403
    assert post_json(login(people.front_desk), api_url("stock/products"), new).status_code == 403
    assert (Lot.objects.count(), movements(), Product.objects.count()) == before
    assert post_json(login(people.front_desk), api_url("stock/lots"), body).status_code == 201
    assert post_json(login(people.manager), api_url("stock/products"), new).status_code == 201
    # Another clinic's lot is unknown here.
    theirs = make_lot(people.other_clinic, number="THEIRS")
    assert (
        login(people.manager).get(api_url(f"stock/lots/{theirs.pk}/movements")).status_code == 404
    )
    lots = login(people.practitioner).get(api_url("stock/lots")).json()
    assert [(x["number"], x["on_hand"], x["usable_today"]) for x in lots] == [
        ("N-1", "1.000", True),
        ("HC-1", "10.000", True),
    ]
