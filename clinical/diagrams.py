"""The drawings an injection map is marked on, and their named zones.

Each drawing is an SVG template (clinical/diagrams/<key>.svg) with a fixed
viewBox of ``width`` x ``height``; a point stored as fractions (x, y) is
drawn at (x * width, y * height). The zones are where a point lands when it
is described by name instead of clicked (the page without JavaScript, the
keyboard): at the zone's centre. Sides are the patient's own: on the face
seen from the front the patient's right is on the viewer's left; on the
scalp seen from above (forehead at the top) and on the back of the body it
is on the viewer's right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Zone:
    key: str
    label: str | Promise
    x: float
    y: float


@dataclass(frozen=True)
class Drawing:
    key: str
    label: str | Promise
    width: int
    height: int
    zones: tuple[Zone, ...]

    @property
    def template(self) -> str:
        return f"clinical/diagrams/{self.key}.svg"

    def zone(self, key: str) -> Zone | None:
        return next((z for z in self.zones if z.key == key), None)

    def zone_label(self, key: str) -> str:
        """The zone's label, or ``key`` itself for a zone typed freely."""
        found = self.zone(key)
        return str(found.label) if found else key


FACE = Drawing(
    "face",
    _("Face, from the front"),
    300,
    400,
    (
        Zone("forehead", _("Forehead"), 0.5, 0.25),
        Zone("glabella", _("Between the eyebrows"), 0.5, 0.355),
        Zone("right_temple", _("Right temple"), 0.227, 0.375),
        Zone("left_temple", _("Left temple"), 0.773, 0.375),
        Zone("right_eye", _("Under the right eye"), 0.393, 0.445),
        Zone("left_eye", _("Under the left eye"), 0.607, 0.445),
        Zone("nose", _("Nose"), 0.5, 0.4875),
        Zone("right_cheek", _("Right cheek"), 0.317, 0.5375),
        Zone("left_cheek", _("Left cheek"), 0.683, 0.5375),
        Zone("right_nasolabial", _("Right nasolabial fold"), 0.417, 0.5875),
        Zone("left_nasolabial", _("Left nasolabial fold"), 0.583, 0.5875),
        Zone("lips", _("Lips"), 0.5, 0.63),
        Zone("right_jawline", _("Right jawline"), 0.283, 0.6625),
        Zone("left_jawline", _("Left jawline"), 0.717, 0.6625),
        Zone("chin", _("Chin"), 0.5, 0.73),
        Zone("submental", _("Under the chin"), 0.5, 0.8125),
        Zone("neck", _("Neck"), 0.5, 0.925),
    ),
)

SCALP = Drawing(
    "scalp",
    _("Scalp, from above (forehead at the top)"),
    300,
    360,
    (
        Zone("hairline", _("Frontal hairline"), 0.5, 0.208),
        Zone("frontal", _("Front of the scalp"), 0.5, 0.306),
        Zone("left_temporal", _("Left temple"), 0.217, 0.472),
        Zone("mid_scalp", _("Middle of the scalp"), 0.5, 0.472),
        Zone("right_temporal", _("Right temple"), 0.783, 0.472),
        Zone("left_parietal", _("Left side, behind the crown"), 0.283, 0.639),
        Zone("crown", _("Crown"), 0.5, 0.639),
        Zone("right_parietal", _("Right side, behind the crown"), 0.717, 0.639),
        Zone("occipital", _("Back of the head"), 0.5, 0.819),
    ),
)

BODY = Drawing(
    "body",
    _("Body, front and back"),
    480,
    480,
    (
        Zone("right_arm_front", _("Right arm, front"), 0.125, 0.354),
        Zone("left_arm_front", _("Left arm, front"), 0.375, 0.354),
        Zone("abdomen", _("Stomach (abdomen)"), 0.25, 0.396),
        Zone("right_hip", _("Right hip"), 0.1667, 0.469),
        Zone("left_hip", _("Left hip"), 0.333, 0.469),
        Zone("right_thigh_front", _("Right thigh, front"), 0.204, 0.625),
        Zone("left_thigh_front", _("Left thigh, front"), 0.296, 0.625),
        Zone("right_leg_front", _("Right leg, front"), 0.204, 0.8125),
        Zone("left_leg_front", _("Left leg, front"), 0.296, 0.8125),
        Zone("left_arm_back", _("Left arm, back"), 0.625, 0.354),
        Zone("right_arm_back", _("Right arm, back"), 0.875, 0.354),
        Zone("lower_back", _("Lower back"), 0.75, 0.396),
        Zone("left_flank", _("Left flank"), 0.6625, 0.448),
        Zone("right_flank", _("Right flank"), 0.8375, 0.448),
        Zone("left_buttock", _("Left buttock"), 0.708, 0.51),
        Zone("right_buttock", _("Right buttock"), 0.792, 0.51),
        Zone("left_thigh_back", _("Left thigh, back"), 0.704, 0.625),
        Zone("right_thigh_back", _("Right thigh, back"), 0.796, 0.625),
        Zone("left_calf", _("Left calf"), 0.704, 0.8125),
        Zone("right_calf", _("Right calf"), 0.796, 0.8125),
    ),
)

DRAWINGS: dict[str, Drawing] = {d.key: d for d in (FACE, SCALP, BODY)}


@dataclass(frozen=True)
class MapPoint:
    """A point as drawn: its number, where in the viewBox, and its label."""

    n: int
    cx: float
    cy: float
    label: str


def map_points(drawing: Drawing, points: list[Any]) -> list[MapPoint]:
    """The points of ``drawing`` (objects with diagram, x, y, zone), numbered
    from 1 in the order given; points on other drawings keep their number
    but are not drawn here."""
    drawn = []
    for n, point in enumerate(points, start=1):
        if point.diagram != drawing.key:
            continue
        drawn.append(
            MapPoint(
                n,
                round(point.x * drawing.width, 1),
                round(point.y * drawing.height, 1),
                drawing.zone_label(point.zone) if point.zone else "",
            )
        )
    return drawn


def zones_json() -> dict[str, Any]:
    """Every drawing's size and zones, for the page's script."""
    return {
        d.key: {
            "width": d.width,
            "height": d.height,
            "zones": [{"key": z.key, "label": str(z.label), "x": z.x, "y": z.y} for z in d.zones],
        }
        for d in DRAWINGS.values()
    }
