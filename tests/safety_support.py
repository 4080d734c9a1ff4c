"""Sessions and follow-up links for the safety tests.

``SESSION_END`` is when the charted session ended (a chart without an
appointment ends when it is charted: clinical.charting.session_end), so a
test travels to "3 hours after" or "day 9" from it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from PIL import ExifTags, Image

from clinical.models import InjectionPoint, SessionChart
from safety.links import link_for
from safety.models import FollowUpLink
from stock.models import Lot
from tests.clinical_factories import make_chart, make_course, make_lot
from tests.conftest import People

KOLKATA = ZoneInfo("Asia/Kolkata")
SESSION_END = datetime(2026, 3, 2, 11, 30, tzinfo=KOLKATA)  # a Monday, 11:30 at the clinic
MAKE = 0x010F


@dataclass
class Session:
    chart: SessionChart
    link: FollowUpLink
    lots: list[Lot]  # the lots injected at the session


def charted_session(
    people: People, patient: Any = None, session_number: int = 1, end: datetime = SESSION_END
) -> Session:
    """A scalp session of hair loss charted at ``end`` with two lots (three
    points), and its follow-up link."""
    patient = patient or people.patient
    with time_machine.travel(end - timedelta(hours=1), tick=False):
        course = make_course(patient, people.practitioner)
        first = make_lot(people.clinic, number=f"HC-{patient.pk}-A")
        second = make_lot(people.clinic, number=f"HC-{patient.pk}-B", product="Biotin vial")
    with time_machine.travel(end, tick=False):
        chart = make_chart(course, people.practitioner, session_number, lot=first, points=2)
        InjectionPoint.objects.create(
            clinic=people.clinic,
            chart=chart,
            diagram="scalp",
            x=0.6,
            y=0.5,
            product=second.product,
            lot=second,
            volume_ml=Decimal("0.05"),
            depth_mm=Decimal("1.5"),
        )
        link = link_for(chart)
    return Session(chart, link, [first, second])


def exif_jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    """A JPEG carrying a camera make and a GPS position, as phones write."""
    image = Image.new("RGB", size, (200, 120, 110))
    exif = Image.Exif()
    exif[MAKE] = "SpyCam"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {1: "N", 2: (12.0, 58.0, 10.0), 3: "E", 4: (77.0, 35.0, 5.0)}
    )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"12 Home Street")
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the file really carries it
        assert check.getexif()[MAKE] == "SpyCam"
    return data


def local(moment: datetime) -> tuple[str, str]:
    """A moment as the report form's date and time fields, in clinic time."""
    at = moment.astimezone(KOLKATA)
    return at.date().isoformat(), at.strftime("%H:%M")
