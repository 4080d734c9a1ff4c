"""Appointments as iCalendar (RFC 5545): a practitioner's feed, one booking
as a file, and a patient's own appointments.

Two audiences, two levels of detail. Staff events go to calendar apps that
sync to third-party clouds, so they carry the least patient data that still
tells the slot apart: the service, the patient's initials, the room and a
link back to the clinic's calendar; never a name, phone number or note.
Patient events are the patient's own: service, practitioner, the clinic's
address and phone, and a kind note.

Instants are written in UTC (``DTSTART:...Z``): exact across clock changes
and needing no VTIMEZONE; ``X-WR-TIMEZONE`` names the clinic's zone for the
apps that read it. Each appointment keeps one UID for its whole life, and its
SEQUENCE is its number of history records less one, so it grows with every
move or change of status and apps replace their copy.

The query helpers read in one query each, history counts included; the
builders only read the attributes of what they are given. Nothing here sees
a request: the views pass the addresses and the time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.translation import gettext
from icalendar import CLASS, STATUS, TRANSP, Calendar, Event, vDuration

from clinics.models import Clinic, StaffMember
from patients.models import Patient
from scheduling.models import LIVE_STATUSES, Appointment, Status

PRODID = "-//Mesoclinic//Mesoclinic//EN"
# The practitioner's feed: a month back (what they did), half a year ahead.
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=180)
# How often subscribed apps should fetch the feed again (most poll less often).
REFRESH = timedelta(hours=1)
# Cancelled ones stay in feeds as STATUS:CANCELLED so subscribed apps drop
# them; no-shows stay, marked, so the practitioner sees who did not come.
PRACTITIONER_STATUSES = (*LIVE_STATUSES, Status.CANCELLED, Status.NO_SHOW)
PATIENT_STATUSES = (*LIVE_STATUSES, Status.CANCELLED)


def with_revisions(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """``appointments`` annotated with ``revisions``, their number of history
    records, by a correlated subquery: still one query, however many rows."""
    history = Appointment.history.model
    counts = (
        history.objects.filter(id=OuterRef("pk"))
        .order_by()
        .values("id")
        .annotate(n=Count("history_id"))
        .values("n")
    )
    return appointments.annotate(
        revisions=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    )


def practitioner_appointments(staff: StaffMember, now: datetime) -> QuerySet[Appointment]:
    """The practitioner's appointments starting from FEED_PAST before ``now``
    to FEED_AHEAD after it, everything the events need loaded: one query."""
    return with_revisions(
        Appointment.objects.filter(
            practitioner=staff,
            starts_at__gte=now - FEED_PAST,
            starts_at__lt=now + FEED_AHEAD,
            status__in=PRACTITIONER_STATUSES,
        ).select_related("clinic", "service", "room", "patient")
    )


def patient_appointments(patient: Patient, now: datetime) -> QuerySet[Appointment]:
    """The patient's appointments from FEED_PAST before ``now`` on, all
    those ahead: one query."""
    return with_revisions(
        Appointment.objects.filter(
            patient=patient,
            starts_at__gte=now - FEED_PAST,
            status__in=PATIENT_STATUSES,
        ).select_related("clinic", "service", "room", "practitioner__user")
    )


def uid(appointment: Appointment) -> str:
    """Stable for the appointment's whole life, unique across clinics."""
    return f"appointment-{appointment.pk}@{appointment.clinic.slug}.mesoclinic"


def sequence(appointment: Appointment) -> int:
    """0 when booked, one more with each change. Costs a query unless the
    appointment comes from ``with_revisions``."""
    revisions: int | None = getattr(appointment, "revisions", None)
    if revisions is None:
        revisions = int(appointment.history.count())
    return max(revisions - 1, 0)


def initials(patient: Patient) -> str:
    """Priya Sharma gives P.S.; an empty first or last name is left out."""
    return "".join(
        f"{name.strip()[0].upper()}."
        for name in (patient.first_name, patient.last_name)
        if name.strip()
    )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _event(appointment: Appointment, *, summary: str, now: datetime) -> Event:
    cancelled = appointment.status == Status.CANCELLED
    return Event.new(
        uid=uid(appointment),
        sequence=sequence(appointment),
        stamp=_utc(now),
        created=_utc(appointment.created_at),
        last_modified=_utc(appointment.updated_at),
        start=_utc(appointment.starts_at),
        end=_utc(appointment.ends_at),
        summary=summary,
        status=STATUS.CANCELLED if cancelled else STATUS.CONFIRMED,
        # Cancelled and missed appointments no longer hold the time.
        transparency=TRANSP.OPAQUE if appointment.live else TRANSP.TRANSPARENT,
    )


def _marked(appointment: Appointment, summary: str) -> str:
    if appointment.status == Status.CANCELLED:
        return gettext("Cancelled: %(summary)s") % {"summary": summary}
    if appointment.status == Status.NO_SHOW:
        return gettext("No-show: %(summary)s") % {"summary": summary}
    return summary


def staff_event(appointment: Appointment, *, calendar_url: str, now: datetime) -> Event:
    """The appointment for a staff calendar app: service, patient initials,
    room and clinic, a link to its day on ``calendar_url`` (the clinic's
    calendar page); nothing else about the patient. Reads clinic, service,
    room, patient."""
    summary = f"{appointment.service.name} · {initials(appointment.patient)}"
    event = _event(appointment, summary=_marked(appointment, summary), now=now)
    room = appointment.room.name if appointment.room is not None else ""
    event.location = ", ".join(part for part in (room, appointment.clinic.name) if part)
    day = appointment.starts_at.astimezone(ZoneInfo(appointment.clinic.time_zone)).date()
    link = f"{calendar_url}?{urlencode({'date': day.isoformat(), 'view': 'day'})}"
    event.description = link
    event.url = link
    # Apps that share a calendar with others hide the details of private events.
    event.classification = CLASS.PRIVATE
    return event


def _when(appointment: Appointment) -> str:
    zone = appointment.clinic.time_zone
    starts = appointment.starts_at.astimezone(ZoneInfo(zone))
    ends = appointment.ends_at.astimezone(ZoneInfo(zone))
    return gettext("%(weekday)s %(date)s, %(start)s to %(end)s (%(zone)s time)") % {
        "weekday": date_format(starts, "l"),
        "date": date_format(starts, "DATE_FORMAT"),
        "start": date_format(starts, "H:i"),
        "end": date_format(ends, "H:i"),
        "zone": zone,
    }


def _one_line(address: str) -> str:
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


def patient_event(appointment: Appointment, *, now: datetime) -> Event:
    """The appointment for the patient's own calendar, in full. Reads clinic,
    service, room, practitioner and their user."""
    clinic = appointment.clinic
    service = appointment.service.name
    summary = gettext("%(service)s at %(clinic)s") % {"service": service, "clinic": clinic.name}
    event = _event(appointment, summary=_marked(appointment, summary), now=now)
    event.location = ", ".join(part for part in (clinic.name, _one_line(clinic.address)) if part)

    practitioner = appointment.practitioner.user.get_full_name()
    lines = [
        gettext("%(service)s with %(practitioner)s")
        % {"service": service, "practitioner": practitioner}
        if practitioner
        else service,
        _when(appointment),
    ]
    if appointment.room is not None:
        lines.append(gettext("Room: %(room)s") % {"room": appointment.room.name})
    lines += ["", clinic.name]
    if clinic.address.strip():
        lines.append(clinic.address.strip())
    if clinic.phone:
        lines.append(gettext("Phone: %(phone)s") % {"phone": clinic.phone})
    lines.append("")
    if appointment.status == Status.CANCELLED:
        lines.append(
            gettext(
                "This appointment has been cancelled. Whenever you would like "
                "another time, get in touch with us; we will gladly find one."
            )
        )
    else:
        lines.append(
            gettext(
                "We look forward to seeing you. If you need to move or cancel "
                "this appointment, just get in touch with us; we will gladly "
                "find another time."
            )
        )
    event.description = "\n".join(lines)
    return event


def _calendar(
    *, name: str | None, zone: str, events: Iterable[Event], uid: str | None = None
) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if uid is not None:
        calendar.add("uid", uid)
    if name is not None:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone)
    for event in events:
        calendar.add_component(event)
    return calendar


def _feed(calendar: Calendar) -> Calendar:
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    return calendar


def practitioner_calendar(
    staff: StaffMember,
    appointments: Iterable[Appointment],
    *,
    calendar_url: str,
    now: datetime,
) -> Calendar:
    """The practitioner's feed. Reads the staff member's clinic and user."""
    clinic: Clinic = staff.clinic
    person = staff.user.get_full_name() or staff.user.get_username()
    return _feed(
        _calendar(
            name=gettext("%(clinic)s: appointments of %(name)s")
            % {"clinic": clinic.name, "name": person},
            zone=clinic.time_zone,
            uid=f"feed-{staff.pk}@{clinic.slug}.mesoclinic",
            events=(staff_event(a, calendar_url=calendar_url, now=now) for a in appointments),
        )
    )


def patient_calendar(
    patient: Patient, appointments: Iterable[Appointment], *, now: datetime
) -> Calendar:
    """The patient's appointments. Reads the patient's clinic."""
    clinic = patient.clinic
    return _calendar(
        name=gettext("My appointments at %(clinic)s") % {"clinic": clinic.name},
        zone=clinic.time_zone,
        events=(patient_event(a, now=now) for a in appointments),
    )


def one_appointment(appointment: Appointment, event: Event) -> Calendar:
    """A file holding one appointment's ``event``. Unnamed: some apps import a
    named file into a new calendar of that name."""
    return _calendar(name=None, zone=appointment.clinic.time_zone, events=[event])
