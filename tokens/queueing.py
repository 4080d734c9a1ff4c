"""Issue, call, serve: every change to a token goes through here, in one
transaction, with its history.

Numbers. Each clinic-day has a counter row; issuing inserts it if missing
(``ON CONFLICT DO NOTHING``, which waits for a concurrent insert of the same
row to commit) and increments it with ``UPDATE ... SET last = last + 1``,
whose row lock makes a second issue wait for the first to commit and then
read its number. On SQLite the write lock every transaction takes at BEGIN
(``transaction_mode`` IMMEDIATE) serialises issues. The unique constraint
on clinic, day and number is the backstop.

Calling. ``call_next`` locks the lowest-numbered waiting token of today with
``FOR UPDATE SKIP LOCKED``, so a second caller at the same moment takes the
next token instead of the same one (or of waiting for nothing); it then
books the consultation with ``scheduling.booking.book``. When the booking is
refused (the practitioner is busy), the whole call rolls back and the token
stays waiting.

Every function raises ``TokenError`` (``status``, ``field``, ``message``)
for a refusal; nothing is written when it raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.models import Clinic, Role, StaffMember
from core import availability as av
from core import queue
from patients.models import Patient
from scheduling import booking
from scheduling.calendar import CalendarData, load
from scheduling.models import Service, ServiceKind
from scheduling.models import Status as AppointmentStatus
from tokens.models import Token, TokenCounter, TokenStatus

CONSULTATION = "consultation"


class TokenError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def consultation_service(clinic: Clinic) -> Service | None:
    """The clinic's active consultation service (key "consultation"), or
    None when it has none. One query."""
    return Service.objects.filter(
        clinic=clinic, key=CONSULTATION, kind=ServiceKind.CONSULTATION, active=True
    ).first()


def _service(clinic: Clinic) -> Service:
    service = consultation_service(clinic)
    if service is None:
        raise TokenError(
            422, _("This clinic has no consultation service, so it takes no tokens."), "clinic"
        )
    return service


def consultation_minutes(service: Service) -> int:
    """What one consultation holds a practitioner for, buffers included."""
    return service.duration_minutes + service.buffer_before_minutes + service.buffer_after_minutes


def _calendar(clinic: Clinic, now: datetime) -> CalendarData:
    """Today's hours, closures and practitioners (seven queries); only the
    bookings running at ``now``, since the estimate does not use them."""
    today = now.astimezone(ZoneInfo(clinic.time_zone)).date()
    return load(clinic, today, today, bookings_between=(now, now))


def local_today(clinic: Clinic, now: datetime) -> date:
    return now.astimezone(ZoneInfo(clinic.time_zone)).date()


def _record(token: Token, by: object, reason: str) -> None:
    # Read by django-simple-history when it writes the history row.
    token._history_user = by  # type: ignore[attr-defined]
    token._change_reason = reason  # type: ignore[attr-defined]


# -- issuing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    token: Token
    estimate: queue.Estimate


def _next_number(clinic: Clinic, day: date) -> int:
    """The next number of the clinic-day; call inside a transaction, which
    then holds the counter's row lock until it commits. Three queries."""
    TokenCounter.objects.bulk_create(
        [TokenCounter(clinic=clinic, day=day, last=0)], ignore_conflicts=True
    )
    TokenCounter.objects.filter(clinic=clinic, day=day).update(last=F("last") + 1)
    return TokenCounter.objects.values_list("last", flat=True).get(clinic=clinic, day=day)


def issue(
    *,
    clinic: Clinic,
    by: object,
    name: str = "",
    phone: str = "",
    patient: Patient | int | None = None,
    now: datetime | None = None,
) -> Issued:
    """Give a walk-in the next token of today, with their place in the queue
    and the estimated wait. Refused (422) without a name or known patient,
    for another clinic's patient, at a clinic without a consultation
    service, and when the clinic does not open again today."""
    now = now or timezone.now()
    name, phone = name.strip(), phone.strip()
    if isinstance(patient, int):
        found = Patient.objects.filter(pk=patient, clinic=clinic).first()
        if found is None:
            raise TokenError(422, _("There is no such patient at this clinic."), "patient")
        patient = found
    elif patient is not None and patient.clinic_id != clinic.pk:
        raise TokenError(422, _("There is no such patient at this clinic."), "patient")
    if not name and patient is None:
        raise TokenError(422, _("Give the name of the person waiting."), "name")
    service = _service(clinic)
    data = _calendar(clinic, now)
    today = local_today(clinic, now)
    if queue.queue_moves_at(data.core_clinic, now) is None:
        if av.is_open_day(data.core_clinic, today):
            message = _("The clinic has closed for today; tokens are given on opening days only.")
        else:
            message = _("The clinic is closed today; tokens are given on opening days only.")
        raise TokenError(422, message, "clinic")

    with transaction.atomic():
        number = _next_number(clinic, today)
        token = Token(
            clinic=clinic,
            day=today,
            number=number,
            name=name,
            phone=phone or (patient.phone if patient else ""),
            patient=patient,
            issued_at=now,
            issued_by=by,
        )
        _record(token, by, "Issued")
        token.save()
        ahead = Token.objects.filter(
            clinic=clinic, day=today, status=TokenStatus.WAITING, number__lt=number
        ).count()
    found_estimate = queue.estimate(
        data.core_clinic,
        data.practitioners,
        service.key,
        consultation_minutes(service),
        ahead,
        now,
    )
    assert found_estimate is not None  # the clinic was open a moment ago
    return Issued(token, found_estimate)


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayQueue:
    day: date
    tokens: list[Token]
    estimates: dict[int, queue.Estimate]  # by token id; waiting tokens only
    service: Service | None
    practitioners: list[StaffMember]  # who give consultations, in id order


def day_queue(clinic: Clinic, now: datetime | None = None) -> DayQueue:
    """Today's tokens in number order, each waiting one with its estimate,
    and the practitioners who could be called for. About ten queries."""
    now = now or timezone.now()
    day = local_today(clinic, now)
    tokens = list(
        Token.objects.filter(clinic=clinic, day=day)
        .select_related("patient", "practitioner__user", "appointment__room")
        .order_by("number")
    )
    service = consultation_service(clinic)
    estimates: dict[int, queue.Estimate] = {}
    practitioners: list[StaffMember] = []
    if service is not None:
        data = _calendar(clinic, now)
        waiting = [t for t in tokens if t.status == TokenStatus.WAITING]
        found = queue.estimates(
            data.core_clinic,
            data.practitioners,
            service.key,
            consultation_minutes(service),
            len(waiting),
            now,
        )
        estimates = {t.pk: e for t, e in zip(waiting, found, strict=False)}
        givers = {p.id for p in data.practitioners if service.key in p.services}
        practitioners = [s for pk, s in data.staff.items() if pk in givers]
    return DayQueue(day, tokens, estimates, service, practitioners)


@dataclass(frozen=True)
class Screen:
    """What the waiting room sees: numbers and rooms, never names."""

    serving: list[tuple[int, str]]  # (number, room name or "")
    waiting: list[int]


def screen(clinic: Clinic, now: datetime | None = None, *, next_few: int = 8) -> Screen:
    """The called tokens of today (last called first) and the next waiting
    numbers. Two queries, whatever the queue's length."""
    day = local_today(clinic, now or timezone.now())
    called = (
        Token.objects.filter(clinic=clinic, day=day, status=TokenStatus.CALLED)
        .order_by("-called_at", "-number")
        .values_list("number", "appointment__room__name")
    )
    waiting = (
        Token.objects.filter(clinic=clinic, day=day, status=TokenStatus.WAITING)
        .order_by("number")
        .values_list("number", flat=True)[:next_few]
    )
    return Screen([(n, room or "") for n, room in called], list(waiting))


# -- calling ---------------------------------------------------------------------------------


def _practitioner(clinic: Clinic, member: StaffMember, practitioner_id: int | None) -> StaffMember:
    if practitioner_id is None:
        if member.role == Role.PRACTITIONER:
            return member
        raise TokenError(
            422, _("Choose the practitioner who will see the patient."), "practitioner"
        )
    found = (
        StaffMember.objects.filter(
            pk=practitioner_id, clinic=clinic, role=Role.PRACTITIONER, active=True
        )
        .select_related("user")
        .first()
    )
    if found is None:
        raise TokenError(422, _("There is no such practitioner at this clinic."), "practitioner")
    return found


def split_name(name: str) -> tuple[str, str]:
    """First and last name of a walk-in's name as typed: the first word, and
    the rest (empty for a single name)."""
    first, _sep, last = " ".join(name.split()).partition(" ")
    return first[:100], last[:100]


def _patient_for(token: Token) -> Patient:
    """The token's patient; else the clinic's only patient with its name and
    phone; else a new patient. Matching needs a phone: a name alone is too
    common to be sure."""
    if token.patient is not None:
        return token.patient
    first, last = split_name(token.name)
    if token.phone:
        same = list(
            Patient.objects.filter(
                clinic=token.clinic_id,
                phone=token.phone,
                first_name__iexact=first,
                last_name__iexact=last,
            )[:2]
        )
        if len(same) == 1:
            return same[0]
    return Patient.objects.create(
        clinic_id=token.clinic_id, first_name=first, last_name=last, phone=token.phone
    )


def _refusal(error: booking.BookingError, practitioner: StaffMember, number: int) -> TokenError:
    who = practitioner.user.get_full_name() or practitioner.user.username
    params = {"name": who, "number": number}
    messages = {
        "practitioner_busy": _(
            "%(name)s is with another appointment now; token %(number)s stays in the queue."
        ),
        "room_busy": _(
            "No room is free for a consultation now; token %(number)s stays in the queue."
        ),
        "room_required": _("No room can be used for a consultation."),
        "outside_working_hours": _("%(name)s is not working now (hours or a break)."),
        "on_leave": _("%(name)s is on leave now."),
        "outside_opening_hours": _(
            "A consultation starting now would not end before the clinic closes."
        ),
        "closed_day": _("The clinic is closed today."),
        "service_not_given": _("%(name)s does not give consultations."),
    }
    template = messages.get(error.code)
    message = template % params if template else error.message
    return TokenError(error.status, message, "practitioner")


def call_next(
    *,
    clinic: Clinic,
    by: object,
    member: StaffMember,
    practitioner_id: int | None = None,
    now: datetime | None = None,
) -> Token:
    """Call the lowest-numbered waiting token of today for a practitioner
    (``member`` themselves when they are one and none is named) and book
    their consultation starting now, rounded up to the minute (later by the
    service's buffer before, which must not lie in the past). Refused with
    404 when nobody is waiting, and with the booking's status (409: busy)
    when the booking is refused; the token then stays waiting."""
    now = now or timezone.now()
    practitioner = _practitioner(clinic, member, practitioner_id)
    service = _service(clinic)
    day = local_today(clinic, now)
    start = queue.ceil_minute(now + timedelta(minutes=service.buffer_before_minutes))
    with transaction.atomic():
        # SKIP LOCKED on PostgreSQL; on SQLite (no row locks) the write lock
        # taken at BEGIN already serialises callers.
        token = (
            Token.objects.select_for_update(skip_locked=True)
            .filter(clinic=clinic, day=day, status=TokenStatus.WAITING)
            .order_by("number")
            .first()
        )
        if token is None:
            raise TokenError(404, _("Nobody is waiting."), None)
        patient = _patient_for(token)
        try:
            appointment = booking.book(
                clinic=clinic,
                patient=patient,
                service=service,
                practitioner_id=practitioner.pk,
                start=start,
                by=by,
                notes=_("Walk-in, token %(number)s") % {"number": token.number},
                now=now,
            )
        except booking.BookingError as error:
            raise _refusal(error, practitioner, token.number) from None
        token.patient = patient
        token.status = TokenStatus.CALLED
        token.called_at = now
        token.called_by = by  # type: ignore[assignment]
        token.practitioner = practitioner
        token.appointment = appointment
        _record(token, by, "Called")
        token.save()
        return token


def _locked(clinic: Clinic, token_id: int) -> Token:
    try:
        return Token.objects.select_for_update().get(pk=token_id, clinic=clinic)
    except Token.DoesNotExist:
        raise TokenError(404, _("There is no such token."), "token") from None


def _not_now(token: Token) -> TokenError:
    return TokenError(
        422,
        _("Token %(number)s is %(status)s; that cannot be done now.")
        % {"number": token.number, "status": token.get_status_display().lower()},
        "token",
    )


def mark_served(*, clinic: Clinic, token_id: int, by: object, now: datetime | None = None) -> Token:
    """A called token has been seen. Its appointment, still booked, is
    checked in (the patient came)."""
    now = now or timezone.now()
    with transaction.atomic():
        token = _locked(clinic, token_id)
        if token.status != TokenStatus.CALLED:
            raise _not_now(token)
        appointment = token.appointment
        if (
            appointment is not None
            and appointment.status == AppointmentStatus.BOOKED
            and token.day == local_today(clinic, now)
        ):
            booking.check_in(clinic=clinic, appointment_id=appointment.pk, by=by, now=now)
        token.status = TokenStatus.SERVED
        _record(token, by, "Served")
        token.save()
        return token


def mark_left(*, clinic: Clinic, token_id: int, by: object) -> Token:
    """A waiting token left, or a called one did not answer (missed). A
    called token's appointment is cancelled, freeing the practitioner and
    room for the next call."""
    with transaction.atomic():
        token = _locked(clinic, token_id)
        if token.status not in (TokenStatus.WAITING, TokenStatus.CALLED):
            raise _not_now(token)
        appointment = token.appointment
        if (
            token.status == TokenStatus.CALLED
            and appointment is not None
            and appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
        ):
            booking.cancel(
                clinic=clinic,
                appointment_id=appointment.pk,
                reason=f"Walk-in token {token.number} did not answer the call.",
                by=by,
            )
        token.status = TokenStatus.LEFT
        _record(token, by, "Left")
        token.save()
        return token


def recall(*, clinic: Clinic, token_id: int, by: object, now: datetime | None = None) -> Token:
    """Call a called token again: it goes back to the top of the screen."""
    now = now or timezone.now()
    with transaction.atomic():
        token = _locked(clinic, token_id)
        if token.status != TokenStatus.CALLED:
            raise _not_now(token)
        token.called_at = now
        token.called_by = by  # type: ignore[assignment]
        _record(token, by, "Called again")
        token.save()
        return token


def requeue(*, clinic: Clinic, token_id: int, by: object) -> Token:
    """A token marked as left is back: it waits again with its own number,
    so it is called before the tokens issued after it."""
    with transaction.atomic():
        token = _locked(clinic, token_id)
        if token.status != TokenStatus.LEFT:
            raise _not_now(token)
        token.status = TokenStatus.WAITING
        token.called_at = None
        token.called_by = None
        token.practitioner = None
        token.appointment = None  # cancelled; the history keeps it
        _record(token, by, "Back in the queue")
        token.save()
        return token
