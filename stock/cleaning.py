"""The cleaning and sterilisation log of reusable devices.

A session may use a device only when the device's last cleaning before
the session is recorded (clinical.charting asks ``cleaning_before``); the
chart keeps that cleaning, so a faulty cleaning (an outbreak was traced to
a gun cleaned with tap water, DOMAIN.md: EIMC2011) leads to every session
that used the device after it. One cleaning serving several sessions is
not refused (the record of what was done comes first) but is pointed out
(``reuse_warning``): the practitioner judges.

Cleanings are recorded in order: never in the future, never before the
device's last recorded cleaning (a cleaning slipped in before it would
change, after the fact, which cleaning earlier sessions relied on).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from clinics.models import Clinic, Device
from core.charting import Issue
from stock.models import CleaningMethod, DeviceCleaning
from stock.stock import StockError

if TYPE_CHECKING:
    from clinical.models import SessionChart


def cleaning_before(device: Device, at: datetime) -> DeviceCleaning | None:
    """The device's last cleaning done at or before ``at``; None when no
    cleaning before then is recorded."""
    return (
        DeviceCleaning.objects.filter(device=device, cleaned_at__lte=at)
        .order_by("-cleaned_at", "-pk")
        .first()
    )


def record_cleaning(
    clinic: Clinic,
    device: Device | int,
    *,
    cleaned_at: datetime | None,
    method: str,
    by: Any,
    cycle: str = "",
    notes: str = "",
) -> DeviceCleaning:
    """Record a cleaning of ``device`` (one of ``clinic``'s) done at
    ``cleaned_at`` (None: now) by ``by``. Raises StockError naming the
    field: a device of another clinic (404), a time in the future or before
    the device's last recorded cleaning, an unknown method."""
    device_id = device.pk if isinstance(device, Device) else device
    now = timezone.now()
    cleaned_at = cleaned_at or now
    if timezone.is_naive(cleaned_at):
        raise StockError("cleaned_at", "Give the time with its time zone.")
    if cleaned_at > now:
        raise StockError("cleaned_at", "A cleaning is recorded once done, not before.")
    if method not in CleaningMethod.values:
        raise StockError("method", "Choose how the device was cleaned.")
    cycle = (cycle or "").strip()
    if len(cycle) > 80:
        raise StockError("cycle", "At most 80 characters.")
    notes = (notes or "").strip()
    with transaction.atomic():
        # Locking the device makes two records of its cleanings queue up.
        found = Device.objects.select_for_update().filter(clinic=clinic, pk=device_id).first()
        if found is None:
            raise StockError("device", "Choose one of this clinic's devices.", status=404)
        last = DeviceCleaning.objects.filter(device=found).order_by("-cleaned_at", "-pk").first()
        if last is not None and cleaned_at <= last.cleaned_at:
            when = last.cleaned_at.astimezone(ZoneInfo(clinic.time_zone))
            raise StockError(
                "cleaned_at",
                f"{found.name}'s last cleaning is recorded at {when:%Y-%m-%d %H:%M}; "
                "a cleaning is recorded after it.",
            )
        cleaning = DeviceCleaning(
            clinic=clinic,
            device=found,
            cleaned_at=cleaned_at,
            method=method,
            cycle=cycle,
            by=by,
            notes=notes,
            recorded_at=now,
        )
        cleaning._history_user = by  # type: ignore[attr-defined]
        cleaning._change_reason = "Cleaning recorded"  # type: ignore[attr-defined]
        cleaning.save()
    return cleaning


def no_cleaning_message(device: Device) -> str:
    return f"{device.name} has no recorded cleaning before this session: record its cleaning first."


def reuse_warning(chart: SessionChart) -> Issue | None:
    """A warning when ``chart``'s device cleaning already served a session
    charted before it: was the device cleaned between the two?"""
    if chart.device_cleaning_id is None:
        return None
    earlier = (
        type(chart)
        .objects.filter(device_cleaning_id=chart.device_cleaning_id, pk__lt=chart.pk)
        .order_by("-pk")
        .select_related("device_cleaning__device")
        .first()
    )
    if earlier is None:
        return None
    cleaning = earlier.device_cleaning
    assert cleaning is not None
    zone = ZoneInfo(chart.clinic.time_zone)
    return Issue(
        "device",
        "cleaning_reused",
        f"The last recorded cleaning of {cleaning.device.name} "
        f"({cleaning.cleaned_at.astimezone(zone):%Y-%m-%d %H:%M}) already served the session "
        f"of {earlier.performed_on.isoformat()}: check that the device was cleaned before this "
        "session, and record that cleaning.",
    )
