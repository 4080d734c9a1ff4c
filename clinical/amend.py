"""Amendments: the only way a written clinical entry changes.

``amend`` locks the row, records each changed field's old and new value,
the reason, who and when (an Amendment row), and saves the row with the
reason as its history change reason, all in one transaction. The original
values stay in the Amendment and in the row's history.

Only the fields listed in AMENDABLE may change; who charted, when, the
patient and the course never do.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from clinical.models import Amendment, InjectionPoint, OutcomeScore, SessionChart

AMENDABLE: dict[type[models.Model], tuple[str, ...]] = {
    SessionChart: (
        "technique",
        "device",
        "needle_gauge",
        "needle_length_mm",
        "depth",
        "numbing",
        "numbing_minutes",
        "procedure_minutes",
        "immediate_reactions",
        "notes",
    ),
    InjectionPoint: ("zone", "product", "lot", "volume_ml", "depth_mm", "x", "y", "diagram"),
    OutcomeScore: ("value", "items"),
}


class AmendmentError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a field value (foreign keys by id)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _same(field: models.Field[Any, Any], old: Any, new: Any) -> bool:
    """Whether ``new`` is what is stored already: a decimal compared at the
    field's places (0.1 is the stored 0.100)."""
    if isinstance(field, models.DecimalField) and old is not None and new is not None:
        places = Decimal(1).scaleb(-(field.decimal_places or 0))
        return Decimal(str(old)).quantize(places) == Decimal(str(new)).quantize(places)
    return bool(_plain(old) == _plain(new))


def amend(
    record: models.Model, changes: dict[str, Any], *, reason: str, by: Any
) -> Amendment | None:
    """Change ``record``'s fields to ``changes`` (field name -> new value,
    foreign keys as model instances) for ``reason``. Returns the Amendment,
    or None when nothing actually changed (no row is written). Raises
    AmendmentError naming the field for an empty reason or a field that may
    not be amended."""
    reason = reason.strip()
    if not reason:
        raise AmendmentError("reason", "Give the reason for the amendment.")
    allowed = AMENDABLE.get(type(record), ())
    for name in changes:
        if name not in allowed:
            raise AmendmentError(name, f"The field '{name}' cannot be amended.")
    with transaction.atomic():
        current = type(record)._default_manager.select_for_update().get(pk=record.pk)
        diff: dict[str, dict[str, Any]] = {}
        for name, new in changes.items():
            field = current._meta.get_field(name)
            old = getattr(current, name)
            if isinstance(field, models.ForeignKey):
                old_key, new_key = getattr(current, field.attname), getattr(new, "pk", new)
                if old_key == new_key:
                    continue
            elif _same(field, old, new):
                continue
            diff[name] = {"from": _plain(old), "to": _plain(new)}
            setattr(current, name, new)
        if not diff:
            return None
        current.full_clean(exclude=[f.name for f in current._meta.fields if f.name not in diff])
        current._change_reason = f"Amendment: {reason}"  # type: ignore[attr-defined]
        current.save()
        amendment = Amendment.objects.create(
            clinic_id=current.clinic_id,  # type: ignore[attr-defined]
            patient_id=current.chart.patient_id  # type: ignore[attr-defined]
            if hasattr(current, "chart")
            else current.patient_id,  # type: ignore[attr-defined]
            content_type=ContentType.objects.get_for_model(current),
            object_id=current.pk,
            changes=diff,
            reason=reason,
            amended_by=by,
            amended_at=timezone.now(),
        )
        for name in diff:
            setattr(record, name, getattr(current, name))
        return amendment


def amendments_of(record: models.Model) -> models.QuerySet[Amendment]:
    return Amendment.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).select_related("amended_by")
