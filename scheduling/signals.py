"""Give a clinic a new calendar version whenever what shapes its calendar
changes, so cached calendars (scheduling.calendar) are read again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

from clinics.models import Device, Room, StaffMember
from scheduling.calendar import bump_calendar_version
from scheduling.models import Break, OpeningHours, Service, WorkingHours


def _clinic_of(instance: Any) -> int | None:
    if isinstance(instance, WorkingHours | Break):
        return (
            StaffMember.objects.filter(pk=instance.staff_id)
            .values_list("clinic_id", flat=True)
            .first()
        )
    return getattr(instance, "clinic_id", None)


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures loading: the versions they bring are fresh
    clinic_id = _clinic_of(instance)
    if clinic_id is not None:
        bump_calendar_version([clinic_id])


def _service_links(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        clinic_id = getattr(instance, "clinic_id", None)
        if clinic_id is not None:
            bump_calendar_version([clinic_id])


def _user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Practitioners' names are part of the cached calendar.
    if kwargs.get("raw") or instance.pk is None:
        return
    clinics = StaffMember.objects.filter(user=instance).values_list("clinic_id", flat=True)
    ids = list(clinics)
    if ids:
        bump_calendar_version(ids)


def connect() -> None:
    for model in (OpeningHours, WorkingHours, Break, Service, StaffMember, Room, Device):
        post_save.connect(_changed, sender=model, dispatch_uid=f"calendar-save-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"calendar-delete-{model.__name__}"
        )
    for through in (Service.rooms.through, Service.practitioners.through):
        m2m_changed.connect(
            _service_links, sender=through, dispatch_uid=f"calendar-m2m-{through.__name__}"
        )
    post_save.connect(_user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="calendar-user")
