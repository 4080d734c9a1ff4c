"""The clinic's calendar: opening hours, closures, practitioners' hours,
breaks and leave, the services a clinic books, and the appointments.

Wall-clock times (hours, breaks, partial closures) are in the clinic's time
zone; instants are stored in UTC. The rules that decide whether a booking is
allowed live in ``core.availability``; ``scheduling.calendar`` turns these
rows into its inputs. On PostgreSQL an exclusion constraint (migration 0002)
forbids two live appointments of one practitioner, room or device from
overlapping, whatever the application code does.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinics.models import Clinic, Device, DeviceKind, Room, StaffMember
from patients.models import Patient


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def _weekly_constraints(prefix: str) -> list[models.BaseConstraint]:
    # An end of 00:00 means midnight at the end of the day.
    return [
        models.CheckConstraint(
            condition=models.Q(weekday__gte=0, weekday__lte=6), name=f"{prefix}_weekday"
        ),
        models.CheckConstraint(
            condition=models.Q(ends__gt=models.F("starts")) | models.Q(ends=time(0)),
            name=f"{prefix}_ends_after_start",
        ),
    ]


class OpeningHours(models.Model):
    """One opening interval of a weekday; a weekday may have several (a
    lunch closure), and a weekday with none is closed. A clinic with no rows
    at all opens Monday to Saturday, 10:00-19:00."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField(help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name_plural = "opening hours"
        constraints = _weekly_constraints("opening")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class _DaysOff(models.Model):
    """Whole local days from ``first_day`` to ``last_day``, or, when both
    times are given, the wall-clock span from ``first_day`` at ``starts`` to
    ``last_day`` at ``ends``."""

    first_day = models.DateField()
    last_day = models.DateField()
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def whole_days(self) -> bool:
        return self.starts is None or self.ends is None

    def local_span(self) -> tuple[datetime, datetime]:
        assert self.starts is not None and self.ends is not None
        return (
            datetime.combine(self.first_day, self.starts),
            datetime.combine(self.last_day, self.ends),
        )


def _days_off_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=models.Q(last_day__gte=models.F("first_day")), name=f"{prefix}_in_order"
        ),
        models.CheckConstraint(
            condition=models.Q(starts__isnull=True, ends__isnull=True)
            | models.Q(starts__isnull=False, ends__isnull=False),
            name=f"{prefix}_both_times_or_none",
        ),
    ]


class Closure(_DaysOff):
    """A holiday or a closure of the whole clinic."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")

    class Meta:
        ordering = ["first_day"]
        constraints = _days_off_constraints("closure")

    def __str__(self) -> str:
        return f"{self.reason or 'Closed'} {self.first_day}-{self.last_day}"


class WorkingHours(models.Model):
    """A practitioner's working interval on a weekday. A practitioner with no
    rows works the clinic's opening hours."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = _weekly_constraints("working")

    def __str__(self) -> str:
        return f"{self.staff}: {self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class Break(models.Model):
    """A break that recurs every week (lunch)."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="breaks")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        constraints = _weekly_constraints("break")

    def __str__(self) -> str:
        return f"{self.staff}: {self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class Leave(_DaysOff):
    """A practitioner's absence: holidays, a training day, an afternoon off."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="leave")

    class Meta:
        ordering = ["first_day"]
        verbose_name_plural = "leave"
        constraints = _days_off_constraints("leave")

    def __str__(self) -> str:
        return f"{self.staff}: {self.first_day}-{self.last_day}"


class ServiceKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    SESSION = "session", _("Treatment session")


class Service(models.Model):
    """Something the clinic books: a consultation, or a session of one
    indication on one area. The appointment lasts numbing + procedure +
    clean-up; the buffers keep the practitioner, room and device free before
    and after (setting up, disinfecting)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="services")
    key = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ServiceKind.choices)
    indication = models.CharField(max_length=60, blank=True, help_text=_("A catalog key."))
    area = models.CharField(max_length=60, blank=True, help_text=_("A catalog key."))
    protocol = models.CharField(
        max_length=80, blank=True, help_text=_("A catalog key; blank: the default protocol.")
    )
    numbing_minutes = models.PositiveSmallIntegerField(default=0)
    procedure_minutes = models.PositiveSmallIntegerField()
    cleanup_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    needs_room = models.BooleanField(default=True)
    rooms = models.ManyToManyField(
        Room, blank=True, related_name="services", help_text=_("None chosen: any room.")
    )
    device_kind = models.CharField(
        max_length=20, choices=DeviceKind.choices, blank=True, help_text=_("Blank: no device.")
    )
    practitioners = models.ManyToManyField(
        StaffMember, blank=True, related_name="services", help_text=_("Who gives it.")
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], name="service_key_per_clinic"),
            models.CheckConstraint(
                condition=models.Q(procedure_minutes__gt=0), name="service_has_a_procedure"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="consultation")
                | (~models.Q(indication="") & ~models.Q(area="")),
                name="session_service_names_indication_and_area",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration_minutes(self) -> int:
        return self.numbing_minutes + self.procedure_minutes + self.cleanup_minutes


class Course(models.Model):
    """A course of sessions booked in one step from a plan. The clinical
    side of the course (consent, charting) builds on it."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="courses")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="courses")
    protocol = models.CharField(max_length=80, help_text=_("A catalog key."))
    sessions = models.PositiveSmallIntegerField()
    # Days from each session to the next, [[min, max-or-null], ...], as the
    # protocol gave them when the course was booked.
    intervals = models.JSONField()
    # The first session's window as agreed when booking; later windows count
    # from the session before. Null for courses booked before it was kept.
    first_earliest = models.DateField(null=True, blank=True)
    first_latest = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(sessions__gte=1), name="course_has_sessions"),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.service} x{self.sessions}"


class Status(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


# The statuses that hold the practitioner, room and device. A cancelled
# appointment frees them; so does a no-show, so a walk-in can take the time.
LIVE_STATUSES = (Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED)


class Appointment(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text=_("The end of clean-up."))
    # What the appointment holds, buffers included; the overlap rules apply to these.
    blocked_from = models.DateTimeField()
    blocked_until = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["clinic", "starts_at"]),
            models.Index(fields=["practitioner", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    blocked_from__lte=models.F("starts_at"),
                    blocked_until__gte=models.F("ends_at"),
                ),
                name="appointment_blocks_its_own_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(cancel_reason=""),
                name="cancellation_has_a_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(course__isnull=True, session_number__isnull=True)
                | models.Q(course__isnull=False, session_number__gte=1),
                name="course_session_numbered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} - {self.service} - {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES


class CalendarFeed(models.Model):
    """A secret address at which a practitioner's calendar app reads their
    appointments (iCalendar). Regenerating the token revokes the old one."""

    staff = models.OneToOneField(
        StaffMember, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.staff}"
