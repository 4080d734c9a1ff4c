"""The outbox: every message to a patient (or alert to a clinic), once.

A message is a row before it is sent: what it is (``kind`` and ``step``),
to whom, by which channel, when it falls due. ``key`` is unique, so the
same message can never be scheduled twice (one aftercare per session, one
3-day follow-up per session, one reminder per appointment). The text is
written when it is sent, in the patient's language and with the clinic's
local time, and kept as it was sent. Sending is a background task
(messaging.tasks); a message that fails is retried, and staff see every
state in the outbox.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic
from patients.models import Patient


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class Kind(models.TextChoices):
    PRE_VISIT = "pre_visit", _("Before your visit")
    REMINDER = "reminder", _("Reminder")
    AFTERCARE = "aftercare", _("Aftercare")
    FOLLOW_UP = "follow_up", _("Follow-up check-in")
    RECALL = "recall", _("Product or device recall")
    ALERT = "alert", _("Alert to the clinic")


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    # Claimed by one worker, which is sending it now (messaging.sending).
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Failed, will retry")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    SKIPPED = "skipped", _("Not sent")


class Message(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="messages")
    # None for an alert to the clinic's own staff.
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Which one of its kind: a follow-up's "1d", "3d", "1w", "4w", ...
    step = models.CharField(max_length=20, blank=True)
    key = models.CharField(max_length=160, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    to = models.CharField(max_length=254, blank=True)
    language = models.CharField(max_length=8, default="en")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # When a worker claimed it for sending; a claim older than
    # messaging.sending.CLAIM_TIMEOUT is a worker that died mid-send.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The background task that will send it (django-tasks' result id), so the
    # sweep (send_due_messages) can tell a message still queued from a lost one.
    task_id = models.CharField(max_length=64, blank=True)
    # What was sent, as it was sent.
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_note = models.CharField(max_length=200, blank=True)
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    chart = models.ForeignKey(
        "clinical.SessionChart",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    # What the text is written from, for kinds without a foreign key here
    # (an alert's event id, a recall's id).
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The member of staff who last retried or cancelled it by hand, and when.
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["clinic", "status", "due_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.step} to {self.to or '-'} ({self.status})"
