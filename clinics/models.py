"""Clinics and the people, rooms and devices they work with.

Every table that holds clinic data carries the clinic (tenant) key, so a
chain can later be sharded by clinic without a redesign.
"""

import uuid
import zoneinfo
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    # The country decides what may be offered (fat-dissolving injections are
    # banned in France); the catalog's regulations are keyed by it.
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. IN")
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. INR")
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    language = models.CharField(max_length=8, default="en")
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # Changes whenever anything that shapes the calendar changes (hours,
    # staff, rooms, devices, services): readers cache the calendar by it.
    calendar_version = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="clinic_country_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="clinic_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def today(self) -> date:
        """The date it is now at the clinic, in its own time zone."""
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(self.time_zone))


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", _("Front desk")
    PRACTITIONER = "practitioner", _("Practitioner")
    MANAGER = "manager", _("Clinic manager")


class StaffMember(models.Model):
    """A user's role at one clinic; staff of one clinic see nothing of another."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    title = models.CharField(max_length=100, blank=True, help_text="e.g. Dermatologist")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "user"], name="one_role_per_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.get_role_display()})"


class Room(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="room_name_per_clinic"),
        ]

    def __str__(self) -> str:
        return self.name


class DeviceKind(models.TextChoices):
    INJECTOR_GUN = "injector_gun", _("Mesotherapy gun (multi-injector)")
    DERMAPEN = "dermapen", _("Dermapen")
    DERMAROLLER = "dermaroller", _("Dermaroller")
    PRESSURE_JET = "pressure_jet", _("Pressure jet injector")
    NEEDLE_FREE = "needle_free", _("Needle-free (ultrasonic) device")


class Device(models.Model):
    """A reusable device; sessions record which one was used, so an outbreak
    traced to a device (a gun cleaned with tap water) can be followed."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=DeviceKind.choices)
    serial_number = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="device_name_per_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"
