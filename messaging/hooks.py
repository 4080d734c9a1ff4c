"""Signal receivers that schedule messages when appointments and charts change.

They run inside the transaction that saves the appointment or chart, so a
booking or chart and its messages commit together, or neither does.

An appointment booked for a treatment session gets its instructions a
week before (as many days as the longest pause the catalog asks for, at
10:00 clinic time) and every booked appointment a reminder the day before
at 10:00. Their keys hold the appointment's start, so a moved appointment
gets new messages and the old ones are cancelled; so are those of a
cancelled appointment or a no-show.

A charted session gets its aftercare now and the check-ins of
core.followups: the day after, 3 days and a week after the session, and
4, 8 and 12 weeks after the course's last session. The late ones are kept
once per course and move with each later session charted.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_noop

from clinical.charting import session_end
from clinical.models import SessionChart
from clinics.models import Clinic
from core.followups import follow_up_times
from mesoclinic.catalog import get_catalog
from messaging import outbox
from messaging.models import Kind, Message, Status
from scheduling.models import Appointment, ServiceKind
from scheduling.models import Status as AppointmentStatus

logger = logging.getLogger(__name__)

SEND_HOUR = time(10, 0)
# Check-ins are not sent at night: one that falls from 21:00 to 08:00 at
# the clinic goes out at 10:00 (the next morning, or that morning) instead.
# The one place this rule lives; follow_up_due applies it.
NIGHT_FROM = time(21, 0)
NIGHT_UNTIL = time(8, 0)

# Why pending messages of an appointment were cancelled (shown through gettext).
CANCELLED_NOTES = {
    AppointmentStatus.CANCELLED: gettext_noop("The appointment was cancelled."),
    AppointmentStatus.NO_SHOW: gettext_noop("The patient did not come (no-show)."),
    AppointmentStatus.CHECKED_IN: gettext_noop("The patient has checked in."),
    AppointmentStatus.COMPLETED: gettext_noop("The session took place."),
}
MOVED_NOTE = gettext_noop("The appointment was moved.")
LATER_SESSION_NOTE = gettext_noop("Moved after a later session.")


def at_local(day: date, at: time, clinic: Clinic) -> datetime:
    """``at`` o'clock on ``day`` at the clinic, as an aware instant."""
    return datetime.combine(day, at, ZoneInfo(clinic.time_zone))


def not_at_night(moment: datetime, clinic: Clinic) -> datetime:
    """``moment``, or 10:00 clinic time when it falls at night (see NIGHT_FROM)."""
    local = moment.astimezone(ZoneInfo(clinic.time_zone))
    if local.time() >= NIGHT_FROM:
        return at_local(local.date() + timedelta(days=1), SEND_HOUR, clinic)
    if local.time() < NIGHT_UNTIL:
        return at_local(local.date(), SEND_HOUR, clinic)
    return moment


def pause_days() -> int:
    """How many days before a session its instructions go out: the longest
    pause before a session that the catalog asks of any medicine or habit."""
    return max((rule.pause_days for rule in get_catalog().medicines.values()), default=7)


def _user(instance: Any) -> Any:
    # The user django-simple-history records for the change, when set.
    return getattr(instance, "_history_user", None)


# -- appointments ----------------------------------------------------------------------------


@receiver(post_save, sender=Appointment, dispatch_uid="messaging.appointment_saved")
def appointment_saved(
    sender: type, instance: Appointment, created: bool = False, raw: bool = False, **_: Any
) -> None:
    if raw:  # loading fixtures
        return
    sync_appointment(instance, new=created)


def sync_appointment(
    appointment: Appointment, now: datetime | None = None, new: bool = False
) -> None:
    """Bring the appointment's pre-visit and reminder messages in line with
    it: cancel those of another start or of an appointment no longer booked;
    schedule those of a booked appointment still to come. ``new``: it was
    just created, so it has no messages to look for (a booking is the hot
    path: one query fewer)."""
    now = now or timezone.now()
    stamp = outbox.instant(appointment.starts_at)
    booked = appointment.status == AppointmentStatus.BOOKED
    pending = (
        Message.objects.none()
        if new
        else Message.objects.filter(
            appointment=appointment,
            kind__in=(Kind.PRE_VISIT, Kind.REMINDER),
            status__in=outbox.PENDING,
        )
    )
    for message in pending:
        if not booked:
            outbox.cancel(message, CANCELLED_NOTES.get(appointment.status, MOVED_NOTE))
        elif message.data.get("starts_at") != stamp:
            outbox.cancel(message, MOVED_NOTE)
    if not booked or appointment.starts_at <= now:
        return
    clinic = appointment.clinic
    start_day = appointment.starts_at.astimezone(ZoneInfo(clinic.time_zone)).date()
    wanted: list[tuple[str, datetime]] = []
    reminder_at = at_local(start_day - timedelta(days=1), SEND_HOUR, clinic)
    if reminder_at > now:
        wanted.append((Kind.REMINDER, reminder_at))
    if appointment.service.kind == ServiceKind.SESSION:
        pre_visit_at = at_local(start_day - timedelta(days=pause_days()), SEND_HOUR, clinic)
        if pre_visit_at > now:
            wanted.append((Kind.PRE_VISIT, pre_visit_at))
        elif appointment.starts_at - now > timedelta(days=1):
            # Booked late: the instructions go now, while some of them still help.
            wanted.append((Kind.PRE_VISIT, now))
    for kind, due_at in wanted:
        message = outbox.schedule(
            clinic=clinic,
            kind=kind,
            key=f"{kind}:appointment:{appointment.pk}:{stamp}",
            due_at=due_at,
            patient=appointment.patient,
            appointment=appointment,
            data={"starts_at": stamp},
            by=_user(appointment),
        )
        if message.status == Status.CANCELLED and message.status_note == MOVED_NOTE:
            # Moved away and back again: the message of this start is wanted again.
            outbox.reopen(message, due_at)


# -- charted sessions ------------------------------------------------------------------------


@receiver(post_save, sender=SessionChart, dispatch_uid="messaging.chart_saved")
def chart_saved(
    sender: type, instance: SessionChart, created: bool, raw: bool = False, **_: Any
) -> None:
    if raw or not created:  # an amendment changes the record, not what was sent
        return
    schedule_after_session(instance)


def schedule_after_session(chart: SessionChart) -> None:
    """The aftercare now, and the follow-up check-ins of the session and of
    its course."""
    by = chart.charted_by
    outbox.schedule(
        clinic=chart.clinic,
        kind=Kind.AFTERCARE,
        key=f"aftercare:chart:{chart.pk}",
        due_at=timezone.now(),
        patient=chart.patient,
        chart=chart,
        by=by,
    )
    charts = list(
        SessionChart.objects.filter(course_id=chart.course_id).select_related("appointment")
    )
    if chart not in charts:
        charts.append(chart)
    last = max(charts, key=lambda c: (session_end(c), c.session_number))
    catalog = get_catalog()
    for step, at in follow_up_times(catalog, session_end(chart), session_end(last)):
        due_at = not_at_night(at, chart.clinic)
        if step.anchor == "session":
            outbox.schedule(
                clinic=chart.clinic,
                kind=Kind.FOLLOW_UP,
                key=f"follow_up:chart:{chart.pk}:{step.key}",
                due_at=due_at,
                patient=chart.patient,
                step=step.key,
                chart=chart,
                data={"step": step.key},
                by=by,
            )
        else:
            _course_follow_up(last, step.key, due_at, by)


def _course_follow_up(last: SessionChart, step: str, due_at: datetime, by: Any) -> None:
    """The course's check-in ``step`` after its last session ``last``: one
    per course, moved when a later session is charted. When the one before
    has already gone (sessions far apart), a new one follows the new session."""
    base = f"follow_up:course:{last.course_id}:{step}"
    latest = (
        Message.objects.filter(kind=Kind.FOLLOW_UP, step=step, chart__course_id=last.course_id)
        .order_by("-created_at", "-pk")
        .first()
    )
    data = {"step": step, "course": last.course_id, "after_chart": last.pk}
    if latest is None or (
        latest.status not in outbox.PENDING and latest.data.get("after_chart") != last.pk
    ):
        key = base if latest is None else f"{base}:after-chart:{last.pk}"
        outbox.schedule(
            clinic=last.clinic,
            kind=Kind.FOLLOW_UP,
            key=key,
            due_at=due_at,
            patient=last.patient,
            step=step,
            chart=last,
            data=data,
            by=by,
        )
        return
    if latest.status in outbox.PENDING and (latest.chart_id != last.pk or latest.due_at != due_at):
        Message.objects.filter(pk=latest.pk).update(
            chart=last, data=data, status_note=LATER_SESSION_NOTE
        )
        outbox.move(latest, due_at)
