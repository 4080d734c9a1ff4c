"""The walk-in token queue: when it moves, and how long a token waits.

The estimate rule. A token waits for the people ahead of it (the waiting
tokens with a lower number) to be seen:

    wait = ceil(ahead x consultation minutes / consultants)

where the consultation minutes are what one consultation holds a
practitioner for (numbing, procedure and clean-up, plus the buffers before
and after), and the consultants are the practitioners who give the
consultation and work at the moment the queue moves (their working hours,
breaks and leave, and the clinic's hours and closures, as
``core.availability`` reads them). Nobody working counts as one, so the
estimate stays finite (the front desk can still call a practitioner in).
The queue moves now when the clinic is open; before it opens, or during a
closure within the day (lunch), from its next opening today; so the
estimated time is that moment plus the wait. Consultations running now are
not counted: the estimate is a guide for the waiting room, not a promise.

Instants are aware datetimes; the estimated time comes back in the clinic's
zone. Everything here is pure: plain values in, plain values out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core import availability as av

_MINUTE = timedelta(minutes=1)


def ceil_minute(moment: datetime) -> datetime:
    """``moment`` rounded up to the next whole minute (unchanged when whole)."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + _MINUTE


def wait_minutes(ahead: int, consultation_minutes: int, consultants: int) -> int:
    """ceil(ahead x consultation_minutes / consultants), with fewer than one
    consultant counted as one. Raises ValueError for a negative count or a
    consultation that takes no time."""
    if ahead < 0:
        raise ValueError("ahead must be >= 0")
    if consultation_minutes <= 0:
        raise ValueError("consultation_minutes must be positive")
    return -(-ahead * consultation_minutes // max(consultants, 1))


def _probe(key: str) -> av.Service:
    # One minute, no room or device: "could this practitioner start anything
    # at that minute", asked with the same rules as a real booking.
    return av.Service(key=key, numbing_minutes=0, procedure_minutes=1, needs_room=False)


def _query(
    clinic: av.Clinic,
    practitioners: tuple[av.Practitioner, ...],
    service: av.Service,
    start: datetime,
    end: date,
    now: datetime,
) -> av.AvailabilityQuery:
    return av.AvailabilityQuery(
        clinic=clinic,
        practitioners=practitioners,
        rooms=(),
        devices=(),
        bookings=(),
        service=service,
        start=start,
        end=end,
        now=now,
        granularity_minutes=1,
    )


def queue_moves_at(clinic: av.Clinic, now: datetime) -> datetime | None:
    """When the queue moves today: ``now`` rounded up to the minute when the
    clinic is open then, else its next opening later the same local day.
    None when it does not open again today (a closed day, or after closing).
    """
    today = now.astimezone(ZoneInfo(clinic.time_zone)).date()
    # A stand-in practitioner who keeps the clinic's hours and is never busy.
    door = av.Practitioner(id="clinic", services=frozenset({"open"}))
    slots = av.free_slots(_query(clinic, (door,), _probe("open"), now, today, now))
    if not slots:
        return None
    return slots[0].start.astimezone(ZoneInfo(clinic.time_zone))


def consultants_at(
    clinic: av.Clinic,
    practitioners: Sequence[av.Practitioner],
    service_key: str,
    at: datetime,
) -> int:
    """How many of ``practitioners`` give ``service_key`` and work at the
    minute starting at ``at`` (their hours, breaks, leave and the clinic's
    hours and closures; their bookings do not matter)."""
    service = _probe(service_key)
    today = at.astimezone(ZoneInfo(clinic.time_zone)).date()
    query = _query(clinic, tuple(practitioners), service, at, today, at)
    return sum(
        1
        for p in practitioners
        if service_key in p.services and av.is_bookable(query, at, p.id, None, None) is None
    )


@dataclass(frozen=True)
class Estimate:
    """``position`` counts from 1 (next to be called); ``at`` is in the
    clinic's zone."""

    ahead: int
    position: int
    wait_minutes: int
    consultants: int
    at: datetime


def estimate(
    clinic: av.Clinic,
    practitioners: Sequence[av.Practitioner],
    service_key: str,
    consultation_minutes: int,
    ahead: int,
    now: datetime,
) -> Estimate | None:
    """The wait of a token with ``ahead`` people before it, by the rule in
    this module's docstring; None when the queue does not move again today.
    """
    moves = queue_moves_at(clinic, now)
    if moves is None:
        return None
    consultants = consultants_at(clinic, practitioners, service_key, moves)
    wait = wait_minutes(ahead, consultation_minutes, consultants)
    return Estimate(
        ahead=ahead,
        position=ahead + 1,
        wait_minutes=wait,
        consultants=consultants,
        at=moves + timedelta(minutes=wait),
    )


def estimates(
    clinic: av.Clinic,
    practitioners: Sequence[av.Practitioner],
    service_key: str,
    consultation_minutes: int,
    waiting: int,
    now: datetime,
) -> list[Estimate]:
    """The estimates of ``waiting`` tokens in queue order (the first has
    nobody ahead), sharing one look at the hours; empty when the queue does
    not move again today."""
    moves = queue_moves_at(clinic, now)
    if moves is None or waiting <= 0:
        return []
    consultants = consultants_at(clinic, practitioners, service_key, moves)
    out = []
    for ahead in range(waiting):
        wait = wait_minutes(ahead, consultation_minutes, consultants)
        out.append(Estimate(ahead, ahead + 1, wait, consultants, moves + timedelta(minutes=wait)))
    return out
