"""Checks of a session chart against its protocol and the session day.

Errors refuse the chart: what was injected must be traceable and possible
(a lot usable on the day, of the product named, from the clinic's own
stock; a point on the drawing; a volume and a depth). Warnings only point
out where the chart leaves the protocol's ranges (needle, depth, volume
per point, number of points, minutes): they support the practitioner's
judgement and never replace it, so they never refuse a chart.

Sources of the ranges: the protocol (protocols.toml, each with its own
sources), the depth tiers (depth_tiers.toml: trainers, Konda2013) and the
delivery devices (techniques.toml: SEME). Recording the lot and the device
is what makes an outbreak traceable (DOMAIN.md: Munayco2008, EIMC2011).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.catalog.model import Catalog, FloatRange, Protocol

# The clinic's kinds of device (clinics.models.DeviceKind) for each device a
# technique names in techniques.toml; a technique with no device is given by
# hand with a syringe.
DEVICE_KINDS: dict[str, str] = {
    "mesotherapy gun": "injector_gun",
    "dermapen": "dermapen",
    "dermaroller": "dermaroller",
    "pressure jet injector": "pressure_jet",
    "ultrasonic device": "needle_free",
}


@dataclass(frozen=True)
class LotFacts:
    """What the check needs to know of a lot."""

    number: str
    product_id: int
    expiry: date
    recalled: bool


@dataclass(frozen=True)
class PointDraft:
    """One point as charted. ``product_clinic_id`` None: no such product."""

    diagram: str
    x: float
    y: float
    product_id: int | None
    product_clinic_id: int | None
    lot: LotFacts | None  # None: no such lot
    volume_ml: Decimal
    depth_mm: Decimal
    zone: str = ""


@dataclass(frozen=True)
class ChartDraft:
    clinic_id: int
    day: date  # the session day, at the clinic
    area: str
    protocol: str
    technique: str
    depth: str
    needle_gauge: int | None
    needle_length_mm: Decimal | None
    numbing_minutes: int
    procedure_minutes: int
    points: tuple[PointDraft, ...]


@dataclass(frozen=True)
class Issue:
    """An error or a warning; ``field`` is the dotted path of the input
    (``points.2.lot``: the third point, counting from 0)."""

    field: str
    code: str
    message: str


@dataclass(frozen=True)
class ChartCheck:
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def device_kind(catalog: Catalog, technique: str) -> str | None:
    """The kind of device ``technique`` needs; None when it needs none (a
    syringe) or the technique is unknown."""
    found = catalog.techniques.get(technique)
    if found is None or not found.device:
        return None
    return DEVICE_KINDS.get(found.device)


def lot_errors(lot: LotFacts | None, product_id: int | None, day: date, field: str) -> list[Issue]:
    """Why ``lot`` may not be charted for ``product_id`` on ``day``. The
    expiry date printed on the vial is its last usable day."""
    if lot is None:
        return [Issue(field, "no_lot", "Choose a lot of this clinic's stock.")]
    errors = []
    if product_id is not None and lot.product_id != product_id:
        errors.append(
            Issue(field, "lot_of_another_product", f"Lot {lot.number} is not of this product.")
        )
    if lot.recalled:
        errors.append(
            Issue(field, "lot_recalled", f"Lot {lot.number} was recalled; it may not be used.")
        )
    if day > lot.expiry:
        errors.append(
            Issue(
                field,
                "lot_expired",
                f"Lot {lot.number} expired on {lot.expiry.isoformat()}, "
                f"before the session on {day.isoformat()}.",
            )
        )
    return errors


def point_errors(
    point: PointDraft, index: int, clinic_id: int, diagram: str | None, day: date
) -> list[Issue]:
    """Why one point may not be charted. ``diagram`` is the drawing of the
    chart's area (None when the area is unknown: not checked here)."""
    at = f"points.{index}"
    n = index + 1
    errors = []
    if diagram is not None and point.diagram != diagram:
        errors.append(
            Issue(
                f"{at}.diagram",
                "wrong_diagram",
                f"Point {n} is on the {point.diagram} drawing; this area is charted on the "
                f"{diagram} drawing.",
            )
        )
    if not (0 <= point.x <= 1 and 0 <= point.y <= 1):
        errors.append(Issue(f"{at}.x", "off_diagram", f"Point {n} lies outside the drawing."))
    if point.product_clinic_id != clinic_id:
        errors.append(
            Issue(
                f"{at}.product",
                "not_our_product",
                f"Point {n}: choose one of this clinic's products.",
            )
        )
        product_id = None
    else:
        product_id = point.product_id
    errors += [
        Issue(e.field, e.code, f"Point {n}: {e.message}")
        for e in lot_errors(point.lot, product_id, day, f"{at}.lot")
    ]
    if not point.volume_ml > 0:
        errors.append(
            Issue(f"{at}.volume_ml", "no_volume", f"Point {n}: give a volume above 0 ml.")
        )
    if not point.depth_mm > 0:
        errors.append(Issue(f"{at}.depth_mm", "no_depth", f"Point {n}: give a depth above 0 mm."))
    return errors


def _outside(value: float, bounds: FloatRange) -> bool:
    return value < bounds.min or value > bounds.max


def _mm(value: float) -> str:
    return f"{value:g}"


def depth_range(catalog: Catalog, protocol: Protocol) -> FloatRange | None:
    """The span of the protocol's depth tiers, in mm; None when it names none."""
    tiers = [catalog.depth_tiers[k] for k in protocol.depth if k in catalog.depth_tiers]
    if not tiers:
        return None
    return FloatRange(min(t.depth_mm.min for t in tiers), max(t.depth_mm.max for t in tiers))


def _warnings(catalog: Catalog, draft: ChartDraft, protocol: Protocol) -> list[Issue]:
    warnings = []
    if draft.technique in catalog.techniques and draft.technique not in protocol.techniques:
        warnings.append(
            Issue(
                "technique",
                "technique_outside_protocol",
                f"The protocol '{protocol.name}' does not list this technique.",
            )
        )
    if draft.depth in catalog.depth_tiers and draft.depth not in protocol.depth:
        warnings.append(
            Issue(
                "depth",
                "depth_outside_protocol",
                f"The protocol '{protocol.name}' does not list this depth.",
            )
        )
    needle = protocol.needle
    if draft.needle_gauge is not None and draft.needle_gauge not in needle.gauge:
        gauges = ", ".join(f"{g}G" for g in needle.gauge)
        warnings.append(
            Issue(
                "needle_gauge",
                "gauge_outside_protocol",
                f"A {draft.needle_gauge}G needle; the protocol gives {gauges}.",
            )
        )
    if draft.needle_length_mm is not None and _outside(
        float(draft.needle_length_mm), needle.length_mm
    ):
        warnings.append(
            Issue(
                "needle_length_mm",
                "needle_length_outside_protocol",
                f"A {_mm(float(draft.needle_length_mm))} mm needle; the protocol gives "
                f"{_mm(needle.length_mm.min)}-{_mm(needle.length_mm.max)} mm.",
            )
        )
    depths = depth_range(catalog, protocol)
    volumes = protocol.volume_per_point_ml
    for index, point in enumerate(draft.points):
        n = index + 1
        if depths is not None and point.depth_mm > 0 and _outside(float(point.depth_mm), depths):
            warnings.append(
                Issue(
                    f"points.{index}.depth_mm",
                    "depth_outside_protocol",
                    f"Point {n} at {_mm(float(point.depth_mm))} mm; the protocol's depths span "
                    f"{_mm(depths.min)}-{_mm(depths.max)} mm.",
                )
            )
        if (
            volumes is not None
            and point.volume_ml > 0
            and _outside(float(point.volume_ml), volumes)
        ):
            span = (
                f"{_mm(volumes.min)} ml"
                if volumes.min == volumes.max
                else f"{_mm(volumes.min)}-{_mm(volumes.max)} ml"
            )
            warnings.append(
                Issue(
                    f"points.{index}.volume_ml",
                    "volume_outside_protocol",
                    f"Point {n} has {_mm(float(point.volume_ml))} ml; the protocol gives "
                    f"{span} per point.",
                )
            )
    if protocol.max_points is not None and len(draft.points) > protocol.max_points:
        warnings.append(
            Issue(
                "points",
                "too_many_points",
                f"{len(draft.points)} points; the protocol gives at most "
                f"{protocol.max_points} a treatment.",
            )
        )
    minutes = protocol.numbing_minutes
    if draft.numbing_minutes > 0 and not minutes.contains(draft.numbing_minutes):
        warnings.append(
            Issue(
                "numbing_minutes",
                "numbing_outside_protocol",
                f"Numbing for {draft.numbing_minutes} min; the protocol gives "
                f"{minutes.min}-{minutes.max} min.",
            )
        )
    minutes = protocol.procedure_minutes
    if draft.procedure_minutes > 0 and not minutes.contains(draft.procedure_minutes):
        warnings.append(
            Issue(
                "procedure_minutes",
                "procedure_outside_protocol",
                f"A procedure of {draft.procedure_minutes} min; the protocol gives "
                f"{minutes.min}-{minutes.max} min.",
            )
        )
    return warnings


def check_chart(catalog: Catalog, draft: ChartDraft) -> ChartCheck:
    """The errors that refuse ``draft`` and the warnings to show beside it."""
    errors: list[Issue] = []
    area = catalog.areas.get(draft.area)
    if area is None:
        errors.append(Issue("area", "unknown_area", "Choose one of the course's areas."))
    if draft.technique not in catalog.techniques:
        errors.append(Issue("technique", "unknown_technique", "Choose a technique."))
    if draft.depth not in catalog.depth_tiers:
        errors.append(Issue("depth", "unknown_depth", "Choose a depth."))
    if draft.procedure_minutes <= 0:
        errors.append(
            Issue("procedure_minutes", "no_procedure_time", "Give the procedure time in minutes.")
        )
    if draft.numbing_minutes < 0:
        errors.append(
            Issue("numbing_minutes", "negative_minutes", "Numbing minutes cannot be negative.")
        )
    if draft.needle_gauge is not None and draft.needle_gauge <= 0:
        errors.append(Issue("needle_gauge", "bad_gauge", "Give the needle gauge, e.g. 30."))
    if draft.needle_length_mm is not None and draft.needle_length_mm <= 0:
        errors.append(Issue("needle_length_mm", "bad_length", "Give the needle length above 0 mm."))
    if not draft.points:
        errors.append(
            Issue("points", "no_points", "Mark at least one point or zone on the drawing.")
        )
    diagram = area.diagram if area is not None else None
    for index, point in enumerate(draft.points):
        errors += point_errors(point, index, draft.clinic_id, diagram, draft.day)
    protocol = catalog.protocols.get(draft.protocol)
    warnings = _warnings(catalog, draft, protocol) if protocol is not None else []
    return ChartCheck(tuple(errors), tuple(warnings))
