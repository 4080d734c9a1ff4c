"""The record's treatment course pages.

- ``courses/new/``: choose the indication and area; the plan preview
  proposes the protocol (or another the country allows) with its default
  sessions, intervals and technique, which the practitioner may adjust
  within the catalog's limits; each refusal names its field.
- ``courses/<id>/``: the course: status, sessions, its consents and charts;
  stop (with a reason), complete, tie the booked sessions to it.

Reads go through record_context (logged), changes through write_record
(practitioners only); front desk gets 403, other clinics' staff 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinical.courses import CourseError, complete, link_booking, start_course, stop
from clinical.gates import valid_consent
from clinical.models import Consent, SessionChart, TreatmentCourse
from clinical.views.record import record_context, write_context
from core.catalog.model import Catalog, IntRange, Protocol
from core.course_limits import Problem, step_interval
from core.planning import Message, NotOffered, PlanError, PlanPreview, PlanRequest, preview
from mesoclinic.catalog import get_catalog
from plans.forms import treatment_choices
from scheduling.models import Course as BookedCourse


def translated(message: Message) -> str:
    text = gettext(message.text)
    return text % dict(message.params) if message.params else text


def patient_course(context: dict[str, Any], course_id: int) -> TreatmentCourse:
    course = TreatmentCourse.objects.filter(pk=course_id, patient=context["patient"]).first()
    if course is None:
        raise Http404("No such course.")
    return course


# -- a new course -----------------------------------------------------------------------------


def _interval_rows(
    protocol: Protocol, data: dict[str, Any] | None, errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """One row per session after the first, up to the protocol's maximum:
    the catalog's interval before it and what the form holds."""
    high = protocol.sessions.max or max(protocol.default_sessions, protocol.sessions.min)
    rows = []
    for number in range(2, high + 1):
        allowed = step_interval(protocol, number)
        low_name, high_name = f"interval_{number}_min", f"interval_{number}_max"
        index = number - 2
        rows.append(
            {
                "number": number,
                "allowed": allowed,
                "min_name": low_name,
                "max_name": high_name,
                "min": data.get(low_name, "") if data is not None else allowed.min,
                "max": data.get(high_name, "") if data is not None else (allowed.max or ""),
                "min_errors": errors.get(f"intervals.{index}.min", [])
                + errors.get(f"intervals.{index}", []),
                "max_errors": errors.get(f"intervals.{index}.max", []),
                "in_course": number <= protocol.default_sessions,
            }
        )
    return rows


def _number(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _posted_intervals(
    protocol: Protocol, sessions: int, data: Any, errors: dict[str, list[str]]
) -> list[list[int | None]]:
    """The intervals before sessions 2..``sessions``; an empty box takes the
    catalog's value (an empty longest interval of an open phase stays open)."""
    out: list[list[int | None]] = []
    for number in range(2, sessions + 1):
        allowed: IntRange = step_interval(protocol, number)
        index = number - 2
        pair: list[int | None] = []
        for end, default in (("min", allowed.min), ("max", allowed.max)):
            raw = str(data.get(f"interval_{number}_{end}", ""))
            value = _number(raw)
            if raw.strip() and value is None:
                errors.setdefault(f"intervals.{index}.{end}", []).append(
                    gettext("Enter a whole number of days.")
                )
            pair.append(default if value is None else value)
        out.append(pair)
    return out


def _preview(
    catalog: Catalog, context: dict[str, Any], indication: str, area: str, key: str
) -> PlanPreview:
    clinic = context["clinic"]
    return preview(
        catalog,
        PlanRequest(
            indication=indication,
            area=area,
            start_date=clinic.today(),
            protocol=key or None,
            country=clinic.country,
            currency=clinic.currency,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_new(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    """GET shows the plan preview to anyone who reads the record (the form
    to plan it only to practitioners); POST plans the course."""
    if request.method == "POST":
        context = write_context(request, slug, patient_id)
    else:
        context = record_context(request, slug, patient_id, "new course")
    catalog = get_catalog()
    source = request.POST if request.method == "POST" else request.GET
    treatment = str(source.get("treatment", ""))
    key = str(source.get("protocol", ""))
    context.update(
        treatments=treatment_choices(catalog), treatment=treatment, errors={}, refusal=None
    )
    if ":" not in treatment:
        if request.method == "POST":
            context["errors"] = {"treatment": [gettext("Choose the treatment and area.")]}
            return render(request, "clinical/courses/new.html", context, status=400)
        return render(request, "clinical/courses/new.html", context)
    indication, area = treatment.split(":", 1)
    try:
        plan = _preview(catalog, context, indication, area, key)
    except NotOffered as refusal:
        context["refusal"] = {
            "reason": translated(refusal.message),
            "sources": list(dict.fromkeys(s for n in refusal.notes for s in n.sources)),
        }
        return render(request, "clinical/courses/new.html", context, status=400)
    except PlanError as error:
        field = "protocol" if error.field == "protocol" else "treatment"
        context["errors"] = {field: [translated(error.message)]}
        return render(request, "clinical/courses/new.html", context, status=400)
    protocol = catalog.protocols[plan.protocol.key]
    context.update(plan=plan, protocol=protocol, indication=indication, area=area)
    areas = [a for a in protocol.areas if a in catalog.indications[indication].areas]
    context["area_choices"] = [(a, catalog.areas[a].name) for a in areas]
    context["technique_choices"] = [(t, catalog.techniques[t].name) for t in protocol.techniques]

    if request.method != "POST":
        context.update(
            chosen_areas=[area],
            sessions=protocol.default_sessions,
            technique=protocol.techniques[0],
            notes="",
            rows=_interval_rows(protocol, None, {}),
        )
        return render(request, "clinical/courses/new.html", context)

    errors: dict[str, list[str]] = {}
    chosen_areas = request.POST.getlist("areas")
    sessions = _number(str(request.POST.get("sessions", "")))
    if sessions is None:
        errors["sessions"] = [gettext("Enter the number of sessions, a whole number.")]
    technique = str(request.POST.get("technique", ""))
    notes = str(request.POST.get("notes", ""))
    intervals: list[list[int | None]] = []
    if sessions is not None and protocol.sessions.contains(sessions):
        intervals = _posted_intervals(protocol, sessions, request.POST, errors)
    if not errors:
        try:
            course = start_course(
                context["patient"],
                indication,
                chosen_areas,
                protocol.key,
                sessions,
                intervals
                if sessions is not None and protocol.sessions.contains(sessions)
                else None,
                technique,
                notes,
                request.user,
            )
        except CourseError as refused:
            errors = _errors(refused.problems)
        else:
            messages.success(request, gettext("Course planned."))
            return redirect(
                "clinical:course", context["clinic"].slug, context["patient"].pk, course.pk
            )
    context.update(
        chosen_areas=chosen_areas,
        sessions=request.POST.get("sessions", ""),
        technique=technique,
        notes=notes,
        rows=_interval_rows(protocol, request.POST, errors),
        errors=errors,
    )
    return render(request, "clinical/courses/new.html", context, status=400)


def _errors(problems: tuple[Problem, ...]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in problems:
        field = "treatment" if problem.field == "indication" else problem.field
        errors.setdefault(field, []).append(translated(problem.message))
    return errors


# -- one course -------------------------------------------------------------------------------


def bookable(course: TreatmentCourse) -> list[BookedCourse]:
    """The patient's booked courses this course may be tied to."""
    taken = TreatmentCourse.objects.filter(booking__isnull=False).values("booking_id")
    return list(
        BookedCourse.objects.filter(
            clinic=course.clinic_id,
            patient=course.patient_id,
            protocol=course.protocol,
            status=BookedCourse.Status.BOOKED,
        )
        .exclude(pk__in=taken)
        .select_related("service")
        .order_by("-created_at")
    )


def course_view(catalog: Catalog, course: TreatmentCourse) -> dict[str, Any]:
    """The catalog's names for a course's keys (the key itself when the
    catalog no longer has it)."""
    protocol = catalog.protocols.get(course.protocol)
    indication = catalog.indications.get(course.indication)
    technique = catalog.techniques.get(course.technique)
    return {
        "indication": indication.name if indication else course.indication,
        "areas": [catalog.areas[a].name if a in catalog.areas else a for a in course.areas],
        "protocol": protocol.name if protocol else course.protocol,
        "technique": technique.name if technique else course.technique,
        "intervals": [
            {"number": i + 2, "min": pair[0], "max": pair[1]}
            for i, pair in enumerate(course.intervals)
        ],
    }


def _course_page(
    request: HttpRequest, context: dict[str, Any], course: TreatmentCourse, status: int = 200
) -> HttpResponse:
    context.update(
        course=course,
        names=course_view(get_catalog(), course),
        consents=Consent.objects.filter(course=course).select_related("text", "witnessed_by"),
        consent=valid_consent(course),
        charts=SessionChart.objects.filter(course=course).select_related("practitioner__user"),
        bookable=bookable(course) if context["can_write"] and course.booking_id is None else [],
        open=course.status in (TreatmentCourse.Status.PLANNED, TreatmentCourse.Status.ACTIVE),
    )
    context.setdefault("errors", {})
    return render(request, "clinical/courses/course.html", context, status=status)


@login_required
@require_GET
def course_detail(request: HttpRequest, slug: str, patient_id: int, course_id: int) -> HttpResponse:
    context = record_context(request, slug, patient_id, "course")
    return _course_page(request, context, patient_course(context, course_id))


def _refused(
    request: HttpRequest, context: dict[str, Any], course: TreatmentCourse, error: CourseError
) -> HttpResponse:
    context["errors"] = _errors(error.problems)
    course.refresh_from_db()
    return _course_page(request, context, course, status=400)


@login_required
@require_POST
def course_stop(request: HttpRequest, slug: str, patient_id: int, course_id: int) -> HttpResponse:
    context = write_context(request, slug, patient_id)
    course = patient_course(context, course_id)
    try:
        stop(course, str(request.POST.get("reason", "")), request.user)
    except CourseError as error:
        context["reason"] = request.POST.get("reason", "")
        return _refused(request, context, course, error)
    messages.success(request, gettext("Course stopped."))
    return redirect("clinical:course", slug, patient_id, course.pk)


@login_required
@require_POST
def course_complete(
    request: HttpRequest, slug: str, patient_id: int, course_id: int
) -> HttpResponse:
    context = write_context(request, slug, patient_id)
    course = patient_course(context, course_id)
    try:
        complete(course, request.user)
    except CourseError as error:
        return _refused(request, context, course, error)
    messages.success(request, gettext("Course completed."))
    return redirect("clinical:course", slug, patient_id, course.pk)


@login_required
@require_POST
def course_link_booking(
    request: HttpRequest, slug: str, patient_id: int, course_id: int
) -> HttpResponse:
    context = write_context(request, slug, patient_id)
    course = patient_course(context, course_id)
    booked = None
    raw = _number(str(request.POST.get("booking", "")))
    if raw is not None:
        booked = BookedCourse.objects.filter(
            pk=raw, clinic=context["clinic"], patient=context["patient"]
        ).first()
    try:
        if booked is None:
            raise CourseError.one(
                "booking", gettext_noop("Choose one of the patient's booked courses.")
            )
        link_booking(course, booked, request.user)
    except CourseError as error:
        return _refused(request, context, course, error)
    messages.success(request, gettext("The booked sessions are tied to this course."))
    return redirect("clinical:course", slug, patient_id, course.pk)


urlpatterns = [
    path("courses/new/", course_new, name="course_new"),
    path("courses/<int:course_id>/", course_detail, name="course"),
    path("courses/<int:course_id>/stop/", course_stop, name="course_stop"),
    path("courses/<int:course_id>/complete/", course_complete, name="course_complete"),
    path("courses/<int:course_id>/booking/", course_link_booking, name="course_link_booking"),
]
