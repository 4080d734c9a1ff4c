"""Clinical photographs: taking them at a session, seeing them, comparing
two sessions side by side; and a patient's own photos in the portal.

Photos are served only through these views, which check who asks (never
from a public /media/ address) and forbid caches from keeping them. When a
new photo is taken, the same view from the previous session of the course
is shown faint over the preview (static/js/photo-ghost.js), so the angle
matches; without JavaScript it is shown beside the file input.

Reading a full photo is logged as a read of the record; thumbnails are
checked the same way but not logged one by one (the page that shows them
was).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clinical.access import CLINICAL_READ_ROLES, own_patient, write_record
from clinical.gates import photo_consent
from clinical.models import Photo, SessionChart
from clinical.photos import PhotoError, photo_file, store_photo, views_for_chart
from clinical.views.record import record_context
from clinics.access import staff_clinic
from mesoclinic.catalog import get_catalog
from patients.models import Patient


def _served(photo: Photo, thumbnail: bool = False) -> FileResponse:
    response = photo_file(photo, thumbnail)
    if response is None:
        raise Http404("The photo file is missing.")
    return response


def _chart_of(patient: Patient, chart_id: int) -> SessionChart:
    chart = (
        SessionChart.objects.filter(pk=chart_id, patient=patient).select_related("course").first()
    )
    if chart is None:
        raise Http404("No such session.")
    return chart


def _photo_of(patient: Patient, photo_id: int) -> Photo:
    photo = Photo.objects.filter(pk=photo_id, patient=patient).first()
    if photo is None:
        raise Http404("No such photo.")
    return photo


def _chart_label(chart: SessionChart) -> str:
    indication = get_catalog().indications.get(chart.course.indication)
    name = _(indication.name) if indication else chart.course.indication
    return _("%(indication)s, session %(number)s, %(day)s") % {
        "indication": name,
        "number": chart.session_number,
        "day": chart.performed_on.isoformat(),
    }


def _ghosts(chart: SessionChart, views: tuple[str, ...]) -> list[tuple[str, str, Photo]]:
    """Per view, the photo to match the angle to: the same view at the
    latest earlier session of the course (its before photo if it has one),
    else at this session (the before photo, when taking the after one).
    Returns (view, view label, photo) for the views that have one."""
    labels = dict(Photo.View.choices)
    candidates = (
        Photo.objects.filter(
            chart__course_id=chart.course_id,
            chart__session_number__lte=chart.session_number,
            view__in=views,
        )
        .select_related("chart")
        .order_by("pk")
    )

    def rank(photo: Photo) -> tuple[bool, int, bool, float]:
        earlier = photo.chart.session_number < chart.session_number
        return (
            earlier,
            photo.chart.session_number,
            photo.phase == Photo.Phase.BEFORE,
            photo.taken_at.timestamp(),
        )

    best: dict[str, Photo] = {}
    for photo in candidates:
        if photo.view not in best or rank(photo) > rank(best[photo.view]):
            best[photo.view] = photo
    return [(v, str(labels[v]), best[v]) for v in views if v in best]


def _upload_context(
    request: HttpRequest, slug: str, patient_id: int, chart_id: int
) -> dict[str, Any]:
    context = record_context(request, slug, patient_id, f"photos of session chart {chart_id}")
    chart = _chart_of(context["patient"], chart_id)
    views = views_for_chart(chart)
    labels = dict(Photo.View.choices)
    context.update(
        chart=chart,
        chart_label=_chart_label(chart),
        views=[(v, labels[v]) for v in views],
        phases=Photo.Phase.choices,
        ghosts=_ghosts(chart, views),
        chart_photos=Photo.objects.filter(chart=chart).order_by("view", "-phase", "pk"),
        consent=photo_consent(context["patient"]),
        chosen_view=views[0],
        chosen_phase=Photo.Phase.BEFORE,
        errors={},
    )
    return context


@login_required
@require_http_methods(["GET", "POST"])
def chart_photos(request: HttpRequest, slug: str, patient_id: int, chart_id: int) -> HttpResponse:
    """GET: the session's photos and the form to take one. POST: store it
    (practitioners only)."""
    if request.method != "POST":
        context = _upload_context(request, slug, patient_id, chart_id)
        return render(request, "clinical/photos/upload.html", context)

    access = write_record(request.user, slug, patient_id)
    chart = _chart_of(access.patient, chart_id)
    view = request.POST.get("view", "")
    phase = request.POST.get("phase", "")
    upload = request.FILES.get("image")
    try:
        if upload is None:
            raise PhotoError("image", _("Choose a photo to upload."))
        photo = store_photo(chart, view, phase, upload, request.user)
    except PhotoError as error:
        context = _upload_context(request, slug, patient_id, chart_id)
        context.update(
            errors={error.field: error.message},
            chosen_view=view or context["chosen_view"],
            chosen_phase=phase or context["chosen_phase"],
        )
        return render(request, "clinical/photos/upload.html", context, status=400)
    messages.success(
        request,
        _("The %(view)s photo (%(phase)s) was stored without its location and camera data.")
        % {"view": photo.get_view_display().lower(), "phase": photo.get_phase_display().lower()},
    )
    return redirect("clinical:photos", slug=slug, patient_id=patient_id, chart_id=chart.pk)


@login_required
@require_GET
def photo_image(request: HttpRequest, slug: str, patient_id: int, photo_id: int) -> FileResponse:
    context = record_context(request, slug, patient_id, f"photo {photo_id}")
    photo = _photo_of(context["patient"], photo_id)
    return _served(photo)


@login_required
@require_GET
def photo_thumbnail(
    request: HttpRequest, slug: str, patient_id: int, photo_id: int
) -> FileResponse:
    # The same roles as record_context; not logged per thumbnail (see above).
    clinic, _member = staff_clinic(request.user, slug, CLINICAL_READ_ROLES)
    patient = Patient.objects.filter(clinic=clinic, pk=patient_id).first()
    if patient is None:
        raise Http404("No such patient.")
    photo = _photo_of(patient, photo_id)
    return _served(photo, thumbnail=True)


def _side(chart: SessionChart | None, view: str, phase: str) -> dict[str, Any] | None:
    """The photo of ``chart`` in ``view``, in ``phase`` if there is one,
    else the other phase; None without a chart."""
    if chart is None:
        return None
    photos = list(Photo.objects.filter(chart=chart, view=view).order_by("-taken_at", "-pk"))
    photo = next((p for p in photos if p.phase == phase), photos[0] if photos else None)
    return {"chart": chart, "label": _chart_label(chart), "photo": photo}


@login_required
@require_GET
def compare(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    """Two sessions side by side in one view: ?a=<chart>&b=<chart>&view=front
    (&phase=before). Without a and b, the first and the latest session with
    photos of that view."""
    context = record_context(request, slug, patient_id, "photo comparison")
    patient = context["patient"]
    charts = list(
        SessionChart.objects.filter(patient=patient)
        .select_related("course")
        .order_by("performed_on", "course_id", "session_number")
    )
    by_id = {c.pk: c for c in charts}
    view = request.GET.get("view") or Photo.View.FRONT
    phase = request.GET.get("phase") or Photo.Phase.BEFORE
    errors: dict[str, str] = {}
    if view not in Photo.View.values:
        errors["view"] = _("Choose one of the standard views.")
        view = Photo.View.FRONT
    if phase not in Photo.Phase.values:
        errors["phase"] = _("Choose before or after the session.")
        phase = Photo.Phase.BEFORE

    photographed = set(
        Photo.objects.filter(patient=patient, view=view).values_list("chart_id", flat=True)
    )
    with_view = [c for c in charts if c.pk in photographed]
    defaults = {
        "a": with_view[0] if with_view else None,
        "b": with_view[-1] if with_view else None,
    }
    chosen: dict[str, SessionChart | None] = {}
    for key, default in defaults.items():
        raw = request.GET.get(key, "")
        if not raw:
            chosen[key] = default
            continue
        found = by_id.get(int(raw)) if raw.isdigit() else None
        if found is None:
            errors[key] = _("There is no such session in this record.")
        chosen[key] = found or default

    context.update(
        charts=[(c.pk, _chart_label(c)) for c in charts],
        views=Photo.View.choices,
        phases=Photo.Phase.choices,
        view=view,
        phase=phase,
        a=chosen["a"],
        b=chosen["b"],
        sides=[s for s in (_side(chosen["a"], view, phase), _side(chosen["b"], view, phase)) if s],
        errors=errors,
    )
    return render(request, "clinical/photos/compare.html", context, status=400 if errors else 200)


# -- the patient's own photos (portal) ---------------------------------------------------------


@login_required
@require_GET
def own_photo_image(request: HttpRequest, photo_id: int) -> FileResponse:
    photo = _photo_of(own_patient(request), photo_id)
    return _served(photo)


@login_required
@require_GET
def own_photo_thumbnail(request: HttpRequest, photo_id: int) -> FileResponse:
    photo = _photo_of(own_patient(request), photo_id)
    return _served(photo, thumbnail=True)


urlpatterns: list[URLPattern] = [
    path("charts/<int:chart_id>/photos/", chart_photos, name="photos"),
    path("photos/compare/", compare, name="photos_compare"),
    path("photos/<int:photo_id>/image/", photo_image, name="photo_image"),
    path("photos/<int:photo_id>/thumbnail/", photo_thumbnail, name="photo_thumbnail"),
]
portal_urlpatterns: list[URLPattern] = [
    path("photos/<int:photo_id>/image/", own_photo_image, name="photo_image"),
    path("photos/<int:photo_id>/thumbnail/", own_photo_thumbnail, name="photo_thumbnail"),
]
