"""The front desk's calendar: day and week views per practitioner or room.

The calendar itself is FullCalendar (``static/js/calendar.js``), fed by the
appointments API in the clinic's time zone. Under it the page lists the
day's appointments with plain POST forms for check-in, no-show and
cancellation, so the page works without JavaScript too; those forms call
``scheduling.booking`` like the API does, and its refusals come back as
messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csp import get_nonce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from clinics.access import clinics_of, staff_clinic
from clinics.models import Clinic, Room, StaffMember
from core import availability as av
from frontdesk.forms import practitioner_name
from scheduling import booking
from scheduling.calendar import practitioners
from scheduling.models import Appointment, OpeningHours, Status

# FullCalendar 6 adds its CSS at run time in a <style> element; the nonce
# (read from <meta name="csp-nonce">) lets it through style-src, and its CSS
# carries its arrow icons as a data: font. On this page only: every other
# page keeps style-src 'self' and no fonts beyond default-src.
CALENDAR_CSP = {
    **settings.SECURE_CSP,
    "style-src": [*settings.SECURE_CSP.get("style-src", [CSP.SELF]), CSP.NONCE],
    "font-src": [CSP.SELF, "data:"],
}
PALETTE_SIZE = 8  # colours .fc-practitioner-0 ... -7 in site.css


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The calendar of the user's first clinic."""
    members = clinics_of(request.user)
    if not members:
        raise Http404("You are not on the staff of any clinic.")
    return redirect("frontdesk:calendar", members[0].clinic.slug)


def _hhmm(moment: time, *, midnight_is_end: bool = False) -> str:
    if midnight_is_end and moment == time(0):
        return "24:00"
    return f"{moment:%H:%M}"


def opening_week(clinic: Clinic) -> dict[int, list[tuple[time, time]]]:
    """The clinic's opening intervals per weekday (Monday = 0); the default
    week when it has none. One query."""
    rows = list(OpeningHours.objects.filter(clinic=clinic))
    if not rows:
        return {day: list(spans) for day, spans in av.default_opening_hours().items()}
    week: dict[int, list[tuple[time, time]]] = {}
    for row in rows:
        week.setdefault(row.weekday, []).append((row.starts, row.ends))
    return week


def calendar_hours(week: dict[int, list[tuple[time, time]]]) -> dict[str, Any]:
    """FullCalendar's business hours, visible time range and hidden days.
    FullCalendar numbers days from Sunday = 0."""
    spans = [(s, e) for day in week.values() for s, e in day]
    ends = ["24:00" if e == time(0) else _hhmm(e) for _s, e in spans]
    return {
        "businessHours": [
            {
                "daysOfWeek": [(weekday + 1) % 7],
                "startTime": _hhmm(start),
                "endTime": _hhmm(end, midnight_is_end=True),
            }
            for weekday, day in sorted(week.items())
            for start, end in day
        ],
        "slotMinTime": min((_hhmm(s) for s, _e in spans), default="08:00"),
        "slotMaxTime": max(ends, default="20:00"),
        "hiddenDays": [(weekday + 1) % 7 for weekday in range(7) if not week.get(weekday)],
    }


def _selection(
    value: str, staff: dict[int, StaffMember], rooms: dict[int, Room]
) -> tuple[str, int | None]:
    """("practitioner"|"room"|"", id) from the select's ``kind:id``."""
    kind, _sep, raw = value.partition(":")
    try:
        pk = int(raw)
    except ValueError:
        return "", None
    if (kind == "practitioner" and pk in staff) or (kind == "room" and pk in rooms):
        return kind, pk
    return "", None


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def day_appointments(
    clinic: Clinic, day: date, *, practitioner: int | None = None, room: int | None = None
) -> list[Appointment]:
    """Every appointment starting on the clinic's local ``day``, cancelled
    ones included. One query."""
    tz = ZoneInfo(clinic.time_zone)
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    rows = Appointment.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
    if practitioner is not None:
        rows = rows.filter(practitioner_id=practitioner)
    if room is not None:
        rows = rows.filter(room_id=room)
    return list(
        rows.select_related(
            "patient", "service", "practitioner__user", "room", "device", "course"
        ).order_by("starts_at", "pk")
    )


def _colours(staff: Iterable[int]) -> dict[str, int]:
    return {str(pk): n % PALETTE_SIZE for n, pk in enumerate(sorted(staff))}


def _strings() -> dict[str, str]:
    """What calendar.js shows, in the page's language."""
    return {
        "moved": gettext("Moved %(patient)s to %(when)s."),
        "misfit": gettext("Session %(number)s no longer fits its window: %(window)s."),
        "window": gettext("%(earliest)s to %(latest)s"),
        "windowOpen": gettext("from %(earliest)s"),
        "notMoved": gettext("Not moved: %(message)s"),
        "failed": gettext("The calendar could not reach the server. Please try again."),
        "loadFailed": gettext("The appointments could not be loaded. Please reload the page."),
        "checkedIn": gettext("%(patient)s is checked in."),
        "noShow": gettext("%(patient)s is marked as a no-show."),
        "cancelled": gettext("The appointment of %(patient)s is cancelled."),
        "reasonRequired": gettext("Say why the appointment is cancelled."),
        "session": gettext("Session %(number)s of the course"),
        "noRoom": gettext("No room"),
        "loading": gettext("Loading appointments…"),
    }


def _nonce(request: HttpRequest) -> str:
    """This response's CSP nonce, or "" when no CSP is sent (DEBUG). Made
    now: Django adds the nonce to the header only once something used it."""
    nonce = get_nonce(request)
    return "" if nonce is None else str(nonce)


@login_required
@require_GET
@csp_override(CALENDAR_CSP)
def calendar(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    today = clinic.today()
    day = _day(request.GET.get("date"), today)
    view = "day" if request.GET.get("view") == "day" else "week"
    staff = {s.pk: s for s in practitioners(clinic).select_related("user").order_by("pk")}
    rooms = {r.pk: r for r in Room.objects.filter(clinic=clinic).order_by("name", "pk")}
    kind, selected = _selection(request.GET.get("show", ""), staff, rooms)
    appointments = day_appointments(
        clinic,
        day,
        practitioner=selected if kind == "practitioner" else None,
        room=selected if kind == "room" else None,
    )
    now = timezone.now()
    colours = _colours(staff)
    config = {
        "clinic": clinic.slug,
        "timeZone": clinic.time_zone,
        "initialDate": day.isoformat(),
        "initialView": "timeGridDay" if view == "day" else "timeGridWeek",
        "locale": request.LANGUAGE_CODE,  # type: ignore[attr-defined]
        "api": "/api/v1/appointments",
        "coursePage": reverse("frontdesk:course", args=[clinic.slug, 0]),
        "bookPage": reverse("frontdesk:book", args=[clinic.slug]),
        "icsPage": f"/staff/{clinic.slug}/appointments/0.ics",
        "calendarPage": reverse("frontdesk:calendar", args=[clinic.slug]),
        "colours": colours,
        "strings": _strings(),
        "statuses": {value: str(label) for value, label in Status.choices},
        **calendar_hours(opening_week(clinic)),
    }
    return render(
        request,
        "frontdesk/calendar.html",
        {
            "clinic": clinic,
            "member": member,
            "day": day,
            "today": today,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "view": view,
            "show": f"{kind}:{selected}" if kind else "",
            "practitioners": [
                {
                    "value": f"practitioner:{pk}",
                    "name": practitioner_name(s),
                    "colour": colours[str(pk)],
                }
                for pk, s in staff.items()
            ],
            "rooms": [{"value": f"room:{pk}", "name": room.name} for pk, room in rooms.items()],
            "appointments": [
                {
                    "row": a,
                    "colour": colours.get(str(a.practitioner_id)),
                    "can_check_in": a.status == Status.BOOKED,
                    "can_no_show": a.status == Status.BOOKED and a.starts_at <= now,
                    "can_cancel": a.status in (Status.BOOKED, Status.CHECKED_IN),
                }
                for a in appointments
            ],
            "config": config,
            "csp_nonce": _nonce(request),
        },
    )


def _back(request: HttpRequest, clinic: Clinic) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("frontdesk:calendar", args=[clinic.slug])
    return HttpResponseRedirect(target)


def _act(
    request: HttpRequest,
    slug: str,
    change: Callable[[Clinic], Appointment],
    done: str,
) -> HttpResponse:
    clinic, _member = staff_clinic(request.user, slug)
    try:
        appointment = change(clinic)
    except booking.BookingError as error:
        if error.status == 404:
            raise Http404(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"patient": appointment.patient})
    return _back(request, clinic)


@login_required
@require_POST
def check_in(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(
        request,
        slug,
        lambda clinic: booking.check_in(clinic=clinic, appointment_id=pk, by=request.user),
        gettext("%(patient)s is checked in."),
    )


@login_required
@require_POST
def no_show(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(
        request,
        slug,
        lambda clinic: booking.mark_no_show(clinic=clinic, appointment_id=pk, by=request.user),
        gettext("%(patient)s is marked as a no-show."),
    )


@login_required
@require_POST
def cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _act(
        request,
        slug,
        lambda clinic: booking.cancel(
            clinic=clinic, appointment_id=pk, reason=reason, by=request.user
        ),
        gettext("The appointment of %(patient)s is cancelled."),
    )
