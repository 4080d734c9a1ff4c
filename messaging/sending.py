"""Sending one message, once.

A worker first claims the message with one conditional UPDATE: only a
message that is due (scheduled and past ``due_at``, or waiting for a retry
and past ``next_attempt_at``) becomes "sending", so of two workers (or a
task and the sweep) only one gets it; the other finds nothing to do. A
claim older than ``CLAIM_TIMEOUT`` is a worker that died mid-send, and the
message may be claimed again. A message whose ``due_at`` was moved later
(a later session moved the late follow-ups) is not due: the task of its
old time leaves it to the task of its new time.

The text is written at sending, in the message's language and the clinic's
time zone, and kept as sent. A failure is retried after ``BACKOFF``; after
``MAX_ATTEMPTS`` tries the message is failed, for staff to see in the
outbox.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from messaging import outbox
from messaging.channels import get_channel
from messaging.models import Kind, Message, Status
from messaging.render import Rendered, render
from messaging.signals import message_sent

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 5
# The wait after the 1st, 2nd, 3rd and 4th failed attempt.
BACKOFF = (
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)


# Status notes are stored in English and shown through gettext.
NOT_BOOKED = gettext_noop("The appointment is no longer booked.")
MOVED = gettext_noop("The appointment was moved.")
TOO_LATE = gettext_noop("The appointment had begun before the message could be sent.")


def due(now: datetime) -> Q:
    """Messages a worker may claim at ``now``."""
    return (
        Q(status=Status.SCHEDULED, due_at__lte=now)
        | Q(status=Status.RETRYING, next_attempt_at__lte=now)
        | Q(status=Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    )


def claim(message_id: int, now: datetime) -> Message | None:
    """Take ``message_id`` for sending, or None when it is not due or
    another worker has it. Each claim counts as an attempt, so a message
    that kills its worker is not tried for ever."""
    taken = (
        Message.objects.filter(pk=message_id)
        .filter(due(now))
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not taken:
        return None
    return Message.objects.select_related("clinic", "patient", "appointment__service", "chart").get(
        pk=message_id
    )


def _finish(message: Message, claimed_at: datetime, **changes: object) -> bool:
    """Write the outcome, if the claim is still ours (not taken over as stale)."""
    done = Message.objects.filter(pk=message.pk, status=Status.SENDING, claimed_at=claimed_at)
    if not done.update(**changes):
        logger.warning("Message %s was claimed again while it was being sent", message.pk)
        return False
    return True


def _no_longer_wanted(message: Message, now: datetime) -> str:
    """Why a message should not go out any more ("" when it should): a
    reminder or pre-visit message for an appointment that is no longer
    booked, was moved, or has begun. The hooks cancel these when the
    appointment changes; this catches what a worker that was down for
    long would otherwise send late."""
    appointment = message.appointment
    if message.kind not in (Kind.PRE_VISIT, Kind.REMINDER) or appointment is None:
        return ""
    from scheduling.models import Status as AppointmentStatus

    if appointment.status != AppointmentStatus.BOOKED:
        return NOT_BOOKED
    if message.data.get("starts_at") not in (None, outbox.instant(appointment.starts_at)):
        return MOVED
    if appointment.starts_at <= now:
        return TOO_LATE
    return ""


def write(message: Message) -> Rendered:
    """The message's text in its language and the clinic's time zone."""
    with (
        translation.override(message.language),
        timezone.override(ZoneInfo(message.clinic.time_zone)),
    ):
        return render(message)


def deliver(message_id: int) -> str:
    """Send ``message_id`` if it is due and no one else is sending it.
    Returns what happened: "sent", "retrying", "failed", "skipped",
    "cancelled" or "not due" (sent, cancelled, moved later, or taken by
    another worker)."""
    now = timezone.now()
    message = claim(message_id, now)
    if message is None:
        return "not due"
    claimed_at = message.claimed_at
    assert claimed_at is not None
    # Whatever goes wrong from here is an attempt that failed and is retried
    # with a task of its own; nothing leaves the message stuck in "sending".
    try:
        reason = _no_longer_wanted(message, now)
        if reason:
            _finish(message, claimed_at, status=Status.CANCELLED, status_note=reason)
            return "cancelled"
        if message.patient is not None:
            # The record may have changed since scheduling (a corrected address).
            found = outbox.contact_for(message.patient)
            message.channel, message.to = found if found is not None else (message.channel, "")
        reason = outbox.skip_reason(message)
        if reason:
            _finish(message, claimed_at, status=Status.SKIPPED, status_note=reason, to=message.to)
            return "skipped"
        rendered = write(message)
        get_channel(message.channel).send(message, rendered)
    except Exception as error:
        logger.warning("Message %s failed: %s", message.pk, error, exc_info=True)
        return _failed(message, claimed_at, error)
    if _finish(
        message,
        claimed_at,
        status=Status.SENT,
        sent_at=timezone.now(),
        subject=rendered.subject[:200],
        body=rendered.text,
        channel=message.channel,
        to=message.to,
        last_error="",
        next_attempt_at=None,
    ):
        message.refresh_from_db()
        for receiver, result in message_sent.send_robust(sender=Message, message=message):
            if isinstance(result, Exception):
                logger.error(
                    "After message %s was sent, %s failed",
                    message.pk,
                    receiver,
                    exc_info=result,
                )
    return "sent"


def _failed(message: Message, claimed_at: datetime, error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        _finish(message, claimed_at, status=Status.FAILED, last_error=text, next_attempt_at=None)
        return "failed"
    wait = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
    retry_at = timezone.now() + wait
    with transaction.atomic():
        if _finish(
            message,
            claimed_at,
            status=Status.RETRYING,
            last_error=text,
            next_attempt_at=retry_at,
            channel=message.channel,
            to=message.to,
        ):
            outbox.enqueue(message, retry_at)
    return "retrying"


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Send every due message that no queued task will send: its task row
    was pruned or never written (the task backend was down), or its worker
    died mid-send. Messages whose task is still queued are left to it. Safe
    to run at any time and as often as wanted: the claim keeps every
    message to one sender. Returns a count per outcome."""
    now = now or timezone.now()
    candidates = list(Message.objects.filter(due(now)).values_list("pk", "task_id", "status"))
    queued = _queued_tasks({task for _pk, task, _status in candidates if task})
    counts: dict[str, int] = {}
    for pk, task_id, status in candidates:
        # A stale claim is taken over whatever its task says: the worker
        # that claimed it is gone.
        if task_id in queued and status != Status.SENDING:
            continue
        outcome = deliver(pk)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _queued_tasks(task_ids: set[str]) -> set[str]:
    """Of ``task_ids``, those the database task backend still holds ready
    to run (empty when another backend is configured)."""
    if not task_ids:
        return set()
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is installed
        return set()
    from django.tasks.base import TaskResultStatus

    ready = DBTaskResult.objects.filter(id__in=task_ids, status=TaskResultStatus.READY)
    return {str(pk) for pk in ready.values_list("id", flat=True)}
