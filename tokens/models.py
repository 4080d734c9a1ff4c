"""Walk-in tokens: numbered per clinic and local day, called in order, each
call booking a consultation appointment.

Every change goes through ``tokens.queueing``; the constraints below keep
the rules even when code does not: one number per clinic and day, a called
or served token has its practitioner and appointment, a token names
somebody.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinics.models import Clinic, StaffMember
from patients.models import Patient
from scheduling.models import Appointment


class TokenStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    SERVED = "served", _("Served")
    LEFT = "left", _("Left / missed")


class TokenCounter(models.Model):
    """The last number issued at a clinic on a local day. Issuing a token
    increments it with an UPDATE, so two issues at once queue on its row
    lock instead of reading the same number."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "day"], name="token_counter_per_clinic_day"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic} {self.day}: {self.last}"


class Token(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="tokens")
    day = models.DateField(help_text=_("The clinic's local date."))
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="tokens"
    )
    status = models.CharField(
        max_length=20, choices=TokenStatus.choices, default=TokenStatus.WAITING
    )
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    called_at = models.DateTimeField(null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    practitioner = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="tokens"
    )
    # The consultation booked when the token was (last) called.
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="token"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["day", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "day", "number"], name="token_number_per_clinic_day"
            ),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="token_number_positive"),
            models.CheckConstraint(
                condition=~models.Q(name="") | models.Q(patient__isnull=False),
                name="token_names_somebody",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["called", "served"])
                | models.Q(
                    appointment__isnull=False,
                    practitioner__isnull=False,
                    called_at__isnull=False,
                ),
                name="called_token_has_its_appointment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic} {self.day} #{self.number}"

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return str(self.patient) if self.patient_id else ""
