"""Checks of a session chart: errors refuse it, warnings only inform."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from core.catalog import load_catalog
from core.charting import (
    ChartDraft,
    LotFacts,
    PointDraft,
    check_chart,
    depth_range,
    device_kind,
    lot_errors,
)

CATALOG = load_catalog()
DAY = date(2026, 3, 2)
CLINIC = 1
PRODUCT = 10


def lot(**changes: object) -> LotFacts:
    return replace(LotFacts("L1", PRODUCT, DAY + timedelta(days=90), False), **changes)


def point(**changes: object) -> PointDraft:
    base = PointDraft(
        diagram="scalp",
        x=0.5,
        y=0.4,
        product_id=PRODUCT,
        product_clinic_id=CLINIC,
        lot=lot(),
        volume_ml=Decimal("0.05"),
        depth_mm=Decimal("1.5"),
    )
    return replace(base, **changes)


def draft(**changes: object) -> ChartDraft:
    base = ChartDraft(
        clinic_id=CLINIC,
        day=DAY,
        area="scalp",
        protocol="hair_loss_taper",
        technique="syringe",
        depth="nappage",
        needle_gauge=30,
        needle_length_mm=Decimal("4"),
        numbing_minutes=20,
        procedure_minutes=30,
        points=(point(), point(x=0.6)),
    )
    return replace(base, **changes)


def codes(issues: tuple[object, ...]) -> list[tuple[str, str]]:
    return [(i.field, i.code) for i in issues]  # type: ignore[attr-defined]


def test_a_chart_within_its_protocol_has_no_error_and_no_warning() -> None:
    check = check_chart(CATALOG, draft())
    assert check.errors == ()
    assert check.warnings == ()
    assert check.ok


def test_a_lot_that_expired_the_day_before_the_session_is_refused() -> None:
    check = check_chart(CATALOG, draft(points=(point(), point(lot=lot(expiry=DAY - timedelta(1))))))
    assert codes(check.errors) == [("points.1.lot", "lot_expired")]
    assert "Point 2" in check.errors[0].message


def test_a_lot_is_still_usable_on_its_expiry_date() -> None:
    check = check_chart(CATALOG, draft(points=(point(lot=lot(expiry=DAY)),)))
    assert check.errors == ()


def test_a_recalled_lot_is_refused() -> None:
    check = check_chart(CATALOG, draft(points=(point(lot=lot(recalled=True)),)))
    assert codes(check.errors) == [("points.0.lot", "lot_recalled")]


def test_a_lot_of_another_product_is_refused() -> None:
    check = check_chart(CATALOG, draft(points=(point(lot=lot(product_id=PRODUCT + 1)),)))
    assert codes(check.errors) == [("points.0.lot", "lot_of_another_product")]


def test_a_product_of_another_clinic_or_none_is_refused() -> None:
    other = point(product_clinic_id=CLINIC + 1)
    missing = point(product_id=None, product_clinic_id=None)
    check = check_chart(CATALOG, draft(points=(other, missing)))
    assert codes(check.errors) == [
        ("points.0.product", "not_our_product"),
        ("points.1.product", "not_our_product"),
    ]


def test_an_unknown_lot_is_refused() -> None:
    check = check_chart(CATALOG, draft(points=(point(lot=None),)))
    assert codes(check.errors) == [("points.0.lot", "no_lot")]


def test_volume_and_depth_must_be_above_zero() -> None:
    check = check_chart(
        CATALOG, draft(points=(point(volume_ml=Decimal(0), depth_mm=Decimal("-1")),))
    )
    assert codes(check.errors) == [
        ("points.0.volume_ml", "no_volume"),
        ("points.0.depth_mm", "no_depth"),
    ]


def test_a_point_off_the_drawing_is_refused() -> None:
    check = check_chart(CATALOG, draft(points=(point(x=1.01), point(y=-0.1), point(x=1, y=0))))
    assert codes(check.errors) == [("points.0.x", "off_diagram"), ("points.1.x", "off_diagram")]


def test_a_point_on_another_areas_drawing_is_refused() -> None:
    check = check_chart(CATALOG, draft(points=(point(diagram="face"),)))
    assert codes(check.errors) == [("points.0.diagram", "wrong_diagram")]


def test_the_drawing_follows_the_catalog_area() -> None:
    face = draft(area="around_eyes", points=(point(diagram="face"),))
    assert check_chart(CATALOG, face).errors == ()


def test_a_chart_without_points_is_refused() -> None:
    assert codes(check_chart(CATALOG, draft(points=())).errors) == [("points", "no_points")]


def test_unknown_technique_depth_and_area_are_refused() -> None:
    check = check_chart(CATALOG, draft(technique="laser", depth="deep", area="elbow"))
    assert codes(check.errors) == [
        ("area", "unknown_area"),
        ("technique", "unknown_technique"),
        ("depth", "unknown_depth"),
    ]


def test_outside_the_needle_ranges_is_a_warning_not_an_error() -> None:
    check = check_chart(CATALOG, draft(needle_gauge=25, needle_length_mm=Decimal("2")))
    assert check.errors == ()
    assert codes(check.warnings) == [
        ("needle_gauge", "gauge_outside_protocol"),
        ("needle_length_mm", "needle_length_outside_protocol"),
    ]
    assert check.warnings[0].message == "A 25G needle; the protocol gives 27G, 30G, 31G, 32G."


def test_a_point_deeper_than_the_protocols_depth_tiers_is_a_warning() -> None:
    # hair_loss_taper: nappage (0-2), papule (1-2), deep intradermal (2-4).
    protocol = CATALOG.protocols["hair_loss_taper"]
    assert (depth_range(CATALOG, protocol).min, depth_range(CATALOG, protocol).max) == (0, 4)
    check = check_chart(
        CATALOG, draft(points=(point(depth_mm=Decimal("4")), point(depth_mm=Decimal("6"))))
    )
    assert codes(check.warnings) == [("points.1.depth_mm", "depth_outside_protocol")]


def test_volume_per_point_and_number_of_points_follow_the_protocol() -> None:
    # double_chin_deoxycholic: 0.2 ml per point, at most 50 points (KybellaLabel).
    points = tuple(
        point(diagram="face", volume_ml=Decimal("0.2"), depth_mm=Decimal("5")) for _ in range(50)
    )
    chin = draft(
        area="submental",
        protocol="double_chin_deoxycholic",
        depth="hypodermic",
        needle_length_mm=Decimal("13"),
        points=points,
    )
    assert check_chart(CATALOG, chin).warnings == ()
    more = replace(chin, points=(*points, replace(points[0], volume_ml=Decimal("0.3"))))
    assert codes(check_chart(CATALOG, more).warnings) == [
        ("points.50.volume_ml", "volume_outside_protocol"),
        ("points", "too_many_points"),
    ]


def test_minutes_outside_the_protocol_are_warnings_and_no_numbing_is_no_warning() -> None:
    check = check_chart(CATALOG, draft(numbing_minutes=5, procedure_minutes=90))
    assert check.errors == ()
    assert codes(check.warnings) == [
        ("numbing_minutes", "numbing_outside_protocol"),
        ("procedure_minutes", "procedure_outside_protocol"),
    ]
    assert check_chart(CATALOG, draft(numbing_minutes=0)).warnings == ()


def test_a_technique_or_depth_the_protocol_does_not_list_is_a_warning() -> None:
    check = check_chart(CATALOG, draft(technique="pressure_jet", depth="hypodermic"))
    assert check.errors == ()
    assert ("technique", "technique_outside_protocol") in codes(check.warnings)
    assert ("depth", "depth_outside_protocol") in codes(check.warnings)


def test_an_unknown_protocol_gives_no_warnings_but_still_errors() -> None:
    check = check_chart(CATALOG, draft(protocol="gone", needle_gauge=12, points=()))
    assert check.warnings == ()
    assert codes(check.errors) == [("points", "no_points")]


def test_techniques_name_the_kind_of_device_they_need() -> None:
    assert device_kind(CATALOG, "syringe") is None
    assert device_kind(CATALOG, "injector_gun") == "injector_gun"
    assert device_kind(CATALOG, "dermapen_stamping") == "dermapen"
    assert device_kind(CATALOG, "needle_free") == "needle_free"
    assert device_kind(CATALOG, "unknown") is None
    # Every device a technique names maps to a kind of device.
    for technique in CATALOG.techniques.values():
        assert (technique.device == "") == (device_kind(CATALOG, technique.key) is None)


def test_lot_errors_name_the_field_given() -> None:
    errors = lot_errors(lot(expiry=DAY - timedelta(days=1), recalled=True), PRODUCT, DAY, "lot")
    assert codes(tuple(errors)) == [("lot", "lot_recalled"), ("lot", "lot_expired")]
