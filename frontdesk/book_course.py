"""Book a whole course, and the course's page.

"Show proposal" asks ``scheduling.courses.propose`` for a time per session
and writes nothing; "Book all N sessions" books them with
``book_course``, all or nothing. When the calendar has no room for a
session, the page names the session, why, and the nearest free times
instead (``CourseError.failure``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from clinics.access import staff_clinic
from clinics.models import Clinic, Device, Room, StaffMember
from core import availability as av
from core.course_fitting import CourseFailure, Preferences, Window
from core.planning import PlanError
from frontdesk.forms import CourseForm, practitioner_name
from scheduling.courses import (
    CourseError,
    CourseRequest,
    Proposal,
    book_course,
    course_windows,
    propose,
    protocol_at,
)
from scheduling.models import LIVE_STATUSES, Course, Service

FAILURE_REASONS = {
    "window_in_the_past": _("The window is already over."),
    "closed_in_window": _("The clinic is closed on every day of the window."),
    "practitioner_unavailable": _("The practitioner has no working time in the window."),
    "no_free_slot": _("Every time in the window is taken."),
}


def usual_sessions(clinic: Clinic, service: Service) -> int | None:
    """The default number of sessions of the service's protocol; None when
    the clinic's country does not offer it."""
    try:
        protocol = protocol_at(clinic, service.indication, service.area, service.protocol or None)
    except PlanError:
        return None
    return protocol.default_sessions


def _label_services(form: CourseForm, clinic: Clinic) -> None:
    field = form.fields["service"]
    labels = {}
    for service in field.queryset:  # type: ignore[attr-defined]
        usual = usual_sessions(clinic, service)
        labels[service.pk] = (
            service.name
            if usual is None
            else gettext("%(service)s (usually %(count)s sessions)")
            % {"service": service.name, "count": usual}
        )
    field.label_from_instance = lambda s: labels.get(s.pk, s.name)  # type: ignore[attr-defined]


def _request(form: CourseForm) -> CourseRequest:
    data = form.cleaned_data
    practitioner: StaffMember | None = data["practitioner"]
    return CourseRequest(
        patient=data["patient"],
        service=data["service"],
        first=Window(data["first_earliest"], data["first_latest"]),
        sessions=data["sessions"],
        preferences=Preferences(
            weekdays=frozenset(data["weekdays"]),
            times_of_day=frozenset(data["times_of_day"]),
            practitioner_id=None if practitioner is None else practitioner.pk,
            practitioner_required=data["practitioner_required"],
        ),
    )


@dataclass(frozen=True)
class Names:
    """Who and where, by id, for showing slots."""

    staff: dict[int, str]
    rooms: dict[int, str]
    devices: dict[int, str]
    tz: ZoneInfo

    @classmethod
    def of(cls, clinic: Clinic) -> Names:
        return cls(
            staff={
                s.pk: practitioner_name(s)
                for s in StaffMember.objects.filter(clinic=clinic).select_related("user")
            },
            rooms=dict(Room.objects.filter(clinic=clinic).values_list("pk", "name")),
            devices=dict(Device.objects.filter(clinic=clinic).values_list("pk", "name")),
            tz=ZoneInfo(clinic.time_zone),
        )

    def slot(self, slot: av.Slot | None) -> dict[str, Any] | None:
        if slot is None:
            return None
        start = slot.start.astimezone(self.tz)
        return {
            "day": start.date(),
            "time": f"{start:%H:%M}",
            "end": f"{slot.end.astimezone(self.tz):%H:%M}",
            "practitioner": self.staff.get(int(slot.practitioner_id), ""),
            "room": "" if slot.room_id is None else self.rooms.get(int(slot.room_id), ""),
            "device": "" if slot.device_id is None else self.devices.get(int(slot.device_id), ""),
        }


def _proposal(proposal: Proposal, names: Names) -> dict[str, Any]:
    return {
        "protocol": proposal.protocol.name,
        "same_practitioner": proposal.plan.same_practitioner,
        # Sent back with "Book": the times the patient agreed to.
        "expected": [
            f"{s.slot.start.isoformat()}|{s.slot.practitioner_id}" for s in proposal.plan.sessions
        ],
        "sessions": [
            {
                "number": s.number,
                "window": s.window,
                "preferred": s.preferred,
                **(names.slot(s.slot) or {}),
            }
            for s in proposal.plan.sessions
        ],
    }


def _failure(failure: CourseFailure, names: Names) -> dict[str, Any]:
    alt = failure.alternatives
    return {
        "session": failure.session,
        "reason": FAILURE_REASONS.get(failure.reason, ""),
        "message": failure.message,
        "window": failure.window,
        "previous": failure.previous,
        "alternatives": [
            (label, shown)
            for label, slot in (
                (_("Before the window"), alt.before),
                (_("After the window"), alt.after),
                (_("With another practitioner"), alt.other_practitioner),
            )
            if (shown := names.slot(slot)) is not None
        ],
    }


def _expected(values: list[str]) -> list[tuple[datetime, int]] | None:
    """The proposal the desk was shown, from its hidden fields; None when
    absent or unreadable (then the course is booked as proposed now)."""
    try:
        pairs = [value.split("|") for value in values]
        return [(datetime.fromisoformat(start), int(pid)) for start, pid in pairs] or None
    except ValueError:
        return None


def _refused(form: CourseForm, error: CourseError, context: dict[str, Any], clinic: Clinic) -> None:
    if error.proposal is not None:
        context["proposal"] = _proposal(error.proposal, Names.of(clinic))
        form.add_error(None, error.message)
        return
    if error.failure is not None:
        context["failure"] = _failure(error.failure, Names.of(clinic))
        return
    field = error.field if error.field in form.fields else None
    if error.field in ("indication", "area", "protocol"):
        field = "service"
    form.add_error(field, error.message)


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    today = clinic.today()
    if request.method == "POST":
        form = CourseForm(request.POST, clinic=clinic)
    else:
        initial = {"first_earliest": today}
        initial.update({k: request.GET[k] for k in ("patient", "service") if request.GET.get(k)})
        form = CourseForm(initial=initial, clinic=clinic)
    _label_services(form, clinic)
    context: dict[str, Any] = {"clinic": clinic, "member": member, "form": form}
    if request.method == "POST" and form.is_valid():
        course_request = _request(form)
        if request.POST.get("action") == "book":
            try:
                course = book_course(
                    clinic,
                    course_request,
                    by=request.user,
                    expected=_expected(request.POST.getlist("expected")),
                )
            except CourseError as error:
                _refused(form, error, context, clinic)
            else:
                messages.success(
                    request,
                    gettext("Booked %(count)s sessions for %(patient)s.")
                    % {"count": course.sessions, "patient": course.patient},
                )
                return redirect("frontdesk:course", clinic.slug, course.pk)
        else:
            try:
                proposal = propose(clinic, course_request)
            except CourseError as error:
                _refused(form, error, context, clinic)
            else:
                context["proposal"] = _proposal(proposal, Names.of(clinic))
    return render(request, "frontdesk/book_course.html", context)


@login_required
@require_GET
def course(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    course = get_object_or_404(
        Course.objects.select_related("patient", "service", "clinic"), pk=pk, clinic=clinic
    )
    tz = ZoneInfo(clinic.time_zone)
    appointments = list(
        course.appointments.select_related("practitioner__user", "room", "device").order_by(
            "session_number", "starts_at", "pk"
        )
    )
    found = course_windows(course)
    windows, misfits, dates = found.windows, set(found.misfits), found.dates
    calendar_url = reverse("frontdesk:calendar", args=[clinic.slug])
    rows: list[dict[str, Any]] = []
    for number in range(1, course.sessions + 1):
        booked = [a for a in appointments if a.session_number == number]
        window = windows[number - 1] if number - 1 < len(windows) else None
        for a in booked:
            local = a.starts_at.astimezone(tz)
            rows.append(
                {
                    "number": number,
                    "appointment": a,
                    "start": local,
                    "end": a.ends_at.astimezone(tz),
                    "window": window,
                    "misfit": number in misfits and a.status in LIVE_STATUSES,
                    "calendar": f"{calendar_url}?date={local:%Y-%m-%d}&view=day",
                }
            )
        if dates[number - 1] is None:
            rows.append({"number": number, "appointment": None, "window": window})
    return render(
        request,
        "frontdesk/course.html",
        {
            "clinic": clinic,
            "member": member,
            "course": course,
            "rows": rows,
            "first_week": (
                f"{calendar_url}?date={first:%Y-%m-%d}&view=week"
                if (first := next((d for d in dates if d is not None), None))
                else calendar_url
            ),
        },
    )
