"""Book a whole course in one step, and move one of its sessions.

The core fits the course (``core.course_fitting``: each session in its
window, one practitioner where possible, at the patient's preferred times);
this module reads the calendar once for the whole search, then writes every
session in one transaction, so a course is booked whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from clinics.models import Clinic
from core import availability as av
from core.catalog.model import IntRange, Protocol
from core.course_fitting import (
    CourseFailure,
    CoursePlan,
    Preferences,
    Window,
    fit_course,
    rewindow,
)
from core.planning import PlanError, PlanRequest, phase_for, pick_protocol
from mesoclinic.catalog import get_catalog
from patients.models import Patient
from scheduling.booking import BookingError, book, hold_all, reschedule
from scheduling.calendar import load, service_room_ids
from scheduling.models import Appointment, Course, Service, ServiceKind, Status

OPEN_WINDOW_DAYS = 28  # how far an open-ended window ("at least a month") is searched
ALTERNATIVE_DAYS = 14


class CourseError(Exception):
    """The course cannot be booked. ``failure`` says which session could not
    be placed and the nearest alternatives, when that is the reason."""

    def __init__(
        self,
        status: int,
        field: str,
        message: str,
        failure: CourseFailure | None = None,
        proposal: Proposal | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message
        self.failure = failure
        self.proposal = proposal  # the new proposal, when the one shown is out of date


@dataclass(frozen=True)
class CourseRequest:
    patient: Patient
    service: Service
    first: Window  # the first session's window, local dates
    sessions: int | None = None  # None: the protocol's default
    protocol: str | None = None  # None: the service's, else the catalog's default
    preferences: Preferences = field(default_factory=Preferences)


@dataclass(frozen=True)
class Proposal:
    protocol: Protocol
    intervals: tuple[IntRange, ...]
    plan: CoursePlan


def intervals_of(protocol: Protocol, sessions: int) -> tuple[IntRange, ...]:
    """Days from each session to the next, from the protocol's phases."""
    return tuple(
        phase.interval_days
        for number in range(2, sessions + 1)
        if (phase := phase_for(protocol, number)) is not None
    )


def protocol_at(clinic: Clinic, indication: str, area: str, key: str | None = None) -> Protocol:
    """The protocol ``key`` (None: the catalog's default) for an indication
    at an area, as the clinic's country allows it. Raises PlanError (its
    ``field`` names the input to blame) when it is unknown or not offered."""
    request = PlanRequest(
        indication=indication,
        area=area,
        start_date=clinic.today(),
        protocol=key,
        country=clinic.country,
        currency=clinic.currency,
    )
    return pick_protocol(get_catalog(), request, clinic.country)


def _protocol(clinic: Clinic, request: CourseRequest) -> tuple[Protocol, int]:
    service = request.service
    if service.kind != ServiceKind.SESSION:
        raise CourseError(422, "service", f"{service.name} is not a treatment session.")
    key = request.protocol or service.protocol or None
    try:
        protocol = protocol_at(clinic, service.indication, service.area, key)
    except PlanError as error:
        raise CourseError(422, error.field, error.message.render()) from None
    count = protocol.default_sessions if request.sessions is None else request.sessions
    low, high = protocol.sessions.min, protocol.sessions.max
    if count < low or (high is not None and count > high):
        raise CourseError(
            422,
            "sessions",
            f"{protocol.name} is given in {low} to {high or 'any number of'} sessions.",
        )
    return protocol, count


def _horizon(first: Window, intervals: tuple[IntRange, ...]) -> date:
    last = first.latest or first.earliest + timedelta(days=OPEN_WINDOW_DAYS)
    for interval in intervals:
        last += timedelta(days=interval.max or interval.min + OPEN_WINDOW_DAYS)
    return last + timedelta(days=ALTERNATIVE_DAYS)


def propose(clinic: Clinic, request: CourseRequest) -> Proposal:
    """The sessions the course would take, or CourseError (422 for a bad
    request, 409 with ``failure`` when the calendar has no room)."""
    if request.patient.clinic_id != clinic.pk:
        raise CourseError(422, "patient", "There is no such patient here.")
    if request.service.clinic_id != clinic.pk or not request.service.active:
        raise CourseError(422, "service", "There is no such service here.")
    if request.first.latest is not None and request.first.latest < request.first.earliest:
        raise CourseError(422, "first_latest", "The first window ends before it starts.")
    today = clinic.today()
    if request.first.earliest < today:
        raise CourseError(422, "first_earliest", "The first session cannot be in the past.")
    protocol, count = _protocol(clinic, request)
    intervals = intervals_of(protocol, count)
    first_day = max(today, request.first.earliest - timedelta(days=ALTERNATIVE_DAYS))
    data = load(clinic, first_day, _horizon(request.first, intervals))
    finder = av.slot_finder(
        data.query(
            request.service,
            first_day,
            first_day,
            room_ids=service_room_ids(request.service),
        )
    )
    result = fit_course(
        request.first,
        intervals,
        finder,
        data.core_clinic,
        request.preferences,
        today=today,
        open_window_days=OPEN_WINDOW_DAYS,
        alternative_days=ALTERNATIVE_DAYS,
    )
    if isinstance(result, CourseFailure):
        raise CourseError(409, "sessions", result.message, result)
    return Proposal(protocol, intervals, result)


type Expected = Sequence[tuple[datetime, int]]
"""What the person booking was shown: each session's start and practitioner."""


def matches(proposal: Proposal, expected: Expected) -> bool:
    return [(s.slot.start, int(s.slot.practitioner_id)) for s in proposal.plan.sessions] == [
        (start, practitioner) for start, practitioner in expected
    ]


def book_course(
    clinic: Clinic, request: CourseRequest, *, by: object, expected: Expected | None = None
) -> Course:
    """Book every session of the course, or none. With ``expected`` (the
    proposal the desk showed the patient), refuse with 409 and the new
    proposal when the calendar has changed since, rather than book other
    times than the ones agreed."""
    proposal = propose(clinic, request)
    if expected is not None and not matches(proposal, expected):
        raise CourseError(
            409,
            "sessions",
            "The calendar has changed since the proposal was shown. Nothing was booked; "
            "please check the new proposal with the patient.",
            proposal=proposal,
        )
    sessions = proposal.plan.sessions
    with transaction.atomic():
        hold_all(
            practitioners={int(s.slot.practitioner_id) for s in sessions},
            rooms={int(s.slot.room_id) for s in sessions if s.slot.room_id is not None},
            devices={int(s.slot.device_id) for s in sessions if s.slot.device_id is not None},
        )
        course = Course.objects.create(
            clinic=clinic,
            patient=request.patient,
            service=request.service,
            protocol=proposal.protocol.key,
            sessions=len(sessions),
            intervals=[[i.min, i.max] for i in proposal.intervals],
            first_earliest=request.first.earliest,
            first_latest=request.first.latest,
            created_by=by,
        )
        for session in sessions:
            slot = session.slot
            try:
                book(
                    clinic=clinic,
                    patient=request.patient,
                    service=request.service,
                    practitioner_id=int(slot.practitioner_id),
                    start=slot.start,
                    room_id=None if slot.room_id is None else int(slot.room_id),
                    device_id=None if slot.device_id is None else int(slot.device_id),
                    course=course,
                    session_number=session.number,
                    by=by,
                )
            except BookingError as error:
                # Someone took the time between the search and the write.
                raise CourseError(
                    409,
                    "sessions",
                    f"Session {session.number}: {error.message} Nothing was booked; "
                    "please try again.",
                ) from None
    return course


@dataclass(frozen=True)
class Moved:
    appointment: Appointment
    windows: CourseWindows | None  # None when the appointment is not part of a course


@dataclass(frozen=True)
class CourseWindows:
    """Each session's booked local date (None: not booked), its window
    counted from the session before as booked (the first from the window
    agreed at booking; None when it cannot be known), and the numbers of the
    booked sessions that lie outside their window."""

    dates: tuple[date | None, ...]
    windows: tuple[Window | None, ...]
    misfits: tuple[int, ...]


def course_windows(course: Course) -> CourseWindows:
    dates = course_dates(course)
    anchor = next((i for i, day in enumerate(dates) if day is not None), None)
    if anchor is None:
        return CourseWindows(tuple(dates), (None,) * len(dates), ())
    day = dates[anchor]
    assert day is not None
    # Re-placing a booked session on its own date recomputes every window.
    result = rewindow(course_intervals(course), dates, anchor, day, first_window(course))
    misfits = tuple(
        number
        for number, (day, window) in enumerate(zip(result.dates, result.windows, strict=True), 1)
        if day is not None and window is not None and not window.contains(day)
    )
    return CourseWindows(result.dates, result.windows, misfits)


def course_dates(course: Course) -> list[date | None]:
    """Each session's booked local date, None where it is not booked."""
    tz = ZoneInfo(course.clinic.time_zone)
    dates: list[date | None] = [None] * course.sessions
    for number, starts_at in course.appointments.filter(
        status__in=(Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED)
    ).values_list("session_number", "starts_at"):
        if number is not None and 1 <= number <= course.sessions:
            dates[number - 1] = starts_at.astimezone(tz).date()
    return dates


def first_window(course: Course) -> Window | None:
    if course.first_earliest is None:
        return None
    return Window(course.first_earliest, course.first_latest)


def course_intervals(course: Course) -> list[IntRange]:
    return [IntRange(int(lo), None if hi is None else int(hi)) for lo, hi in course.intervals]


def move_session(
    *,
    clinic: Clinic,
    appointment_id: int,
    start: datetime,
    by: object,
    practitioner_id: int | None = None,
    room_id: int | None = None,
    device_id: int | None = None,
    reason: str = "",
) -> Moved:
    """Move an appointment; for a course session, also recompute the windows
    of the later sessions and name those that no longer fit (they are not
    moved: that is the clinic's and the patient's choice)."""
    appointment = reschedule(
        clinic=clinic,
        appointment_id=appointment_id,
        start=start,
        by=by,
        practitioner_id=practitioner_id,
        room_id=room_id,
        device_id=device_id,
        reason=reason,
    )
    course = appointment.course
    if course is None or appointment.session_number is None:
        return Moved(appointment, None)
    return Moved(appointment, course_windows(course))
