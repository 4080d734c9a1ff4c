"""Clinical photographs, outcome scores and a course's progress over JSON.

Staff only, by the record's rules (api/record_access.py): practitioners and
managers read, practitioners write, front desk gets 403, another clinic's
staff and patients 404; every read is logged. Photos are uploaded as
multipart (view, phase, image) and stored clean (clinical/photos.py); the
files are served only here and on the record's pages, never from /media/.

``GET /measures`` is catalog knowledge (which measures fit an indication,
their scales and sources): public, like the rest of the catalog.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.security import django_auth
from pydantic import ConfigDict, StrictFloat, StrictInt, StrictStr

from api.errors import ApiError
from api.record_access import api_read, api_write
from clinical.models import OutcomeScore, Photo, SessionChart, TreatmentCourse
from clinical.photos import PhotoError, photo_file, store_photo, views_for_chart
from clinical.scores import Entry, ScoreError, chart_measures, course_progress, save_scores
from core.catalog.model import Measure
from core.outcomes import measures_for
from mesoclinic.catalog import get_catalog
from patients.models import Patient

router = Router()


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# -- shapes ------------------------------------------------------------------------------------


class PhotoOut(Schema):
    id: int
    chart_id: int
    course_id: int
    session_number: int
    view: str
    phase: str
    width: int
    height: int
    taken_at: datetime
    image_url: str
    thumbnail_url: str


class ScaleLabelOut(Schema):
    value: int
    text: str


class MeasureItemOut(Schema):
    key: str
    name: str
    min: int
    max: int | None


class MeasureOut(Schema):
    key: str
    name: str
    abbreviation: str
    measures: str
    unit: str
    min: int
    max: int | None = Field(description="None: no upper bound (a count).")
    step: float
    higher_is_better: bool
    indications: list[str] = Field(description="Empty when it fits every indication.")
    every_indication: bool
    raters: list[str]
    labels: list[ScaleLabelOut]
    items: list[MeasureItemOut]
    sources: list[str]


class ScoreOut(Schema):
    id: int
    chart_id: int
    session_number: int
    measure: str
    rater: str
    value: float
    items: dict[str, int]
    recorded_at: datetime


class ChartScoresOut(Schema):
    chart_id: int
    course_id: int
    session_number: int
    measures: list[MeasureOut]
    scores: list[ScoreOut]


class ScoreIn(_In):
    measure: StrictStr = Field(..., max_length=40)
    rater: StrictStr = Field(..., max_length=10)
    value: StrictInt | StrictFloat | StrictStr | None = Field(
        None, description="Left out for a measure scored by items: the sum is recorded."
    )
    items: dict[StrictStr, StrictInt] = Field(default_factory=dict)


class ScoresIn(_In):
    scores: list[ScoreIn] = Field(..., max_length=40)
    reason: StrictStr = Field(
        "", max_length=2000, description="Needed when a recorded score changes (an amendment)."
    )


class SavedOut(Schema):
    created: list[ScoreOut]
    amended: list[ScoreOut]
    unchanged: list[ScoreOut]


class PointOut(Schema):
    session: int
    value: float


class SeriesOut(Schema):
    rater: str
    points: list[PointOut]


class MeasureProgressOut(Schema):
    measure: str
    name: str
    higher_is_better: bool
    min: int
    max: int | None
    series: list[SeriesOut]


class PointDayOut(Schema):
    session: int
    performed_on: date


class CourseProgressOut(Schema):
    course_id: int
    indication: str
    sessions: int
    charted: list[PointDayOut]
    measures: list[MeasureProgressOut]


# -- helpers -----------------------------------------------------------------------------------


def _photo_out(photo: Photo) -> dict[str, Any]:
    args = {"patient_id": photo.patient_id, "photo_id": photo.pk}
    return {
        "id": photo.pk,
        "chart_id": photo.chart_id,
        "course_id": photo.chart.course_id,
        "session_number": photo.chart.session_number,
        "view": photo.view,
        "phase": photo.phase,
        "width": photo.width,
        "height": photo.height,
        "taken_at": photo.taken_at,
        "image_url": reverse("api-v1:photo_image", kwargs=args),
        "thumbnail_url": reverse("api-v1:photo_thumbnail", kwargs=args),
    }


def _measure_out(m: Measure) -> dict[str, Any]:
    return {
        "key": m.key,
        "name": m.name,
        "abbreviation": m.abbreviation,
        "measures": m.measures,
        "unit": m.unit,
        "min": m.scale.min,
        "max": m.scale.max,
        "step": float(m.step),
        "higher_is_better": m.higher_is_better,
        "indications": list(m.indications),
        "every_indication": m.every_indication,
        "raters": list(m.raters),
        "labels": [{"value": lab.value, "text": lab.text} for lab in m.labels],
        "items": [
            {"key": i.key, "name": i.name, "min": i.scale.min, "max": i.scale.max} for i in m.items
        ],
        "sources": list(m.sources),
    }


def _score_out(score: OutcomeScore, chart: SessionChart) -> dict[str, Any]:
    return {
        "id": score.pk,
        "chart_id": chart.pk,
        "session_number": chart.session_number,
        "measure": score.measure,
        "rater": score.rater,
        "value": float(score.value),
        "items": dict(score.items or {}),
        "recorded_at": score.recorded_at,
    }


def _chart(patient: Patient, chart_id: int) -> SessionChart:
    chart = (
        SessionChart.objects.filter(pk=chart_id, patient=patient).select_related("course").first()
    )
    if chart is None:
        raise ApiError(404, "There is no such session chart in this record.", "chart_id")
    return chart


def _photo(patient: Patient, photo_id: int) -> Photo:
    photo = Photo.objects.filter(pk=photo_id, patient=patient).first()
    if photo is None:
        raise ApiError(404, "There is no such photo in this record.", "photo_id")
    return photo


def _served(photo: Photo, thumbnail: bool = False) -> FileResponse:
    response = photo_file(photo, thumbnail)
    if response is None:
        raise ApiError(404, "The photo file is missing.", "photo_id")
    return response


# -- photos ------------------------------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/photos",
    response={200: list[PhotoOut]},
    auth=django_auth,
)
def list_photos(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    """The patient's photos, by session, view and phase."""
    access = api_read(request, patient_id, "photos (API)")
    photos = Photo.objects.filter(patient=access.patient).select_related("chart")
    return [_photo_out(p) for p in photos]


@router.post(
    "/patients/{patient_id}/charts/{chart_id}/photos",
    response={201: PhotoOut},
    auth=django_auth,
)
def upload_photo(
    request: HttpRequest,
    patient_id: int,
    chart_id: int,
    view: Form[str],
    phase: Form[str],
    image: File[UploadedFile],
) -> Status:
    """Store a photo of a session (multipart: view, phase, image). 201; 422
    naming the field when the patient has no valid photo consent
    (``consent``), the view is not a standard one for the area, or the file
    is not a JPEG, PNG or WebP image up to 15 MB. Location and camera data
    are removed before it is stored."""
    access = api_write(request, patient_id)
    chart = _chart(access.patient, chart_id)
    try:
        photo = store_photo(chart, view, phase, image, request.user)
    except PhotoError as error:
        exc = ApiError(422, error.message, error.field)
        if error.field == "view":
            exc.extra["views"] = list(views_for_chart(chart))
        raise exc from None
    return Status(201, _photo_out(photo))


@router.get(
    "/patients/{patient_id}/photos/{photo_id}/image",
    auth=django_auth,
    url_name="photo_image",
)
def photo_image(request: HttpRequest, patient_id: int, photo_id: int) -> FileResponse:
    """The stored photo (JPEG, without metadata). Not cached."""
    access = api_read(request, patient_id, f"photo {photo_id} (API)")
    photo = _photo(access.patient, photo_id)
    return _served(photo)


@router.get(
    "/patients/{patient_id}/photos/{photo_id}/thumbnail",
    auth=django_auth,
    url_name="photo_thumbnail",
)
def photo_thumbnail(request: HttpRequest, patient_id: int, photo_id: int) -> FileResponse:
    """The photo's 320 px thumbnail (JPEG). Not cached."""
    access = api_read(request, patient_id, f"photo {photo_id} thumbnail (API)")
    photo = _photo(access.patient, photo_id)
    return _served(photo, thumbnail=True)


# -- scores ------------------------------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/charts/{chart_id}/scores",
    response={200: ChartScoresOut},
    auth=django_auth,
)
def chart_scores(request: HttpRequest, patient_id: int, chart_id: int) -> dict[str, Any]:
    """The session's scores and the measures it may be scored on."""
    access = api_read(request, patient_id, f"scores of session chart {chart_id} (API)")
    chart = _chart(access.patient, chart_id)
    return {
        "chart_id": chart.pk,
        "course_id": chart.course_id,
        "session_number": chart.session_number,
        "measures": [_measure_out(m) for m in chart_measures(chart)],
        "scores": [_score_out(s, chart) for s in OutcomeScore.objects.filter(chart=chart)],
    }


@router.post(
    "/patients/{patient_id}/charts/{chart_id}/scores",
    response={200: SavedOut},
    auth=django_auth,
)
def record_scores(
    request: HttpRequest, patient_id: int, chart_id: int, payload: ScoresIn
) -> dict[str, Any]:
    """Record scores at a session: one per measure and rater. Changing a
    recorded score is an amendment and needs ``reason``. All or nothing:
    422 with every problem, each naming its field (``scores.0.value``,
    ``scores.1.items.laxity``, ``reason``)."""
    access = api_write(request, patient_id)
    chart = _chart(access.patient, chart_id)
    entries = [Entry(s.measure, s.rater, s.value, s.items) for s in payload.scores]
    try:
        saved = save_scores(chart, entries, request.user, payload.reason)
    except ScoreError as error:
        problems = [
            {
                "field": (
                    f"scores.{p.index}.{p.problem.field}"
                    if p.entry is not None
                    else p.problem.field
                ),
                "message": p.problem.message,
            }
            for p in error.problems
        ]
        exc = ApiError(422, problems[0]["message"], problems[0]["field"])
        exc.extra["errors"] = problems
        raise exc from None
    return {
        "created": [_score_out(s, chart) for s in saved.created],
        "amended": [_score_out(s, chart) for s in saved.amended],
        "unchanged": [_score_out(s, chart) for s in saved.unchanged],
    }


@router.get(
    "/patients/{patient_id}/courses/{course_id}/progress",
    response={200: CourseProgressOut},
    auth=django_auth,
)
def progress(request: HttpRequest, patient_id: int, course_id: int) -> dict[str, Any]:
    """The course's scores per measure and rater, by session: the numbers
    the progress chart draws."""
    access = api_read(request, patient_id, f"progress of course {course_id} (API)")
    course = TreatmentCourse.objects.filter(pk=course_id, patient=access.patient).first()
    if course is None:
        raise ApiError(404, "There is no such course in this record.", "course_id")
    measures = []
    for item in course_progress(course):
        m = item.measure
        series = []
        for line in item.chart.lines:
            points = [{"session": d.session, "value": float(d.value)} for d in line.dots]
            series.append({"rater": line.rater, "points": points})
        measures.append(
            {
                "measure": m.key,
                "name": m.name,
                "higher_is_better": m.higher_is_better,
                "min": m.scale.min,
                "max": m.scale.max,
                "series": series,
            }
        )
    charted = SessionChart.objects.filter(course=course).order_by("session_number")
    return {
        "course_id": course.pk,
        "indication": course.indication,
        "sessions": course.sessions,
        "charted": [{"session": c.session_number, "performed_on": c.performed_on} for c in charted],
        "measures": measures,
    }


# -- the catalog's measures --------------------------------------------------------------------


@router.get("/measures", response={200: list[MeasureOut]})
def measures(request: HttpRequest, indication: str | None = None) -> list[dict[str, Any]]:
    """The outcome measures of the catalog (public knowledge): all, or those
    that fit ``indication`` (GAIS first). 422 for an unknown indication."""
    catalog = get_catalog()
    if indication is None:
        return [_measure_out(m) for m in catalog.measures.values()]
    if indication not in catalog.indications:
        raise ApiError(422, "There is no such indication in the catalog.", "indication")
    return [_measure_out(m) for m in measures_for(catalog, indication)]
