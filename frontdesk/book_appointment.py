"""Book one appointment: who, what, with whom and which day, then one of
the free times the core offers for that day.

One form, two buttons: "Show free times" (nothing is written) and "Book".
A link may prefill it (``?patient=&service=&practitioner=``: the calendar's
"Book next session"); with a day as well, the free times show at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from clinics.access import staff_clinic
from clinics.models import Clinic, StaffMember
from core import availability as av
from frontdesk.forms import AppointmentForm, practitioner_name
from scheduling.booking import BookingError
from scheduling.booking import book as book_appointment
from scheduling.calendar import load, service_room_ids
from scheduling.models import Service

PREFILL = ("patient", "service", "practitioner", "day")


@dataclass(frozen=True)
class FreeTime:
    value: str  # what the radio sends: "practitioner-id|ISO instant"
    label: str  # the clinic's wall-clock time


@dataclass(frozen=True)
class FreeTimes:
    practitioner: str
    times: list[FreeTime]


def free_times(
    clinic: Clinic, service: Service, day: date, practitioner: StaffMember | None
) -> tuple[list[FreeTimes], bool]:
    """The free starts of ``service`` on the clinic's local ``day``, grouped
    by practitioner, and whether the clinic opens that day at all. Costs
    the seven queries of ``scheduling.calendar.load`` and one for the rooms."""
    data = load(clinic, day, day)
    slots = av.free_slots(
        data.query(
            service,
            day,
            day,
            practitioner_id=None if practitioner is None else practitioner.pk,
            room_ids=service_room_ids(service),
        )
    )
    tz = ZoneInfo(clinic.time_zone)
    groups: dict[int, list[FreeTime]] = {}
    for slot in slots:
        pid = int(slot.practitioner_id)
        groups.setdefault(pid, []).append(
            FreeTime(
                value=f"{pid}|{slot.start.astimezone(tz).isoformat()}",
                label=f"{slot.start.astimezone(tz):%H:%M}",
            )
        )
    return (
        [FreeTimes(practitioner_name(data.staff[pid]), times) for pid, times in groups.items()],
        av.is_open_day(data.core_clinic, day),
    )


def _form(request: HttpRequest, clinic: Clinic) -> tuple[AppointmentForm, str | None]:
    """The form and what was asked: "book", "times", or None (a blank form)."""
    if request.method == "POST":
        action = "book" if request.POST.get("action") == "book" else "times"
        return AppointmentForm(request.POST, clinic=clinic), action
    given = {key: request.GET[key] for key in PREFILL if request.GET.get(key)}
    if {"patient", "service", "day"} <= given.keys():
        return AppointmentForm(given, clinic=clinic), "times"
    initial: dict[str, Any] = {"day": clinic.today(), **given}
    return AppointmentForm(initial=initial, clinic=clinic), None


def _book(request: HttpRequest, clinic: Clinic, form: AppointmentForm) -> HttpResponse | None:
    """Book the chosen time; a redirect to the day on the calendar, or None
    with the refusal added to the form."""
    data = form.cleaned_data
    chosen: tuple[int | None, datetime] | None = data["start"]
    if chosen is None:
        form.add_error("start", gettext("Choose one of the free times."))
        return None
    staff_id, start = chosen
    if data["practitioner"] is not None:
        staff_id = data["practitioner"].pk
    if staff_id is None:
        form.add_error("practitioner", gettext("Choose a practitioner."))
        return None
    try:
        appointment = book_appointment(
            clinic=clinic,
            patient=data["patient"],
            service=data["service"],
            practitioner_id=staff_id,
            start=start,
            notes=data["notes"],
            by=request.user,
        )
    except BookingError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None
    local = appointment.starts_at.astimezone(ZoneInfo(clinic.time_zone))
    messages.success(
        request,
        gettext("Booked %(patient)s for %(service)s on %(when)s.")
        % {
            "patient": appointment.patient,
            "service": appointment.service.name,
            "when": f"{local:%Y-%m-%d %H:%M}",
        },
    )
    url = reverse("frontdesk:calendar", args=[clinic.slug])
    return redirect(f"{url}?date={local:%Y-%m-%d}&view=day")


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    form, action = _form(request, clinic)
    context: dict[str, Any] = {"clinic": clinic, "member": member, "form": form}
    if action is not None and form.is_valid():
        if action == "book":
            done = _book(request, clinic, form)
            if done is not None:
                return done
        # A refusal may have taken its field out of cleaned_data.
        data = form.cleaned_data
        context["chosen"] = form.data.get("start", "")
        if data.get("service") is not None and data.get("day") is not None:
            groups, open_day = free_times(
                clinic, data["service"], data["day"], data.get("practitioner")
            )
            context.update(groups=groups, searched=True, closed=not open_day, day=data["day"])
    return render(request, "frontdesk/book_appointment.html", context)
