"""Availability, appointments and whole courses over JSON.

``GET /availability`` is public (free times reveal nothing about patients).
Everything else needs a staff login at the clinic (Django session; unsafe
methods need the CSRF token, as a browser sends it). An appointment or
course of another clinic is answered 404, as if it did not exist.

The rules live in the core and in ``scheduling``; this module parses,
checks who is asking, and shapes the answer. Refusals keep the API's one
error shape (api/errors.py): 409 when the time is taken, 422 when a rule is
broken, each naming the field.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr, field_validator

from api.errors import ApiError
from clinics.access import membership, staff_clinic
from clinics.models import Clinic
from core import availability as av
from core.course_fitting import CourseFailure, Preferences, Window
from mesoclinic.site import public_clinic
from patients.models import Patient
from scheduling.booking import BookingError, book, cancel, check_in, mark_no_show
from scheduling.calendar import load, service_room_ids
from scheduling.courses import (
    CourseError,
    CourseRequest,
    CourseWindows,
    Proposal,
    book_course,
    course_windows,
    move_session,
    propose,
)
from scheduling.models import Appointment, Course, Service

router = Router()

MAX_RANGE_DAYS = 62


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "Give the time with its UTC offset, e.g. 2026-11-23T10:00:00+05:30, "
            "so it cannot be misread across time zones."
        )
    return value


def _no_number(value: Any) -> Any:
    # Pydantic reads a number as a Unix timestamp; a client sending one erred.
    if not isinstance(value, str):
        raise ValueError("Enter a date and time as text, e.g. 2026-11-23T10:00:00+05:30.")
    return value


# -- who is asking ---------------------------------------------------------------------------


def _clinic_for_staff(request: HttpRequest, slug: str) -> Clinic:
    try:
        clinic, _ = staff_clinic(request.user, slug)
    except Http404:
        raise ApiError(
            404, "There is no such clinic, or you are not its staff.", "clinic"
        ) from None
    except PermissionDenied as error:
        raise ApiError(403, str(error), "clinic") from None
    return clinic


def _appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    """The appointment, if the user is staff at its clinic; else 404."""
    appointment = (
        Appointment.objects.select_related(
            "clinic", "patient", "service", "practitioner__user", "room", "device"
        )
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None or membership(request.user, appointment.clinic) is None:
        raise ApiError(404, "There is no such appointment.", "appointment")
    return appointment


def _raise(error: BookingError) -> ApiError:
    return ApiError(error.status, error.message, error.field)


def _service(clinic: Clinic, key: str) -> Service:
    service = Service.objects.filter(clinic=clinic, key=key, active=True).first()
    if service is None:
        raise ApiError(422, "There is no such service at this clinic.", "service")
    return service


def _patient(clinic: Clinic, patient_id: int) -> Patient:
    patient = Patient.objects.filter(clinic=clinic, pk=patient_id).first()
    if patient is None:
        raise ApiError(422, "There is no such patient at this clinic.", "patient")
    return patient


# -- shapes ----------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class ServiceRef(Schema):
    key: str
    name: str
    minutes: int = Field(..., description="Numbing + procedure + clean-up.")


class SlotOut(Schema):
    start: datetime = Field(..., description="In the clinic's time zone, with its offset.")
    end: datetime = Field(..., description="The end of clean-up.")
    practitioner: Ref
    room: Ref | None
    device: Ref | None


class AvailabilityOut(Schema):
    clinic: str
    time_zone: str
    service: ServiceRef
    slots: list[SlotOut]


class AppointmentOut(Schema):
    id: int
    clinic: str
    time_zone: str
    status: str
    start: datetime
    end: datetime
    patient: Ref
    service: ServiceRef
    practitioner: Ref
    room: Ref | None
    device: Ref | None
    course: int | None
    session_number: int | None
    notes: str
    cancel_reason: str
    checked_in_at: datetime | None


class WindowOut(Schema):
    earliest: date
    latest: date | None = Field(..., description="None when the sources set no maximum.")


class CourseWindowsOut(Schema):
    id: int
    dates: list[date | None] = Field(..., description="Each session's booked local date.")
    windows: list[WindowOut | None]
    misfits: list[int] = Field(..., description="Sessions that lie outside their window.")


class MovedOut(Schema):
    appointment: AppointmentOut
    course: CourseWindowsOut | None


class HistoryOut(Schema):
    at: datetime
    by: str | None
    change: str
    status: str
    start: datetime
    practitioner: int
    room: int | None


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.username)


def _ref(obj: Any) -> Ref | None:
    return None if obj is None else Ref(id=obj.pk, name=obj.name)


def _service_ref(service: Service) -> ServiceRef:
    return ServiceRef(key=service.key, name=service.name, minutes=service.duration_minutes)


def appointment_out(appointment: Appointment) -> AppointmentOut:
    tz = ZoneInfo(appointment.clinic.time_zone)
    staff = appointment.practitioner
    return AppointmentOut(
        id=appointment.pk,
        clinic=appointment.clinic.slug,
        time_zone=appointment.clinic.time_zone,
        status=appointment.status,
        start=appointment.starts_at.astimezone(tz),
        end=appointment.ends_at.astimezone(tz),
        patient=Ref(id=appointment.patient.pk, name=str(appointment.patient)),
        service=_service_ref(appointment.service),
        practitioner=Ref(id=staff.pk, name=_name(staff.user)),
        room=_ref(appointment.room),
        device=_ref(appointment.device),
        course=appointment.course_id,
        session_number=appointment.session_number,
        notes=appointment.notes,
        cancel_reason=appointment.cancel_reason,
        checked_in_at=appointment.checked_in_at,
    )


def _dates(start: date, end: date) -> None:
    if end < start:
        raise ApiError(422, "The end date is before the start date.", "end")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ApiError(422, f"Ask for at most {MAX_RANGE_DAYS} days at a time.", "end")


# -- availability ----------------------------------------------------------------------------


class AvailabilityQuery(Schema):
    service: StrictStr = Field(..., max_length=80, description="A service key, e.g. consultation.")
    start: date = Field(..., description="First local date, YYYY-MM-DD.")
    end: date | None = Field(None, description="Last local date, included; start if left out.")
    practitioner: int | None = Field(None, description="A practitioner's id; anyone if left out.")
    clinic: StrictStr | None = Field(None, max_length=50, description="Public clinic if left out.")
    granularity: int = Field(15, ge=5, le=120, description="Minutes between start times.")


@router.get("/availability", response={200: AvailabilityOut}, tags=["scheduling"])
def availability(request: HttpRequest, query: Query[AvailabilityQuery]) -> AvailabilityOut:
    """Free start times of a service between two local dates (both included),
    for one practitioner or anyone who gives it; every time offered is one
    ``POST /appointments`` accepts, unless someone books it first."""
    slug = query.clinic or public_clinic().slug
    clinic = Clinic.objects.filter(slug=slug).first()
    if clinic is None:
        raise ApiError(422, "Unknown clinic.", "clinic")
    last = query.end or query.start
    _dates(query.start, last)
    service = _service(clinic, query.service)
    only = None if query.practitioner is None else (query.practitioner,)
    data = load(clinic, query.start, last, practitioner_ids=only)
    if query.practitioner is not None and query.practitioner not in data.staff:
        raise ApiError(422, "There is no such practitioner at this clinic.", "practitioner")
    slots = av.free_slots(
        data.query(
            service,
            query.start,
            last,
            practitioner_id=query.practitioner,
            granularity_minutes=query.granularity,
            room_ids=service_room_ids(service),
        )
    )
    tz = data.tz
    names = {pk: _name(s.user) for pk, s in data.staff.items()}
    rooms = {pk: Ref(id=pk, name=r.name) for pk, r in data.room_rows.items()}
    devices = {pk: Ref(id=pk, name=d.name) for pk, d in data.device_rows.items()}
    return AvailabilityOut(
        clinic=clinic.slug,
        time_zone=clinic.time_zone,
        service=_service_ref(service),
        slots=[
            SlotOut(
                start=slot.start.astimezone(tz),
                end=slot.end.astimezone(tz),
                practitioner=Ref(
                    id=int(slot.practitioner_id), name=names[int(slot.practitioner_id)]
                ),
                room=None if slot.room_id is None else rooms[int(slot.room_id)],
                device=None if slot.device_id is None else devices[int(slot.device_id)],
            )
            for slot in slots
        ],
    )


# -- appointments ----------------------------------------------------------------------------


class AppointmentIn(_In):
    clinic: StrictStr = Field(..., max_length=50)
    patient: StrictInt
    service: StrictStr = Field(..., max_length=80)
    practitioner: StrictInt
    start: datetime = Field(..., description="With its UTC offset.")
    room: StrictInt | None = Field(None, description="The first free room if left out.")
    device: StrictInt | None = Field(None, description="The first free device if left out.")
    notes: StrictStr = Field("", max_length=2000)

    _start_text = field_validator("start", mode="before")(_no_number)
    _start_aware = field_validator("start")(_aware)


@router.post(
    "/appointments",
    response={201: AppointmentOut},
    auth=django_auth,
    tags=["scheduling"],
)
def create_appointment(request: HttpRequest, payload: AppointmentIn) -> Status:
    """Book one appointment: 201, 409 when the time was taken, 422 when it
    breaks a rule (outside opening or working hours, a closed day, a service
    the practitioner does not give...)."""
    clinic = _clinic_for_staff(request, payload.clinic)
    try:
        appointment = book(
            clinic=clinic,
            patient=_patient(clinic, payload.patient),
            service=_service(clinic, payload.service),
            practitioner_id=payload.practitioner,
            start=payload.start,
            room_id=payload.room,
            device_id=payload.device,
            notes=payload.notes,
            by=request.user,
        )
    except BookingError as error:
        raise _raise(error) from None
    return Status(201, appointment_out(appointment))


class AppointmentsQuery(Schema):
    clinic: StrictStr = Field(..., max_length=50)
    start: date
    end: date | None = Field(None, description="Last local date, included; start if left out.")
    practitioner: int | None = None
    room: int | None = None
    patient: int | None = None
    status: str | None = None


@router.get(
    "/appointments",
    response={200: list[AppointmentOut]},
    auth=django_auth,
    tags=["scheduling"],
)
def list_appointments(
    request: HttpRequest, query: Query[AppointmentsQuery]
) -> list[AppointmentOut]:
    """Appointments that start between two local dates, both included."""
    clinic = _clinic_for_staff(request, query.clinic)
    last = query.end or query.start
    _dates(query.start, last)
    tz = ZoneInfo(clinic.time_zone)
    rows = Appointment.objects.filter(
        clinic=clinic,
        starts_at__gte=datetime.combine(query.start, datetime.min.time(), tz),
        starts_at__lt=datetime.combine(last + timedelta(days=1), datetime.min.time(), tz),
    ).select_related("clinic", "patient", "service", "practitioner__user", "room", "device")
    if query.practitioner is not None:
        rows = rows.filter(practitioner_id=query.practitioner)
    if query.room is not None:
        rows = rows.filter(room_id=query.room)
    if query.patient is not None:
        rows = rows.filter(patient_id=query.patient)
    if query.status is not None:
        rows = rows.filter(status=query.status)
    return [appointment_out(a) for a in rows.order_by("starts_at", "pk")]


@router.get(
    "/appointments/{appointment_id}",
    response={200: AppointmentOut},
    auth=django_auth,
    tags=["scheduling"],
)
def get_appointment(request: HttpRequest, appointment_id: int) -> AppointmentOut:
    return appointment_out(_appointment(request, appointment_id))


class RescheduleIn(_In):
    start: datetime = Field(..., description="With its UTC offset.")
    practitioner: StrictInt | None = Field(None, description="Kept if left out.")
    room: StrictInt | None = Field(None, description="Kept when still free if left out.")
    device: StrictInt | None = None
    reason: StrictStr = Field("", max_length=500)

    _start_text = field_validator("start", mode="before")(_no_number)
    _start_aware = field_validator("start")(_aware)


def course_windows_out(course: Course, windows: CourseWindows | None = None) -> CourseWindowsOut:
    windows = windows or course_windows(course)
    return CourseWindowsOut(
        id=course.pk,
        dates=list(windows.dates),
        windows=[
            None if w is None else WindowOut(earliest=w.earliest, latest=w.latest)
            for w in windows.windows
        ],
        misfits=list(windows.misfits),
    )


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response={200: MovedOut},
    auth=django_auth,
    tags=["scheduling"],
)
def reschedule_appointment(
    request: HttpRequest, appointment_id: int, payload: RescheduleIn
) -> MovedOut:
    """Move a booked appointment, with every check of a new booking. For a
    course session, the answer also gives the later sessions' windows
    counted from the new date and the sessions that no longer fit them."""
    appointment = _appointment(request, appointment_id)
    try:
        moved = move_session(
            clinic=appointment.clinic,
            appointment_id=appointment.pk,
            start=payload.start,
            by=request.user,
            practitioner_id=payload.practitioner,
            room_id=payload.room,
            device_id=payload.device,
            reason=payload.reason,
        )
    except BookingError as error:
        raise _raise(error) from None
    fresh = _appointment(request, appointment.pk)
    course = None if fresh.course is None else course_windows_out(fresh.course, moved.windows)
    return MovedOut(appointment=appointment_out(fresh), course=course)


class CancelIn(_In):
    reason: StrictStr = Field(..., max_length=500)


def _change(
    request: HttpRequest, appointment_id: int, action: Any, **kwargs: Any
) -> AppointmentOut:
    appointment = _appointment(request, appointment_id)
    try:
        action(clinic=appointment.clinic, appointment_id=appointment.pk, by=request.user, **kwargs)
    except BookingError as error:
        raise _raise(error) from None
    return appointment_out(_appointment(request, appointment_id))


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut},
    auth=django_auth,
    tags=["scheduling"],
)
def cancel_appointment(
    request: HttpRequest, appointment_id: int, payload: CancelIn
) -> AppointmentOut:
    """Cancel, with the reason (required); the time is freed."""
    return _change(request, appointment_id, cancel, reason=payload.reason)


@router.post(
    "/appointments/{appointment_id}/check-in",
    response={200: AppointmentOut},
    auth=django_auth,
    tags=["scheduling"],
)
def check_in_appointment(request: HttpRequest, appointment_id: int) -> AppointmentOut:
    """The patient has arrived (on the appointment's day only)."""
    return _change(request, appointment_id, check_in)


@router.post(
    "/appointments/{appointment_id}/no-show",
    response={200: AppointmentOut},
    auth=django_auth,
    tags=["scheduling"],
)
def no_show_appointment(request: HttpRequest, appointment_id: int) -> AppointmentOut:
    """The patient did not come (once the start time has passed)."""
    return _change(request, appointment_id, mark_no_show)


@router.get(
    "/appointments/{appointment_id}/history",
    response={200: list[HistoryOut]},
    auth=django_auth,
    tags=["scheduling"],
)
def appointment_history(request: HttpRequest, appointment_id: int) -> list[HistoryOut]:
    """Every change to the appointment, oldest first: who, when, what."""
    appointment = _appointment(request, appointment_id)
    tz = ZoneInfo(appointment.clinic.time_zone)
    return [
        HistoryOut(
            at=row.history_date.astimezone(tz),
            by=None if row.history_user is None else _name(row.history_user),
            change=row.history_change_reason or "",
            status=row.status,
            start=row.starts_at.astimezone(tz),
            practitioner=row.practitioner_id,
            room=row.room_id,
        )
        for row in appointment.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    ]


# -- courses ---------------------------------------------------------------------------------


class PreferencesIn(_In):
    weekdays: list[StrictInt] = Field(default_factory=list, description="Monday = 0.")
    times_of_day: list[Literal["morning", "afternoon", "evening"]] = Field(default_factory=list)
    practitioner: StrictInt | None = None
    practitioner_required: StrictBool = False

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(d not in range(7) for d in value):
            raise ValueError("Weekdays are 0 (Monday) to 6 (Sunday).")
        return value


class ExpectedIn(_In):
    start: datetime
    practitioner: StrictInt

    _start_text = field_validator("start", mode="before")(_no_number)
    _start_aware = field_validator("start")(_aware)


class CourseIn(_In):
    clinic: StrictStr = Field(..., max_length=50)
    patient: StrictInt
    service: StrictStr = Field(..., max_length=80, description="A session service's key.")
    sessions: StrictInt | None = Field(None, description="The protocol's default if left out.")
    protocol: StrictStr | None = Field(None, max_length=80)
    first_earliest: date = Field(..., description="The first session's window, local dates.")
    first_latest: date | None = Field(None, description="first_earliest if left out.")
    preferences: PreferencesIn = Field(default_factory=PreferencesIn)
    expected: list[ExpectedIn] | None = Field(
        None,
        description=(
            "The proposal shown to the patient (POST /courses only): when the calendar "
            "has changed since, nothing is booked and the answer is 409 with the new proposal."
        ),
    )


class PlannedOut(Schema):
    number: int
    window: WindowOut
    start: datetime
    end: datetime
    practitioner: Ref
    room: Ref | None
    device: Ref | None
    preferred: bool = Field(..., description="At one of the patient's preferred times.")


class ProposalOut(Schema):
    protocol: str
    same_practitioner: bool
    sessions: list[PlannedOut]


class CourseOut(Schema):
    id: int
    protocol: str
    sessions: int
    appointments: list[AppointmentOut]
    windows: CourseWindowsOut


def _course_request(request: HttpRequest, payload: CourseIn) -> tuple[Clinic, CourseRequest]:
    clinic = _clinic_for_staff(request, payload.clinic)
    prefs = payload.preferences
    return clinic, CourseRequest(
        patient=_patient(clinic, payload.patient),
        service=_service(clinic, payload.service),
        first=Window(payload.first_earliest, payload.first_latest or payload.first_earliest),
        sessions=payload.sessions,
        protocol=payload.protocol,
        preferences=Preferences(
            weekdays=frozenset(prefs.weekdays),
            times_of_day=frozenset(prefs.times_of_day),
            practitioner_id=prefs.practitioner,
            practitioner_required=prefs.practitioner_required,
        ),
    )


def _slot_json(slot: av.Slot | None, clinic: Clinic) -> dict[str, Any] | None:
    if slot is None:
        return None
    tz = ZoneInfo(clinic.time_zone)
    return {
        "start": slot.start.astimezone(tz).isoformat(),
        "end": slot.end.astimezone(tz).isoformat(),
        "practitioner": slot.practitioner_id,
        "room": slot.room_id,
        "device": slot.device_id,
    }


def proposal_out(clinic: Clinic, proposal: Proposal) -> ProposalOut:
    data_tz = ZoneInfo(clinic.time_zone)
    staff_names = {s.pk: _name(s.user) for s in clinic.staff.select_related("user").all()}
    rooms = {r.pk: Ref(id=r.pk, name=r.name) for r in clinic.rooms.all()}
    devices = {d.pk: Ref(id=d.pk, name=d.name) for d in clinic.devices.all()}
    return ProposalOut(
        protocol=proposal.protocol.key,
        same_practitioner=proposal.plan.same_practitioner,
        sessions=[
            PlannedOut(
                number=s.number,
                window=WindowOut(earliest=s.window.earliest, latest=s.window.latest),
                start=s.slot.start.astimezone(data_tz),
                end=s.slot.end.astimezone(data_tz),
                practitioner=Ref(
                    id=int(s.slot.practitioner_id),
                    name=staff_names[int(s.slot.practitioner_id)],
                ),
                room=None if s.slot.room_id is None else rooms[int(s.slot.room_id)],
                device=None if s.slot.device_id is None else devices[int(s.slot.device_id)],
                preferred=s.preferred,
            )
            for s in proposal.plan.sessions
        ],
    )


class CourseRefused(ApiError):
    def __init__(self, error: CourseError, clinic: Clinic) -> None:
        super().__init__(error.status, error.message, error.field)
        self.extra: dict[str, Any] = {}
        if error.proposal is not None:
            self.extra["proposal"] = proposal_out(clinic, error.proposal).model_dump(mode="json")
        failure: CourseFailure | None = error.failure
        if failure is not None:
            alt = failure.alternatives
            self.extra["failure"] = {
                "session": failure.session,
                "reason": failure.reason,
                "window": {
                    "earliest": failure.window.earliest.isoformat(),
                    "latest": None
                    if failure.window.latest is None
                    else failure.window.latest.isoformat(),
                },
                "previous": None if failure.previous is None else failure.previous.isoformat(),
                "alternatives": {
                    "before": _slot_json(alt.before, clinic),
                    "after": _slot_json(alt.after, clinic),
                    "other_practitioner": _slot_json(alt.other_practitioner, clinic),
                },
            }


@router.post(
    "/courses/proposal",
    response={200: ProposalOut},
    auth=django_auth,
    tags=["scheduling"],
)
def course_proposal(request: HttpRequest, payload: CourseIn) -> ProposalOut:
    """The times a whole course would take, without booking anything; 409
    with ``failure`` (which session, why, the nearest alternatives) when a
    window has no room."""
    clinic, course_request = _course_request(request, payload)
    try:
        proposal = propose(clinic, course_request)
    except CourseError as error:
        raise CourseRefused(error, clinic) from None
    return proposal_out(clinic, proposal)


def course_out(course: Course) -> CourseOut:
    appointments = course.appointments.select_related(
        "clinic", "patient", "service", "practitioner__user", "room", "device"
    ).order_by("session_number", "starts_at")
    return CourseOut(
        id=course.pk,
        protocol=course.protocol,
        sessions=course.sessions,
        appointments=[appointment_out(a) for a in appointments],
        windows=course_windows_out(course),
    )


@router.post(
    "/courses",
    response={201: CourseOut},
    auth=django_auth,
    tags=["scheduling"],
)
def create_course(request: HttpRequest, payload: CourseIn) -> Status:
    """Book every session of a course, or none: 201 with the appointments;
    409 with ``failure`` when a window has no room, or when someone took a
    chosen time meanwhile (nothing is booked then)."""
    clinic, course_request = _course_request(request, payload)
    try:
        expected = (
            None
            if payload.expected is None
            else [(e.start, e.practitioner) for e in payload.expected]
        )
        course = book_course(clinic, course_request, by=request.user, expected=expected)
    except CourseError as error:
        raise CourseRefused(error, clinic) from None
    return Status(201, course_out(course))


@router.get(
    "/courses/{course_id}",
    response={200: CourseOut},
    auth=django_auth,
    tags=["scheduling"],
)
def get_course(request: HttpRequest, course_id: int) -> CourseOut:
    course = Course.objects.select_related("clinic").filter(pk=course_id).first()
    if course is None or membership(request.user, course.clinic) is None:
        raise ApiError(404, "There is no such course.", "course")
    return course_out(course)
