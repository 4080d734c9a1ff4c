"""The adverse-event report form, shared by the patient's follow-up page
and the practitioner's page: reading the POST into a safety.events.Report,
and the values a template needs to draw it again with its errors.

Times are entered in the clinic's local time (a date and a time field) and
stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from clinical.models import SessionChart
from clinical.photos import MAX_BYTES
from clinics.models import Clinic
from core.triage import OTHER
from mesoclinic.catalog import get_catalog
from safety.events import MAX_PHOTOS, Report, effect_choices
from safety.models import Severity

# Refuse a request larger than the photos it may carry before reading it.
MAX_REQUEST_BYTES = MAX_PHOTOS * MAX_BYTES + 1024 * 1024


@dataclass
class ReportForm:
    """What the template draws: the choices, the values entered, the errors."""

    values: dict[str, Any]
    errors: dict[str, str]
    effects: list[tuple[str, str]]
    severities: list[tuple[str, str]]
    signs: list[tuple[str, str]]
    other: str = OTHER
    max_photos: int = MAX_PHOTOS


def _choices(chart: SessionChart) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    effects = [(se.key, _(se.name)) for se in effect_choices(chart)]
    signs = [(s.key, _(s.question)) for s in get_catalog().warning_signs.values()]
    return effects, signs


def blank_form(chart: SessionChart) -> ReportForm:
    """The form as first shown: it started now, in the clinic's local time."""
    now = timezone.localtime(timezone.now(), ZoneInfo(chart.clinic.time_zone))
    effects, signs = _choices(chart)
    values: dict[str, Any] = {
        "effect": "",
        "site": "",
        "description": "",
        "started_date": now.date().isoformat(),
        "started_time": now.strftime("%H:%M"),
        "severity": "",
        "signs": [],
    }
    return ReportForm(values, {}, effects, list(Severity.choices), signs)


def too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > MAX_REQUEST_BYTES


def local_datetime(day: str, hour: str, clinic: Clinic) -> datetime | None:
    """The aware moment of a local date ("2026-03-02") and time ("14:30")
    at the clinic; None when either does not parse."""
    try:
        parsed_day = date.fromisoformat(day.strip())
        parsed_time = time.fromisoformat(hour.strip())
    except ValueError:
        return None
    return datetime.combine(parsed_day, parsed_time.replace(tzinfo=None)).replace(
        tzinfo=ZoneInfo(clinic.time_zone)
    )


def read_form(request: HttpRequest, chart: SessionChart) -> tuple[Report | None, ReportForm]:
    """The report from the POST, or None with the form's errors by field."""
    form = blank_form(chart)
    post = request.POST
    values: dict[str, Any] = {
        "effect": post.get("effect", ""),
        "site": post.get("site", ""),
        "description": post.get("description", ""),
        "started_date": post.get("started_date", ""),
        "started_time": post.get("started_time", ""),
        "severity": post.get("severity", ""),
        "signs": post.getlist("signs"),
    }
    form.values = values
    errors: dict[str, str] = {}
    if not values["effect"]:
        errors["effect"] = _("Choose what you noticed.")
    if not values["severity"]:
        errors["severity"] = _("Choose how bad it is.")
    started = local_datetime(values["started_date"], values["started_time"], chart.clinic)
    if started is None:
        errors["started_at"] = _("Give the day and time it started.")

    uploads = request.FILES.getlist("photos")
    photos: list[bytes] = []
    if len(uploads) > MAX_PHOTOS:
        errors["photos"] = _("Send at most %(n)s photos.") % {"n": MAX_PHOTOS}
    else:
        for upload in uploads:
            if upload.size is not None and upload.size > MAX_BYTES:
                errors["photos"] = _("A photo is larger than 15 MB; send a smaller one.")
                break
            photos.append(b"".join(upload.chunks()))
    form.errors = errors
    if errors:
        return None, form
    report = Report(
        effect=values["effect"],
        started_at=started,
        severity=values["severity"],
        signs=tuple(values["signs"]),
        site=values["site"],
        description=values["description"],
        photos=tuple(photos),
        step=post.get("step", ""),
    )
    return report, form
