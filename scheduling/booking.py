"""Book, move, cancel, check in and mark no-show: every change to an
appointment goes through here, in one transaction, with its history.

The core decides whether a time is allowed (``core.availability.is_bookable``
is the same rule ``free_slots`` offers slots by, so a slot offered is a slot
accepted). Two requests racing for one practitioner, room or device are kept
apart by the database: on PostgreSQL by the exclusion constraints of
migration 0002 (the loser's INSERT fails, and is answered 409); on SQLite by
the single write lock every transaction takes at BEGIN (``transaction_mode``
IMMEDIATE), so the check and the write of two bookings never interleave.

Every function raises ``BookingError`` for a refusal: ``status`` 409 when the
time is taken, 422 when it breaks a rule; ``field`` names the input to blame.
Nothing is written when it raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from clinics.models import Clinic, Device, Room, StaffMember
from core import availability as av
from patients.models import Patient
from scheduling.calendar import CalendarData, core_service, load, service_room_ids
from scheduling.models import Appointment, Course, Service, Status

# Which input a refusal is about.
FIELD_OF: dict[str, str] = {
    "unknown_practitioner": "practitioner",
    "unknown_room": "room",
    "unknown_device": "device",
    "service_not_given": "practitioner",
    "room_required": "room",
    "device_required": "device",
    "unsuitable_device": "device",
    "in_the_past": "start",
    "closed_day": "start",
    "outside_opening_hours": "start",
    "on_leave": "start",
    "outside_working_hours": "start",
    "practitioner_busy": "start",
    "room_busy": "room",
    "device_busy": "device",
}
TAKEN = frozenset({"practitioner_busy", "room_busy", "device_busy"})
# Retries after losing a race: the next attempt sees the winner, and either
# picks another room or device, or refuses with the exact reason.
_ATTEMPTS = 3


class BookingError(Exception):
    def __init__(self, status: int, code: str, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field
        self.message = message


def refused(
    refusal: av.Refusal, data: CalendarData | None = None, service: Service | None = None
) -> BookingError:
    status = 409 if refusal.code in TAKEN else 422
    message = refusal.message if data is None else _named(refusal.message, data)
    if service is not None:
        message = message.replace(repr(service.key), service.name)
    return BookingError(status, refusal.code, FIELD_OF.get(refusal.code, "start"), message)


# How the core names a resource in its messages: "Practitioner 3", "Room 7".
_RESOURCE_ID = re.compile(r"\b(Practitioner|practitioner|Room|Device) (\d+)\b")


def _named(message: str, data: CalendarData) -> str:
    """The core names resources by id ("Practitioner 3"); people read names.
    Matched as whole words, so practitioner 1 is never read in "Practitioner 12"."""

    def name(match: re.Match[str]) -> str:
        kind, pk = match.group(1).lower(), int(match.group(2))
        if kind == "practitioner" and (staff := data.staff.get(pk)) is not None:
            return str(staff.user.get_full_name() or staff.user.username)
        if kind == "room" and (room := data.room_rows.get(pk)) is not None:
            return room.name
        if kind == "device" and (device := data.device_rows.get(pk)) is not None:
            return device.name
        return match.group(0)

    return _RESOURCE_ID.sub(name, message)


def _overlap(error: IntegrityError) -> str | None:
    """The resource whose exclusion constraint ``error`` broke, or None."""
    diag = getattr(error.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None) or ""
    prefix = "appointment_no_"
    if name.startswith(prefix):
        return name.removeprefix(prefix).removesuffix("_overlap")
    return None


@dataclass(frozen=True)
class Placement:
    practitioner_id: int
    room_id: int | None
    device_id: int | None
    blocked_from: datetime
    blocked_until: datetime
    ends_at: datetime


def blocked_span(service: Service, start: datetime) -> tuple[datetime, datetime, datetime]:
    """(blocked from, end of clean-up, blocked until) of ``service`` at ``start``."""
    ends = start + timedelta(minutes=service.duration_minutes)
    return (
        start - timedelta(minutes=service.buffer_before_minutes),
        ends,
        ends + timedelta(minutes=service.buffer_after_minutes),
    )


def place(
    data: CalendarData,
    service: Service,
    start: datetime,
    practitioner_id: int,
    *,
    room_id: int | None = None,
    device_id: int | None = None,
    prefer_room: int | None = None,
    prefer_device: int | None = None,
    now: datetime | None = None,
) -> Placement:
    """Where ``service`` at ``start`` with this practitioner goes: the room and
    device given, or the first free ones (``prefer_*`` tried first). Raises
    BookingError with the first rule broken."""
    room_ids = service_room_ids(service)
    tz_start = start.astimezone(data.tz).date()
    query = data.query(service, tz_start, tz_start, now=now, room_ids=room_ids)
    core = core_service(service)
    if room_id is not None and room_id in data.room_rows and room_ids and room_id not in room_ids:
        raise BookingError(
            422,
            "unsuitable_room",
            "room",
            f"{data.room_rows[room_id].name} cannot be used for {service.name}.",
        )
    if not service.needs_room:
        rooms: list[int | None] = [room_id] if room_id is not None else [None]
    elif room_id is not None:
        rooms = [room_id]
    else:
        rooms = sorted((r.id for r in query.rooms), key=lambda r: r != prefer_room)  # type: ignore[misc]
        if not rooms:
            raise refused(av.Refusal("room_required", f"No room can be used for {service.name}."))
    if not core.needs_device:
        devices: list[int | None] = [device_id] if device_id is not None else [None]
    elif device_id is not None:
        devices = [device_id]
    else:
        devices = sorted(
            (d.id for d in query.devices if core.accepts_device(d)),  # type: ignore[misc]
            key=lambda d: d != prefer_device,
        )
        if not devices:
            raise refused(
                av.Refusal("device_required", f"The clinic has no device for {service.name}.")
            )
    refusals: list[av.Refusal] = []
    for room in rooms:
        for device in devices:
            refusal = av.is_bookable(query, start, practitioner_id, room, device)
            if refusal is None:
                blocked_from, ends_at, blocked_until = blocked_span(service, start)
                return Placement(
                    practitioner_id=practitioner_id,
                    room_id=room,
                    device_id=device,
                    blocked_from=blocked_from,
                    blocked_until=blocked_until,
                    ends_at=ends_at,
                )
            if refusal.code not in ("room_busy", "device_busy"):
                raise refused(refusal, data, service)  # not about this room or device: none will do
            refusals.append(refusal)
    # Rooms are checked before devices: a device refusal means a room was free.
    first = next((r for r in refusals if r.code == "device_busy"), refusals[0])
    if first.code == "room_busy" and room_id is None:
        first = av.Refusal("room_busy", f"No room is free for {service.name} at that time.")
    if first.code == "device_busy" and device_id is None:
        first = av.Refusal("device_busy", f"No device is free for {service.name} at that time.")
    raise refused(first, data, service)


def _in_clinic(clinic: Clinic, patient: Patient, service: Service) -> None:
    if patient.clinic_id != clinic.pk:
        raise BookingError(422, "unknown_patient", "patient", "There is no such patient here.")
    if service.clinic_id != clinic.pk or not service.active:
        raise BookingError(422, "unknown_service", "service", "There is no such service here.")


def _taken(resource: str) -> BookingError:
    return BookingError(
        409,
        f"{resource}_busy",
        "start" if resource == "practitioner" else resource,
        f"Someone else has just booked this {resource} at that time. Please choose another time.",
    )


def _load_for(
    clinic: Clinic,
    service: Service,
    start: datetime,
    practitioner_id: int,
    exclude: int | None = None,
) -> CalendarData:
    blocked_from, _, blocked_until = blocked_span(service, start)
    local = start.astimezone(ZoneInfo(clinic.time_zone)).date()
    return load(
        clinic,
        local,
        local,
        practitioner_ids=(practitioner_id,),
        bookings_between=(blocked_from, blocked_until),
        exclude_appointment=exclude,
    )


def book(
    *,
    clinic: Clinic,
    patient: Patient,
    service: Service,
    practitioner_id: int,
    start: datetime,
    by: object,
    room_id: int | None = None,
    device_id: int | None = None,
    course: Course | None = None,
    session_number: int | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Book one appointment, or raise BookingError; ``by`` is the user."""
    _in_clinic(clinic, patient, service)

    def attempt() -> Appointment:
        with transaction.atomic():
            data = _load_for(clinic, service, start, practitioner_id)
            where = place(
                data,
                service,
                start,
                practitioner_id,
                room_id=room_id,
                device_id=device_id,
                now=now,
            )
            _hold(where)
            # Instances, not ids: the caller can show the appointment
            # without reading it back.
            appointment = Appointment(
                clinic=clinic,
                patient=patient,
                service=service,
                practitioner=data.staff[where.practitioner_id],
                room=None if where.room_id is None else data.room_rows[where.room_id],
                device=None if where.device_id is None else data.device_rows[where.device_id],
                starts_at=start,
                ends_at=where.ends_at,
                blocked_from=where.blocked_from,
                blocked_until=where.blocked_until,
                course=course,
                session_number=session_number,
                notes=notes,
                created_by=by,
            )
            _record(appointment, by, "Booked")
            appointment.save()
            return appointment

    return _retrying(attempt)


def hold_all(
    *, practitioners: Collection[int], rooms: Collection[int], devices: Collection[int]
) -> None:
    """``_hold`` for several bookings in one transaction (a course): every
    row at once, in the same order (practitioners, rooms, devices, each by
    id). Locking them booking by booking could take two rows in the opposite
    order from another transaction, and deadlock with it."""
    for model, pks in ((StaffMember, practitioners), (Room, rooms), (Device, devices)):
        if pks:
            rows = model.objects.select_for_update(no_key=True).filter(pk__in=pks)
            list(rows.order_by("pk").values_list("pk"))


def _deadlocked(error: OperationalError) -> bool:
    """PostgreSQL broke a deadlock by failing this transaction (40P01)."""
    return getattr(error.__cause__, "sqlstate", None) == "40P01"


def _hold(where: Placement) -> None:
    """Lock the practitioner's, room's and device's rows, always in that order.

    Two bookings that want one resource then queue on its row instead of
    both inserting: PostgreSQL checks an exclusion constraint against rows
    not yet committed by waiting for their transaction, and two inserts
    that each wait for the other's would deadlock. Behind the lock, the
    second insert meets a committed row, fails at once, and is retried or
    answered 409. FOR NO KEY UPDATE leaves inserts that only reference these
    rows free. SQLite has no row locks; its write lock already serialises.
    """
    hold_all(
        practitioners={where.practitioner_id},
        rooms=set() if where.room_id is None else {where.room_id},
        devices=set() if where.device_id is None else {where.device_id},
    )


def _retrying(write: Callable[[], Appointment]) -> Appointment:
    """Run ``write`` (one transaction); when it loses a race at the database
    (an exclusion constraint, or a deadlock PostgreSQL broke), run it again:
    the next attempt sees the winner and picks another room or device, or
    refuses with the exact reason. After the last attempt: 409."""
    for attempt in range(_ATTEMPTS):
        try:
            return write()
        except IntegrityError as error:
            resource = _overlap(error)
            if resource is None:
                raise
            if attempt == _ATTEMPTS - 1:
                raise _taken(resource) from None
        except OperationalError as error:
            # The row locks leave no deadlock between bookings; a writer
            # that takes rows in another order could still cause one.
            if not _deadlocked(error):
                raise
            if attempt == _ATTEMPTS - 1:
                raise _taken("practitioner") from None
    raise AssertionError("unreachable")


def _record(appointment: Appointment, by: object, reason: str) -> None:
    # Read by django-simple-history when it writes the history row.
    appointment._history_user = by  # type: ignore[attr-defined]
    appointment._change_reason = reason  # type: ignore[attr-defined]


def _locked(clinic: Clinic, appointment_id: int) -> Appointment:
    try:
        return (
            Appointment.objects.select_for_update()
            .select_related("service")
            .get(pk=appointment_id, clinic=clinic)
        )
    except Appointment.DoesNotExist:
        raise BookingError(
            404, "not_found", "appointment", "There is no such appointment."
        ) from None


def reschedule(
    *,
    clinic: Clinic,
    appointment_id: int,
    start: datetime,
    by: object,
    practitioner_id: int | None = None,
    room_id: int | None = None,
    device_id: int | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Move a booked appointment to ``start`` (and, when given, to another
    practitioner, room or device), with the same checks as a new booking;
    the current room and device are kept when they are still free."""

    def attempt() -> Appointment:
        with transaction.atomic():
            appointment = _locked(clinic, appointment_id)
            if appointment.status != Status.BOOKED:
                raise BookingError(
                    422,
                    "not_movable",
                    "appointment",
                    f"Only a booked appointment can be moved; this one is "
                    f"{appointment.get_status_display().lower()}.",
                )
            service = appointment.service
            data = _load_for(
                clinic,
                service,
                start,
                practitioner_id or appointment.practitioner_id,
                exclude=appointment.pk,
            )
            where = place(
                data,
                service,
                start,
                practitioner_id or appointment.practitioner_id,
                room_id=room_id,
                device_id=device_id,
                prefer_room=appointment.room_id,
                prefer_device=appointment.device_id,
                now=now,
            )
            _hold(where)
            before = appointment.starts_at
            appointment.starts_at = start
            appointment.ends_at = where.ends_at
            appointment.blocked_from = where.blocked_from
            appointment.blocked_until = where.blocked_until
            appointment.practitioner_id = where.practitioner_id
            appointment.room_id = where.room_id
            appointment.device_id = where.device_id
            tz = data.tz
            note = (
                f"Moved from {before.astimezone(tz):%Y-%m-%d %H:%M} "
                f"to {start.astimezone(tz):%Y-%m-%d %H:%M}"
            )
            _record(appointment, by, f"{note}: {reason}" if reason else note)
            appointment.save()
            return appointment

    return _retrying(attempt)


def cancel(*, clinic: Clinic, appointment_id: int, reason: str, by: object) -> Appointment:
    reason = reason.strip()
    if not reason:
        raise BookingError(
            422, "reason_required", "reason", "Say why the appointment is cancelled."
        )
    with transaction.atomic():
        appointment = _locked(clinic, appointment_id)
        if appointment.status not in (Status.BOOKED, Status.CHECKED_IN):
            raise BookingError(
                422,
                "not_cancellable",
                "appointment",
                f"This appointment is {appointment.get_status_display().lower()}; "
                "it cannot be cancelled.",
            )
        appointment.status = Status.CANCELLED
        appointment.cancel_reason = reason
        _record(appointment, by, f"Cancelled: {reason}")
        appointment.save()
        return appointment


def check_in(
    *, clinic: Clinic, appointment_id: int, by: object, now: datetime | None = None
) -> Appointment:
    """The patient has arrived: only on the appointment's own day."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(clinic, appointment_id)
        if appointment.status != Status.BOOKED:
            raise BookingError(
                422,
                "not_booked",
                "appointment",
                f"This appointment is {appointment.get_status_display().lower()}; "
                "only a booked one can be checked in.",
            )
        tz = ZoneInfo(clinic.time_zone)
        if appointment.starts_at.astimezone(tz).date() != now.astimezone(tz).date():
            raise BookingError(
                422,
                "not_today",
                "appointment",
                f"This appointment is on {appointment.starts_at.astimezone(tz):%Y-%m-%d}; "
                "a patient can be checked in on the day of their appointment only.",
            )
        appointment.status = Status.CHECKED_IN
        appointment.checked_in_at = now
        _record(appointment, by, "Checked in")
        appointment.save()
        return appointment


def mark_no_show(
    *, clinic: Clinic, appointment_id: int, by: object, now: datetime | None = None
) -> Appointment:
    """The patient did not come: only once the appointment has begun. It frees
    the practitioner, room and device for the rest of the slot."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(clinic, appointment_id)
        if appointment.status != Status.BOOKED:
            raise BookingError(
                422,
                "not_booked",
                "appointment",
                f"This appointment is {appointment.get_status_display().lower()}; "
                "only a booked one can be marked as a no-show.",
            )
        if now < appointment.starts_at:
            raise BookingError(
                422,
                "not_started",
                "appointment",
                "An appointment can be marked as a no-show once its start time has passed.",
            )
        appointment.status = Status.NO_SHOW
        _record(appointment, by, "No-show")
        appointment.save()
        return appointment
