from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinics.models import Clinic


class Sex(models.TextChoices):
    # Asked because some measures differ (Norwood for men, Ludwig for women,
    # DOMAIN.md Outcome measures); pregnancy is asked of everyone.
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "", _("Not given")


class Patient(models.Model):
    """A clinic's patient. ``user`` is set when they have a portal login."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, blank=True, default="")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    emergency_contact = models.CharField(
        max_length=200, blank=True, help_text=_("Name and phone number.")
    )
    preferred_language = models.CharField(max_length=8, default="en")
    consents_to_messages = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["clinic", "last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Intake(models.Model):
    """One filling of the intake questionnaire. A patient who answers again
    makes a new row, never an edit, so every screening keeps pointing at the
    answers it ran on.

    ``answers`` holds the catalog's screening questions (question key ->
    answer, encoded by core.intake); the free texts hold what the catalog
    does not ask about.
    """

    class Via(models.TextChoices):
        PORTAL = "portal", _("The patient, online")
        STAFF = "staff", _("Staff, with the patient")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="intakes")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    answers = models.JSONField(default=dict)
    medical_history = models.TextField(blank=True, help_text=_("Illnesses, operations."))
    other_medicines = models.TextField(
        blank=True, help_text=_("Medicines not asked about above, with the last dose.")
    )
    allergies = models.TextField(blank=True)
    via = models.CharField(max_length=10, choices=Via.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        get_latest_by = ["submitted_at", "pk"]
        indexes = [models.Index(fields=["patient", "-submitted_at"])]

    def __str__(self) -> str:
        return f"Intake of {self.patient} at {self.submitted_at:%Y-%m-%d %H:%M} UTC"
