"""The forms of the charting pages, and reading the injection map.

The map arrives one of two ways: with JavaScript, a hidden ``points`` field
holds a JSON list of {diagram, x, y, zone, product, lot, volume_ml,
depth_mm}; without it, a plain table of rows ``row-<i>-<field>`` names a
zone of the drawing instead of x and y, and the point is placed at the
zone's centre. Either way the result is a list of PointValues, or errors
naming ``points.<i>.<field>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from clinical.charting import PointValues
from clinical.diagrams import DRAWINGS, Drawing
from clinical.models import Diagram, InjectionPoint, SessionChart
from clinics.models import Clinic, Device
from core.catalog.model import Catalog, Protocol
from stock.models import Lot, Product

PLAIN_ROWS = 12
MAX_POINTS = 500


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


def technique_choices(catalog: Catalog, protocol: Protocol | None) -> list[tuple[str, str]]:
    """The protocol's techniques first, then the others."""
    first = list(protocol.techniques) if protocol else []
    rest = [k for k in catalog.techniques if k not in first]
    return [(k, gettext(catalog.techniques[k].name)) for k in first + rest]


def depth_choices(catalog: Catalog, protocol: Protocol | None) -> list[tuple[str, str]]:
    first = list(protocol.depth) if protocol else []
    rest = [k for k in catalog.depth_tiers if k not in first]
    choices = []
    for key in first + rest:
        tier = catalog.depth_tiers[key]
        choices.append(
            (key, f"{gettext(tier.name)} ({tier.depth_mm.min:g}-{tier.depth_mm.max:g} mm)")
        )
    return choices


class SessionFieldsForm(forms.Form):
    """The chart's own fields: used to chart a session and to amend it."""

    technique = forms.ChoiceField(label=gettext_lazy("Technique"))
    device = forms.ModelChoiceField(
        label=gettext_lazy("Device"),
        queryset=Device.objects.none(),
        required=False,
        empty_label=gettext_lazy("None (syringe by hand)"),
    )
    needle_gauge = forms.IntegerField(
        label=gettext_lazy("Needle gauge (G)"), required=False, min_value=1, max_value=99
    )
    needle_length_mm = forms.DecimalField(
        label=gettext_lazy("Needle length (mm)"),
        required=False,
        min_value=Decimal("0.1"),
        max_digits=4,
        decimal_places=1,
    )
    depth = forms.ChoiceField(label=gettext_lazy("Depth"))
    numbing = forms.CharField(
        label=gettext_lazy("Numbing used"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Leave blank when none was used."),
    )
    numbing_minutes = forms.IntegerField(
        label=gettext_lazy("Numbing time (minutes)"), min_value=0, max_value=600, initial=0
    )
    procedure_minutes = forms.IntegerField(
        label=gettext_lazy("Procedure time (minutes)"), min_value=1, max_value=600
    )
    immediate_reactions = forms.CharField(
        label=gettext_lazy("Immediate reactions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: Any, clinic: Clinic, catalog: Catalog, protocol: Protocol | None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["technique"].choices = technique_choices(catalog, protocol)  # type: ignore[attr-defined]
        self.fields["depth"].choices = depth_choices(catalog, protocol)  # type: ignore[attr-defined]
        self.fields["device"].queryset = Device.objects.filter(clinic=clinic).order_by("name")  # type: ignore[attr-defined]


class ChartForm(SessionFieldsForm):
    session_number = forms.IntegerField(label=gettext_lazy("Session number"), min_value=1)
    area = forms.CharField(widget=forms.HiddenInput)
    performed_on = forms.DateField(
        label=gettext_lazy("Day of the session"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    points = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"id": "id_points"}))

    field_order = ["session_number", "performed_on", "area"]


class AmendChartForm(SessionFieldsForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the amendment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required. Kept with the amendment, with your name and the time."),
    )

    def __init__(self, *args: Any, chart: SessionChart, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if not self.is_bound:
            for name in self.fields:
                if name != "reason":
                    self.initial[name] = getattr(chart, name)


class AmendPointForm(forms.Form):
    zone = forms.CharField(label=gettext_lazy("Zone"), required=False, max_length=60)
    x = forms.FloatField(label=gettext_lazy("Across (0-1)"), min_value=0, max_value=1)
    y = forms.FloatField(label=gettext_lazy("Down (0-1)"), min_value=0, max_value=1)
    product = forms.ModelChoiceField(label=gettext_lazy("Product"), queryset=Product.objects.none())
    lot = forms.ModelChoiceField(label=gettext_lazy("Lot"), queryset=Lot.objects.none())
    volume_ml = forms.DecimalField(
        label=gettext_lazy("Volume (ml)"),
        max_digits=5,
        decimal_places=3,
        min_value=Decimal("0.001"),
    )
    depth_mm = forms.DecimalField(
        label=gettext_lazy("Depth (mm)"), max_digits=4, decimal_places=1, min_value=Decimal("0.1")
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the amendment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required. Kept with the amendment, with your name and the time."),
    )

    def __init__(self, *args: Any, point: InjectionPoint, **kw: Any) -> None:
        super().__init__(*args, **kw)
        products = Product.objects.filter(clinic_id=point.clinic_id)
        self.fields["product"].queryset = products  # type: ignore[attr-defined]
        lots = Lot.objects.filter(product__clinic_id=point.clinic_id).select_related("product")
        self.fields["lot"].queryset = lots  # type: ignore[attr-defined]
        self.fields["lot"].label_from_instance = lot_label  # type: ignore[attr-defined]
        if not self.is_bound:
            for name in ("zone", "x", "y", "product", "lot", "volume_ml", "depth_mm"):
                self.initial[name] = getattr(point, name)


def lot_label(lot: Lot) -> str:
    return gettext("%(product)s, lot %(number)s (expires %(expiry)s)") % {
        "product": lot.product.name,
        "number": lot.number,
        "expiry": lot.expiry.isoformat(),
    }


# -- the injection map ---------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _point(item: Any, index: int, errors: list[FieldError]) -> PointValues | None:
    at = f"points.{index}"
    n = index + 1
    if not isinstance(item, dict):
        errors.append(FieldError(at, gettext("Point %(n)s is not readable.") % {"n": n}))
        return None
    found = len(errors)
    diagram = item.get("diagram")
    if diagram not in Diagram.values:
        errors.append(FieldError(f"{at}.diagram", gettext("Point %(n)s: no drawing.") % {"n": n}))
    x, y = _number(item.get("x")), _number(item.get("y"))
    if x is None or y is None:
        errors.append(
            FieldError(f"{at}.x", gettext("Point %(n)s: no place on the drawing.") % {"n": n})
        )
    product, lot = _id(item.get("product")), _id(item.get("lot"))
    if product is None:
        errors.append(
            FieldError(f"{at}.product", gettext("Point %(n)s: choose the product.") % {"n": n})
        )
    if lot is None:
        errors.append(FieldError(f"{at}.lot", gettext("Point %(n)s: choose the lot.") % {"n": n}))
    volume = _decimal(item.get("volume_ml"))
    if volume is None:
        errors.append(
            FieldError(
                f"{at}.volume_ml", gettext("Point %(n)s: enter the volume in ml.") % {"n": n}
            )
        )
    depth = _decimal(item.get("depth_mm"))
    if depth is None:
        errors.append(
            FieldError(f"{at}.depth_mm", gettext("Point %(n)s: enter the depth in mm.") % {"n": n})
        )
    zone = item.get("zone") or ""
    if not isinstance(zone, str) or len(zone) > 60:
        errors.append(FieldError(f"{at}.zone", gettext("Point %(n)s: zone too long.") % {"n": n}))
        zone = ""
    if len(errors) > found:
        return None
    assert x is not None and y is not None and volume is not None and depth is not None
    return PointValues(str(diagram), x, y, product, lot, volume, depth, zone)


def points_from_json(text: str) -> tuple[list[PointValues], list[FieldError]]:
    try:
        items = json.loads(text)
    except ValueError:
        return [], [FieldError("points", gettext("The injection map could not be read."))]
    if not isinstance(items, list):
        return [], [FieldError("points", gettext("The injection map could not be read."))]
    if len(items) > MAX_POINTS:
        return [], [FieldError("points", gettext("Too many points on one chart."))]
    errors: list[FieldError] = []
    points = [_point(item, i, errors) for i, item in enumerate(items)]
    return [p for p in points if p is not None], errors


def points_from_rows(
    data: Any, drawing: Drawing, rows: int = PLAIN_ROWS
) -> tuple[list[PointValues], list[FieldError]]:
    """The plain table's filled rows; a row is filled when any of its
    product, lot, volume or depth is."""
    items = []
    errors: list[FieldError] = []
    for row in range(rows):
        get = lambda name, row=row: (data.get(f"row-{row}-{name}") or "").strip()  # noqa: E731
        values = {k: get(k) for k in ("zone", "product", "lot", "volume_ml", "depth_mm")}
        if not any(values[k] for k in ("product", "lot", "volume_ml", "depth_mm")):
            continue
        index = len(items)
        zone = drawing.zone(values["zone"])
        if zone is None:
            errors.append(
                FieldError(
                    f"points.{index}.zone",
                    gettext("Point %(n)s: choose the zone.") % {"n": index + 1},
                )
            )
        lot = Lot.objects.filter(pk=_id(values["lot"])).only("product_id").first()
        product = values["product"] or (str(lot.product_id) if lot else "")
        items.append(
            {
                "diagram": drawing.key,
                # Without a zone the row is refused above; 0.5 keeps one message.
                "x": zone.x if zone else 0.5,
                "y": zone.y if zone else 0.5,
                "zone": values["zone"],
                "product": product,
                "lot": values["lot"],
                "volume_ml": values["volume_ml"],
                "depth_mm": values["depth_mm"],
            }
        )
    points: list[PointValues] = []
    for index, item in enumerate(items):
        point = _point(item, index, errors)
        if point is not None:
            points.append(point)
    return points, errors


def drawing_for(catalog: Catalog, area: str) -> Drawing:
    found = catalog.areas.get(area)
    return DRAWINGS[found.diagram if found else "face"]
