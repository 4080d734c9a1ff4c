"""Turn a clinic's calendar rows into the core's availability inputs.

``load`` reads what decides availability between two local dates in a
fixed number of queries (seven, whatever the number of practitioners or
bookings); ``CalendarData.query`` builds the ``AvailabilityQuery`` for one
service. The core decides; this module only reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from clinics.models import Clinic, Device, Role, Room, StaffMember
from core import availability as av
from scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    Break,
    Closure,
    Leave,
    OpeningHours,
    Service,
    WorkingHours,
)

# A booking lies within one local day (core.availability), so what it blocks
# is at most 25 hours (the day the clocks go back), and it starts no earlier
# than that before the end of what it blocks. Bounding starts_at lets the
# (clinic, starts_at) index find the bookings of a day without reading every
# booking the clinic ever had.
_LONGEST = timedelta(hours=25)


type _Hours = dict[int, list[tuple[time, time]]]


def _weekly(rows: Iterable[tuple[int, time, time]]) -> _Hours:
    """(weekday, starts, ends) rows as the core's weekly hours."""
    hours: _Hours = defaultdict(list)
    for weekday, starts, ends in rows:
        hours[weekday].append((starts, ends))
    return dict(hours)


_WEEKLY = ("weekday", "starts", "ends")


def _day_off(row: Closure | Leave) -> av.DayOff:
    if row.whole_days:
        if row.first_day == row.last_day:
            return row.first_day
        return av.DateRange(row.first_day, row.last_day)
    return av.LocalInterval(*row.local_span())


def live_bookings(clinic: Clinic) -> QuerySet[Appointment]:
    return Appointment.objects.filter(clinic=clinic, status__in=LIVE_STATUSES)


BOOKING_FIELDS = ("blocked_from", "blocked_until", "practitioner_id", "room_id", "device_id")


@dataclass(frozen=True)
class CalendarData:
    """A clinic's calendar between two local dates, as the core sees it."""

    clinic: Clinic
    core_clinic: av.Clinic
    practitioners: tuple[av.Practitioner, ...]
    rooms: tuple[av.Room, ...]
    devices: tuple[av.Device, ...]
    bookings: tuple[av.Booking, ...]
    staff: dict[int, StaffMember]
    room_rows: dict[int, Room]
    device_rows: dict[int, Device]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.time_zone)

    def query(
        self,
        service: Service,
        start: date | datetime,
        end: date | datetime,
        *,
        practitioner_id: int | None = None,
        now: datetime | None = None,
        granularity_minutes: int = 15,
        room_ids: frozenset[int] | None = None,
    ) -> av.AvailabilityQuery:
        """``room_ids``: the rooms the service may use (None: any)."""
        rooms = self.rooms if room_ids is None else tuple(r for r in self.rooms if r.id in room_ids)
        return av.AvailabilityQuery(
            clinic=self.core_clinic,
            practitioners=self.practitioners,
            rooms=rooms,
            devices=self.devices,
            bookings=self.bookings,
            service=core_service(service),
            start=start,
            end=end,
            now=now or timezone.now(),
            granularity_minutes=granularity_minutes,
            practitioner_id=practitioner_id,
        )


def core_service(service: Service) -> av.Service:
    return av.Service(
        key=service.key,
        numbing_minutes=service.numbing_minutes,
        procedure_minutes=service.procedure_minutes,
        cleanup_minutes=service.cleanup_minutes,
        buffer_before_minutes=service.buffer_before_minutes,
        buffer_after_minutes=service.buffer_after_minutes,
        needs_room=service.needs_room,
        device_kind=service.device_kind or None,
    )


def service_room_ids(service: Service) -> frozenset[int] | None:
    """The rooms a service may use; None when any room will do. One query."""
    ids = frozenset(service.rooms.values_list("pk", flat=True))
    return ids or None


def practitioners(clinic: Clinic) -> QuerySet[StaffMember]:
    return StaffMember.objects.filter(clinic=clinic, role=Role.PRACTITIONER, active=True)


@dataclass(frozen=True)
class _Static:
    """What shapes a clinic's calendar whatever the dates: read-only."""

    opening: av.WeeklyHours
    staff: dict[int, StaffMember]
    hours: dict[int, _Hours]  # a practitioner without rows works the opening hours
    breaks: dict[int, _Hours]
    services: dict[int, frozenset[str]]
    room_rows: dict[int, Room]
    device_rows: dict[int, Device]


# Per process: clinic id -> (its calendar_version, its static calendar). A
# change to hours, staff, rooms, devices or services gives the clinic a new
# random version in the same transaction (scheduling/signals.py), so a stale
# or rolled-back entry never matches; changes made with QuerySet.update() or
# bulk_create() bypass the signals and must call bump_calendar_version.
_STATIC: dict[int, tuple[UUID, _Static]] = {}


def bump_calendar_version(clinic_ids: Iterable[int]) -> None:
    Clinic.objects.filter(pk__in=list(clinic_ids)).update(calendar_version=uuid4())


def _static(clinic: Clinic) -> _Static:
    """The clinic's static calendar: one query when cached, eight when not."""
    version = Clinic.objects.filter(pk=clinic.pk).values_list("calendar_version", flat=True).first()
    cached = _STATIC.get(clinic.pk)
    if version is not None and cached is not None and cached[0] == version:
        return cached[1]
    opening_rows = list(OpeningHours.objects.filter(clinic=clinic).values_list(*_WEEKLY))
    staff = {s.pk: s for s in practitioners(clinic).select_related("user").order_by("pk")}
    hours: dict[int, list[tuple[int, time, time]]] = defaultdict(list)
    for staff_id, *row in WorkingHours.objects.filter(staff__in=staff.keys()).values_list(
        "staff_id", *_WEEKLY
    ):
        hours[staff_id].append(tuple(row))  # type: ignore[arg-type]
    breaks: dict[int, list[tuple[int, time, time]]] = defaultdict(list)
    for staff_id, *row in Break.objects.filter(staff__in=staff.keys()).values_list(
        "staff_id", *_WEEKLY
    ):
        breaks[staff_id].append(tuple(row))  # type: ignore[arg-type]
    services: dict[int, set[str]] = defaultdict(set)
    for staff_id, key in Service.practitioners.through.objects.filter(
        staffmember__in=staff.keys(), service__active=True
    ).values_list("staffmember_id", "service__key"):
        services[staff_id].add(key)
    static = _Static(
        # No rows at all: the default week (Monday-Saturday 10:00-19:00).
        opening=_weekly(opening_rows) if opening_rows else av.default_opening_hours(),
        staff=staff,
        hours={pk: _weekly(rows) for pk, rows in hours.items()},
        breaks={pk: _weekly(rows) for pk, rows in breaks.items()},
        services={pk: frozenset(keys) for pk, keys in services.items()},
        room_rows={r.pk: r for r in Room.objects.filter(clinic=clinic).order_by("pk")},
        device_rows={d.pk: d for d in Device.objects.filter(clinic=clinic).order_by("pk")},
    )
    if version is not None:
        _STATIC[clinic.pk] = (version, static)
    return static


def load(
    clinic: Clinic,
    first: date,
    last: date,
    *,
    practitioner_ids: Collection[int] | None = None,
    bookings_between: tuple[datetime, datetime] | None = None,
    exclude_appointment: int | None = None,
) -> CalendarData:
    """Everything that decides availability from local date ``first`` to
    ``last``, for the practitioners ``practitioner_ids`` (None: all of
    them). Bookings are those that touch those dates (or, when given, the
    instants ``bookings_between``), ``exclude_appointment`` left out; with
    ``practitioner_ids``, only theirs and those that hold a room or device."""
    tz = ZoneInfo(clinic.time_zone)
    lo = datetime.combine(first, time(0), tz)
    hi = datetime.combine(last + timedelta(days=1), time(0), tz)
    if bookings_between is not None:
        lo, hi = bookings_between

    around = Q(last_day__gte=first - timedelta(days=1), first_day__lte=last + timedelta(days=1))
    static = _static(clinic)
    staff = (
        static.staff
        if practitioner_ids is None
        else {pk: s for pk, s in static.staff.items() if pk in practitioner_ids}
    )
    closures = Closure.objects.filter(around, clinic=clinic)
    leave: dict[int, list[Leave]] = defaultdict(list)
    for off in Leave.objects.filter(around, staff__in=staff.keys()):
        leave[off.staff_id].append(off)
    room_rows, device_rows = static.room_rows, static.device_rows
    booked = live_bookings(clinic).filter(
        blocked_until__gt=lo,
        blocked_from__lt=hi,
        starts_at__gt=lo - _LONGEST,
        starts_at__lt=hi + _LONGEST,
    )
    if practitioner_ids is not None:
        booked = booked.filter(
            Q(practitioner__in=practitioner_ids) | Q(room__isnull=False) | Q(device__isnull=False)
        )
    if exclude_appointment is not None:
        booked = booked.exclude(pk=exclude_appointment)

    return CalendarData(
        clinic=clinic,
        core_clinic=av.Clinic(
            time_zone=clinic.time_zone,
            # No rows at all: the default week (Monday-Saturday 10:00-19:00).
            opening_hours=static.opening,
            closures=tuple(_day_off(c) for c in closures),
        ),
        practitioners=tuple(
            av.Practitioner(
                id=pk,
                services=static.services.get(pk, frozenset()),
                working_hours=static.hours.get(pk),
                breaks=static.breaks.get(pk, {}),
                leave=tuple(_day_off(off) for off in leave[pk]),
            )
            for pk in staff
        ),
        rooms=tuple(av.Room(pk) for pk in room_rows),
        devices=tuple(av.Device(pk, d.kind) for pk, d in device_rows.items()),
        bookings=tuple(av.Booking(*row) for row in booked.values_list(*BOOKING_FIELDS)),
        staff=staff,
        room_rows=room_rows,
        device_rows=device_rows,
    )
