"""After the session: follow-up links, adverse events and their review.

A patient reaches their follow-up page by the link in a follow-up message
(``FollowUpLink``: a long random token, for one session, that expires);
no login is needed beyond it. An adverse event is reported there or by
staff, triaged against the catalog's side effects (core.triage) and linked
to its session and to the lots injected at it, so a bad lot or device can
be traced. A practitioner reviews the events that need it and records the
outcome and any treatment given.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinical.models import SessionChart
from clinics.models import Clinic
from patients.models import Patient
from stock.models import Lot

USER = settings.AUTH_USER_MODEL


def new_token() -> str:
    return secrets.token_urlsafe(32)


class FollowUpLink(models.Model):
    """The patient's way back to the clinic after one session."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="follow_up_links")
    chart = models.OneToOneField(
        SessionChart, on_delete=models.PROTECT, related_name="follow_up_link"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Follow-up link for {self.chart}"


class Answer(models.TextChoices):
    FINE = "fine", _("All is well")
    PROBLEM = "problem", _("Something is wrong")


class FollowUpAnswer(models.Model):
    """A patient's answer to a follow-up check-in ("all is well" counts too)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    link = models.ForeignKey(FollowUpLink, on_delete=models.PROTECT, related_name="answers")
    step = models.CharField(max_length=20, blank=True)
    answer = models.CharField(max_length=10, choices=Answer.choices)
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["answered_at"]

    def __str__(self) -> str:
        return f"{self.get_answer_display()} ({self.step or 'check-in'})"


class Level(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    REVIEW = "review", _("Review within a day")
    URGENT = "urgent", _("Urgent")


class Severity(models.TextChoices):
    MILD = "mild", _("Mild: I notice it, but it does not bother me much")
    MODERATE = "moderate", _("Moderate: it bothers me")
    SEVERE = "severe", _("Severe: it stops me doing my usual things")


class ReportedVia(models.TextChoices):
    PATIENT = "patient", _("The patient, by the follow-up link")
    STAFF = "staff", _("Staff")


class EventStatus(models.TextChoices):
    OPEN = "open", _("Open")  # waits for a practitioner
    REASSURED = "reassured", _("Expected: patient reassured")
    REVIEWED = "reviewed", _("Reviewed")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    IMPROVING = "improving", _("Improving")
    ONGOING = "ongoing", _("Not yet improving")
    REFERRED = "referred", _("Referred to a doctor or hospital")
    SEQUELAE = "sequelae", _("Resolved with lasting effects")


class AdverseEvent(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="adverse_events")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="adverse_events")
    chart = models.ForeignKey(SessionChart, on_delete=models.PROTECT, related_name="adverse_events")
    # The lots injected at the session, copied when the event is recorded.
    lots = models.ManyToManyField(Lot, related_name="adverse_events", blank=True)
    reported_via = models.CharField(max_length=10, choices=ReportedVia.choices)
    reported_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    link = models.ForeignKey(
        FollowUpLink, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    reported_at = models.DateTimeField()
    # A catalog side-effect key, or "other".
    effect = models.CharField(max_length=60)
    description = models.TextField(blank=True)
    site = models.CharField(max_length=200, blank=True, help_text=_("Where on the body."))
    started_at = models.DateTimeField(help_text=_("Since when."))
    severity = models.CharField(max_length=10, choices=Severity.choices)
    # Catalog warning-sign keys the reporter ticked (fever, spreading, ...).
    signs = models.JSONField(default=list, blank=True)
    level = models.CharField(max_length=10, choices=Level.choices)
    # Why: core.triage's reasons, each with its sources, as shown.
    triage = models.JSONField(default=dict)
    review_due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=EventStatus.choices)
    reviewed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    treatment = models.TextField(blank=True, help_text=_("Treatment given, if any."))
    review_notes = models.TextField(blank=True)
    # Why the reviewer changed the triage's level (the triage's own level
    # stays in ``triage``).
    level_change_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["clinic", "status", "level"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="reviewed") | models.Q(reviewed_at__isnull=False),
                name="event_reviewed_has_time",
            ),
            # Closing is a review too: who and when.
            models.CheckConstraint(
                condition=~models.Q(status__in=["reviewed", "closed"])
                | models.Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                name="event_review_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effect} ({self.level}) after {self.chart}"


class EventPhoto(models.Model):
    """A photo of the event, cleaned like the record's photos (no metadata)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(upload_to="events/%Y/%m/")
    thumbnail = models.FileField(upload_to="events/%Y/%m/thumbs/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Photo {self.pk} of event {self.event_id}"
