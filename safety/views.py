"""The staff's safety pages, under /staff/<clinic>/safety/.

- The review list: the clinic's adverse events, open ones first (urgent,
  then by when the review is due), overdue ones marked. Practitioners and
  managers; front desk 403, another clinic's staff 404.
- An event: what was reported, the triage's reasons with their sources,
  the photos, the lots and the device cleaning of the session, the review
  and its history. Reading it is a read of the patient's record: logged
  (clinical.access.read_record).
- The review (POST, practitioners): outcome, treatment given, notes, a
  change of level with its reason.
- A practitioner's own report of an event for a patient's session.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinical.access import CLINICAL_READ_ROLES, CLINICAL_WRITE_ROLES, read_record, write_record
from clinical.models import SessionChart
from clinics.access import staff_clinic
from clinics.models import Clinic
from messaging.render import local_time
from safety.events import EventError, Review, report_event, review_event, session_lots
from safety.messages import effect_label
from safety.models import AdverseEvent, EventPhoto, EventStatus, Level, Outcome, ReportedVia
from safety.queries import filtered
from safety.report_form import blank_form, read_form, too_large
from safety.triage_display import advice_context

SHOW = ("open", "all")


def is_overdue(event: AdverseEvent, now: Any) -> bool:
    return (
        event.status == EventStatus.OPEN
        and event.review_due_at is not None
        and event.review_due_at < now
    )


@login_required
@require_GET
def review_list(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug, CLINICAL_READ_ROLES)
    show = request.GET.get("show", "open")
    level = request.GET.get("level", "")
    errors = {}
    if show not in SHOW:
        errors["show"] = _("Choose open or all events.")
        show = "open"
    if level and level not in Level.values:
        errors["level"] = _("Choose one of the levels.")
        level = ""
    now = timezone.now()
    events = list(
        filtered(clinic, show, level).select_related("patient", "chart", "chart__course")[:500]
    )
    rows = [
        {
            "event": e,
            "effect": effect_label(e),
            "overdue": is_overdue(e, now),
            "due": local_time(e.review_due_at, clinic) if e.review_due_at else "",
            "reported": local_time(e.reported_at, clinic),
        }
        for e in events
    ]
    counts = AdverseEvent.objects.filter(clinic=clinic, status=EventStatus.OPEN).aggregate(
        urgent=_count(Level.URGENT), review=_count(Level.REVIEW)
    )
    context = {
        "clinic": clinic,
        "member": member,
        "rows": rows,
        "show": show,
        "level": level,
        "levels": Level.choices,
        "errors": errors,
        "counts": counts,
        "overdue": sum(1 for r in rows if r["overdue"]),
    }
    return render(request, "safety/list.html", context, status=400 if errors else 200)


def _count(level: str) -> Count:
    return Count("pk", filter=Q(level=level))


def _event(clinic: Clinic, event_id: int) -> AdverseEvent:
    event = (
        AdverseEvent.objects.filter(clinic=clinic, pk=event_id)
        .select_related(
            "patient",
            "chart",
            "chart__course",
            "chart__device",
            "chart__device_cleaning",
            "chart__device_cleaning__by",
            "chart__practitioner__user",
            "reported_by",
            "reviewed_by",
        )
        .first()
    )
    if event is None:
        raise Http404("No such adverse event.")
    return event


def _history(event: AdverseEvent) -> list[dict[str, Any]]:
    rows = []
    for version in event.history.select_related("history_user").order_by("history_date", "pk"):
        user = version.history_user
        rows.append(
            {
                "at": local_time(version.history_date, event.clinic),
                "by": (user.get_full_name() or user.username) if user else _("the patient"),
                "reason": version.history_change_reason or "",
                "status": version.get_status_display(),
                "level": version.get_level_display(),
            }
        )
    return rows


def _event_context(request: HttpRequest, slug: str, event_id: int) -> dict[str, Any]:
    # Roles first (front desk 403, outsiders 404), then the event, then the logged read.
    clinic, _member = staff_clinic(request.user, slug, CLINICAL_READ_ROLES)
    event = _event(clinic, event_id)
    access = read_record(request.user, slug, event.patient_id, f"adverse event {event.pk}")
    chart = event.chart
    cleaning = chart.device_cleaning
    context: dict[str, Any] = {
        "clinic": clinic,
        "member": access.member,
        "patient": event.patient,
        "event": event,
        "chart": chart,
        "can_review": access.member.role in CLINICAL_WRITE_ROLES,
        "lots": list(event.lots.select_related("product").order_by("product__name", "number")),
        "session_lots": session_lots(chart),
        "cleaning": cleaning,
        "cleaning_time": local_time(cleaning.cleaned_at, clinic) if cleaning else "",
        "photos": list(event.photos.order_by("pk")),
        "reported": local_time(event.reported_at, clinic),
        "started": local_time(event.started_at, clinic),
        "due": local_time(event.review_due_at, clinic) if event.review_due_at else "",
        "reviewed": local_time(event.reviewed_at, clinic) if event.reviewed_at else "",
        "overdue": is_overdue(event, timezone.now()),
        "history": _history(event),
        "outcomes": Outcome.choices,
        "levels": Level.choices,
        "review": {
            "outcome": event.outcome,
            "treatment": event.treatment,
            "notes": event.review_notes,
            "level": event.level,
            "level_reason": "",
        },
        "errors": {},
    }
    context.update(advice_context(event))
    return context


@login_required
@require_GET
def event_page(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    context = _event_context(request, slug, event_id)
    return render(request, "safety/event.html", context)


@login_required
@require_POST
def review(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    clinic, _member = staff_clinic(request.user, slug, CLINICAL_WRITE_ROLES)
    event = _event(clinic, event_id)
    post = request.POST
    values = Review(
        outcome=post.get("outcome", ""),
        treatment=post.get("treatment", ""),
        notes=post.get("notes", ""),
        level=post.get("level", ""),
        level_reason=post.get("level_reason", ""),
        close=post.get("close") == "1",
    )
    try:
        review_event(event, values, request.user)
    except EventError as error:
        context = _event_context(request, slug, event_id)
        context["review"] = {
            "outcome": values.outcome,
            "treatment": values.treatment,
            "notes": values.notes,
            "level": values.level or event.level,
            "level_reason": values.level_reason,
            "close": values.close,
        }
        context["errors"] = {error.field: error.message}
        return render(request, "safety/event.html", context, status=error.status)
    messages.success(request, _("The review was recorded."))
    return redirect("safety:event", slug=slug, event_id=event.pk)


def _photo(request: HttpRequest, slug: str, event_id: int, photo_id: int) -> EventPhoto:
    clinic, _member = staff_clinic(request.user, slug, CLINICAL_READ_ROLES)
    photo = (
        EventPhoto.objects.filter(pk=photo_id, event_id=event_id, clinic=clinic)
        .select_related("event")
        .first()
    )
    if photo is None:
        raise Http404("No such photo.")
    return photo


def _served(photo: EventPhoto, thumbnail: bool) -> FileResponse:
    field = photo.thumbnail if thumbnail else photo.image
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The photo file is missing.") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    kind = "-thumbnail" if thumbnail else ""
    response["Content-Disposition"] = f'inline; filename="event-photo-{photo.pk}{kind}.jpg"'
    return response


@login_required
@require_GET
def photo_image(request: HttpRequest, slug: str, event_id: int, photo_id: int) -> FileResponse:
    """A full photo: a read of the record, logged."""
    photo = _photo(request, slug, event_id, photo_id)
    read_record(request.user, slug, photo.event.patient_id, f"adverse event {event_id} photo")
    return _served(photo, thumbnail=False)


@login_required
@require_GET
def photo_thumbnail(request: HttpRequest, slug: str, event_id: int, photo_id: int) -> FileResponse:
    # Checked like the full photo; not logged one by one (the event page was).
    return _served(_photo(request, slug, event_id, photo_id), thumbnail=True)


def _chart(clinic: Clinic, patient_id: int, chart_id: int) -> SessionChart:
    chart = (
        SessionChart.objects.filter(clinic=clinic, patient_id=patient_id, pk=chart_id)
        .select_related("course", "clinic", "patient")
        .first()
    )
    if chart is None:
        raise Http404("No such session.")
    return chart


@login_required
@require_http_methods(["GET", "POST"])
def staff_report(request: HttpRequest, slug: str, patient_id: int, chart_id: int) -> HttpResponse:
    """A practitioner reports an event after a patient's session."""
    access = write_record(request.user, slug, patient_id)
    chart = _chart(access.clinic, patient_id, chart_id)
    context: dict[str, Any] = {
        "clinic": access.clinic,
        "member": access.member,
        "patient": access.patient,
        "chart": chart,
    }
    if request.method != "POST":
        context["form"] = blank_form(chart)
        return render(request, "safety/report.html", context)
    if too_large(request):
        form = blank_form(chart)
        form.errors = {"photos": _("The photos are too large together; send smaller ones.")}
        context["form"] = form
        return render(request, "safety/report.html", context, status=413)
    values, form = read_form(request, chart)
    status = 400
    if values is not None:
        try:
            event = report_event(chart, values, via=ReportedVia.STAFF, by=request.user)
        except EventError as error:
            form.errors = {error.field: error.message}
            status = error.status
        else:
            messages.success(request, _("The adverse event was recorded."))
            return redirect("safety:event", slug=slug, event_id=event.pk)
    context["form"] = form
    return render(request, "safety/report.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("", review_list, name="list"),
    path("events/<int:event_id>/", event_page, name="event"),
    path("events/<int:event_id>/review/", review, name="review"),
    path("events/<int:event_id>/photos/<int:photo_id>/", photo_image, name="photo"),
    path(
        "events/<int:event_id>/photos/<int:photo_id>/thumbnail/",
        photo_thumbnail,
        name="photo_thumbnail",
    ),
    path(
        "patients/<int:patient_id>/charts/<int:chart_id>/report/",
        staff_report,
        name="report",
    ),
]
