"""Putting messages in the outbox: scheduled once, sent by a background task.

``schedule`` writes the message row and enqueues its send task (Django's
tasks framework, ``run_after=due_at``) in one transaction: with the
database task backend the task row commits with the message, or neither
does. If the task backend refuses (down, misconfigured), the message is
kept all the same and ``manage.py send_due_messages`` sends it when due.

Who gets what. Every message here is part of a patient's care, not
marketing, so care messages go to every patient the clinic can reach,
whatever ``consents_to_messages`` says: the instructions before a session
(what to pause, and never to stop a prescribed medicine), the aftercare,
the follow-up check-ins (an infection can show 1-12 weeks later), recall
notices and alerts. The one convenience, the reminder the day before, is
sent only to a patient who agreed to reminders (the patient form asks
exactly that: "agrees to be sent reminders and messages"); without it the
reminder is kept as "not sent" with the reason, so the front desk can call.

The channel is the patient's email when there is one, else their phone
through ``MESOCLINIC_DEFAULT_PHONE_CHANNEL`` (SMS by default); a patient
with neither gets the message as "not sent", with the reason, in the
outbox for staff to act on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from clinics.models import Clinic
from messaging.models import Channel, Kind, Message, Status
from patients.models import Patient

logger = logging.getLogger(__name__)

# Still to be sent: what cancel() may cancel and a reschedule may move.
PENDING = (Status.SCHEDULED, Status.RETRYING)
# What staff may send again now (retry_now).
RETRYABLE = (Status.FAILED, Status.RETRYING, Status.SKIPPED)


def instant(moment: datetime) -> str:
    """A moment as it is written in keys and data: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def language_of(patient: Patient | None, clinic: Clinic) -> str:
    """The language a message is written in: the patient's, when the site
    has it, else the clinic's."""
    wanted = patient.preferred_language if patient is not None else clinic.language
    if wanted in languages():
        return wanted
    return clinic.language if clinic.language in languages() else settings.LANGUAGE_CODE


def contact_for(patient: Patient) -> tuple[str, str] | None:
    """(channel, address) to reach ``patient``: email first, else phone by
    the default phone channel; None when the record has neither."""
    if patient.email.strip():
        return Channel.EMAIL, patient.email.strip()
    if patient.phone.strip():
        return settings.MESOCLINIC_DEFAULT_PHONE_CHANNEL, patient.phone.strip()
    return None


# Status notes are stored in English and shown through gettext.
NO_CONTACT = gettext_noop("No email address or phone number on the patient's record.")
NO_REMINDER_CONSENT = gettext_noop(
    "The patient has not agreed to reminders; call them if the visit needs one."
)
NO_CLINIC_EMAIL = gettext_noop("The clinic has no email address for alerts.")
CANCELLED_BY_STAFF = gettext_noop("Cancelled by staff.")


def skip_reason(message: Message) -> str:
    """Why ``message`` cannot go out now ("" when it can): no address, or a
    reminder to a patient who did not agree to reminders."""
    if not message.to:
        return NO_CLINIC_EMAIL if message.patient_id is None else NO_CONTACT
    if (
        message.kind == Kind.REMINDER
        and message.patient is not None
        and not message.patient.consents_to_messages
    ):
        return NO_REMINDER_CONSENT
    return ""


def schedule(
    *,
    clinic: Clinic,
    kind: str,
    key: str,
    due_at: datetime,
    patient: Patient | None = None,
    to: str | None = None,
    channel: str | None = None,
    step: str = "",
    appointment: Any = None,
    chart: Any = None,
    data: dict[str, Any] | None = None,
    by: Any = None,
) -> Message:
    """The message ``key``, scheduled for ``due_at`` unless it exists: an
    existing key returns the existing row unchanged (whatever its status).
    ``to``/``channel`` default to the patient's contact (contact_for); for a
    patient's message they are read again from the record at sending. The
    send task is enqueued in the same transaction. One query to look up the
    key; three more and the task row when it is new."""
    with transaction.atomic():
        existing = Message.objects.filter(key=key).first()
        if existing is not None:
            return existing
        if to is None and patient is not None:
            found = contact_for(patient)
            channel, to = found if found is not None else (channel, "")
        message = Message(
            clinic=clinic,
            patient=patient,
            kind=kind,
            step=step,
            key=key,
            channel=channel or Channel.EMAIL,
            to=to or "",
            language=language_of(patient, clinic),
            due_at=due_at,
            appointment=appointment,
            chart=chart,
            data=data or {},
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        reason = skip_reason(message)
        if reason:
            message.status = Status.SKIPPED
            message.status_note = reason
        try:
            # A savepoint: losing a race for the key must not spoil the
            # caller's transaction (the chart or booking it belongs to).
            with transaction.atomic():
                message.save()
        except IntegrityError:
            return Message.objects.get(key=key)
        if message.status == Status.SCHEDULED:
            enqueue(message, due_at)
        return message


def enqueue(message: Message, run_after: datetime) -> None:
    """Queue the send task of ``message`` for ``run_after``, in the caller's
    transaction. A task backend that fails loses nothing: the message row
    stays due and the sweep (send_due_messages) sends it."""
    from messaging.tasks import send_message

    try:
        with transaction.atomic():
            result = send_message.using(run_after=run_after).enqueue(message.pk)
            Message.objects.filter(pk=message.pk).update(task_id=str(result.id)[:64])
            message.task_id = str(result.id)[:64]
    except Exception:
        logger.exception("Could not enqueue message %s; send_due_messages will send it", message.pk)


def _handled(by: Any) -> dict[str, Any]:
    """Who did it by hand, and when (nothing for the system's own changes)."""
    if not getattr(by, "is_authenticated", False):
        return {}
    return {"handled_by": by, "handled_at": timezone.now()}


def cancel(message_or_key: Message | str, reason: str, by: Any = None) -> bool:
    """Cancel a message not yet sent (scheduled or waiting for a retry);
    ``reason`` is shown in the outbox, ``by`` when staff cancel by hand.
    False when it was already sent, failed, skipped, cancelled, is being
    sent, or does not exist."""
    key = message_or_key.key if isinstance(message_or_key, Message) else message_or_key
    changed = Message.objects.filter(key=key, status__in=PENDING).update(
        status=Status.CANCELLED, status_note=reason[:200], next_attempt_at=None, **_handled(by)
    )
    if changed and isinstance(message_or_key, Message):
        message_or_key.refresh_from_db()
    return bool(changed)


def move(message: Message, due_at: datetime) -> bool:
    """Move a message not yet sent to ``due_at`` (a later session moves the
    late follow-ups), with a new task for the new time. The old task finds
    the message not yet due and leaves it. False when it is no longer
    pending."""
    with transaction.atomic():
        changed = Message.objects.filter(pk=message.pk, status__in=PENDING).update(
            due_at=due_at, status=Status.SCHEDULED, next_attempt_at=None
        )
        if not changed:
            return False
        message.refresh_from_db()
        enqueue(message, due_at)
        return True


def reopen(message: Message, due_at: datetime, note: str = "") -> bool:
    """Schedule again a cancelled message (an appointment moved back to a
    time it had before). False when it is not cancelled."""
    with transaction.atomic():
        changed = Message.objects.filter(pk=message.pk, status=Status.CANCELLED).update(
            due_at=due_at, status=Status.SCHEDULED, status_note=note[:200], next_attempt_at=None
        )
        if not changed:
            return False
        message.refresh_from_db()
        enqueue(message, due_at)
        return True


def retry_now(message: Message, by: Any = None) -> bool:
    """Staff ask for another try now: a failed message, one waiting for its
    next retry, or one not sent for want of an address (the contact is read
    again from the patient's record when it is sent). It counts as an
    attempt like any other: a message already tried five times fails again
    for good if this one fails too. False for other statuses."""
    now = timezone.now()
    with transaction.atomic():
        changed = Message.objects.filter(pk=message.pk, status__in=RETRYABLE).update(
            status=Status.RETRYING, next_attempt_at=now, status_note="", **_handled(by)
        )
        if not changed:
            return False
        message.refresh_from_db()
        if message.patient is not None:
            found = contact_for(message.patient)
            if found is not None:
                message.channel, message.to = found
                message.save(update_fields=["channel", "to"])
        enqueue(message, now)
        return True


def alert_clinic(clinic: Clinic, key: str, data: dict[str, Any], by: Any = None) -> Message:
    """An email to the clinic's own address now (kind "alert"; safety
    renders it from ``data``). Without a clinic address it is kept as "not
    sent", with the reason, in the outbox."""
    return schedule(
        clinic=clinic,
        kind=Kind.ALERT,
        key=key,
        due_at=timezone.now(),
        to=clinic.email.strip(),
        channel=Channel.EMAIL,
        data=data,
        by=by,
    )


def messages_of(clinic: Clinic, status: str = "", kind: str = "") -> QuerySet[Message]:
    """The clinic's messages for the outbox, the latest due first, filtered
    by status and kind when given."""
    found = Message.objects.filter(clinic=clinic)
    if status:
        found = found.filter(status=status)
    if kind:
        found = found.filter(kind=kind)
    return found.select_related("patient", "handled_by").order_by("-due_at", "-pk")
