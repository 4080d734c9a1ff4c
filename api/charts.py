"""Session charts over JSON: list, read, chart a session, amend a chart or
one of its points, and the products and lots a clinic may chart.

The rules are those of the pages (clinical/charting.py, core/charting.py):
a session is charted only with a valid consent and a check-in screening
that allows it, with lots usable on the session day. Answers: 201 when
written, 409 when the session or appointment is already charted, 422 when
a rule is broken, each naming the field (``points.2.lot``); another
clinic's patient, course or chart is 404, front desk 403
(api/record_access.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth
from pydantic import ConfigDict, StrictInt, StrictStr

from api.errors import ApiError
from api.record_access import api_read, api_write
from clinical.access import CLINICAL_READ_ROLES
from clinical.amend import amendments_of
from clinical.charting import (
    ChartError,
    ChartValues,
    PointValues,
    amend_chart,
    amend_point,
    chart_check,
    chart_session,
    usable_products,
)
from clinical.models import Amendment, InjectionPoint, SessionChart, TreatmentCourse
from clinics.access import staff_clinic
from patients.models import Patient
from scheduling.models import Appointment

router = Router()

# The pages' names for the fields, as this API spells them.
_FIELDS = {"device": "device_id", "appointment": "appointment_id", "course": "course_id"}


def _error(error: ChartError) -> ApiError:
    field = _FIELDS.get(error.field, error.field)
    api_error = ApiError(error.status, error.message, field)
    api_error.extra["code"] = error.code
    if len(error.issues) > 1:
        api_error.extra["errors"] = [
            {"field": _FIELDS.get(i.field, i.field), "message": i.message} for i in error.issues
        ]
    return api_error


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# -- shapes ----------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class LotOut(Schema):
    id: int
    number: str
    expiry: date
    recalled: bool


class PointOut(Schema):
    id: int
    diagram: str
    x: float
    y: float
    zone: str
    product: Ref
    lot: LotOut
    volume_ml: Decimal
    depth_mm: Decimal


class IssueOut(Schema):
    field: str
    code: str
    message: str


class AmendmentOut(Schema):
    id: int
    record: Literal["chart", "point"]
    record_id: int
    changes: dict[str, Any] = Field(..., description='Each field: {"from": old, "to": new}.')
    reason: str
    amended_by: str
    amended_at: datetime


class ChartOut(Schema):
    id: int
    patient: int
    course: int
    appointment: int | None
    session_number: int
    performed_on: date
    practitioner: Ref
    consent: int = Field(..., description="The consent that allowed the session.")
    screening: int = Field(..., description="The check-in screening that allowed it.")
    area: str
    technique: str
    device: Ref | None
    needle_gauge: int | None
    needle_length_mm: Decimal | None
    depth: str
    numbing: str
    numbing_minutes: int
    procedure_minutes: int
    immediate_reactions: str
    notes: str
    charted_by: str
    charted_at: datetime


class ChartDetailOut(ChartOut):
    points: list[PointOut]
    warnings: list[IssueOut] = Field(
        ..., description="Where the chart leaves the protocol: support, never a verdict."
    )
    amendments: list[AmendmentOut]


class AmendedOut(Schema):
    amendment: AmendmentOut | None = Field(..., description="None when nothing changed.")
    chart: ChartDetailOut


class ProductOut(Schema):
    id: int
    name: str
    unit: str
    lots: list[dict[str, Any]] = Field(..., description="Usable today: id, number, expiry.")


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.username)


def _chart_fields(chart: SessionChart) -> dict[str, Any]:
    member = chart.practitioner
    return {
        "id": chart.pk,
        "patient": chart.patient_id,
        "course": chart.course_id,
        "appointment": chart.appointment_id,
        "session_number": chart.session_number,
        "performed_on": chart.performed_on,
        "practitioner": Ref(id=member.pk, name=_name(member.user)),
        "consent": chart.consent_id,
        "screening": chart.screening_id,
        "area": chart.area,
        "technique": chart.technique,
        "device": Ref(id=chart.device.pk, name=chart.device.name) if chart.device else None,
        "needle_gauge": chart.needle_gauge,
        "needle_length_mm": chart.needle_length_mm,
        "depth": chart.depth,
        "numbing": chart.numbing,
        "numbing_minutes": chart.numbing_minutes,
        "procedure_minutes": chart.procedure_minutes,
        "immediate_reactions": chart.immediate_reactions,
        "notes": chart.notes,
        "charted_by": _name(chart.charted_by),
        "charted_at": chart.charted_at,
    }


def _amendment_out(amendment: Amendment, record: str) -> AmendmentOut:
    return AmendmentOut(
        id=amendment.pk,
        record=record,  # type: ignore[arg-type]
        record_id=amendment.object_id,
        changes=amendment.changes,
        reason=amendment.reason,
        amended_by=_name(amendment.amended_by),
        amended_at=amendment.amended_at,
    )


def chart_detail_out(chart: SessionChart) -> ChartDetailOut:
    points = list(chart.points.select_related("product", "lot"))
    amendments = [_amendment_out(a, "chart") for a in amendments_of(chart)]
    for point in points:
        amendments += [_amendment_out(a, "point") for a in amendments_of(point)]
    amendments.sort(key=lambda a: (a.amended_at, a.id), reverse=True)
    return ChartDetailOut(
        **_chart_fields(chart),
        points=[
            PointOut(
                id=p.pk,
                diagram=p.diagram,
                x=p.x,
                y=p.y,
                zone=p.zone,
                product=Ref(id=p.product.pk, name=p.product.name),
                lot=LotOut(
                    id=p.lot.pk,
                    number=p.lot.number,
                    expiry=p.lot.expiry,
                    recalled=p.lot.recalled_at is not None,
                ),
                volume_ml=p.volume_ml,
                depth_mm=p.depth_mm,
            )
            for p in points
        ],
        warnings=[
            IssueOut(field=w.field, code=w.code, message=w.message)
            for w in chart_check(chart).warnings
        ],
        amendments=amendments,
    )


def _charts(patient: Patient) -> Any:
    return SessionChart.objects.filter(patient=patient).select_related(
        "practitioner__user", "device", "charted_by", "course"
    )


def _chart(patient: Patient, chart_id: int) -> SessionChart:
    chart = _charts(patient).filter(pk=chart_id).first()
    if chart is None:
        raise ApiError(404, "There is no such chart in this record.", "chart_id")
    return chart


# -- reading ---------------------------------------------------------------------------------


@router.get("/patients/{patient_id}/charts", response={200: list[ChartOut]}, auth=django_auth)
def list_charts(request: HttpRequest, patient_id: int) -> list[ChartOut]:
    """Every session charted for the patient, by course and session."""
    access = api_read(request, patient_id, "charts (API)")
    return [ChartOut(**_chart_fields(c)) for c in _charts(access.patient)]


@router.get(
    "/patients/{patient_id}/charts/{chart_id}",
    response={200: ChartDetailOut},
    auth=django_auth,
)
def get_chart(request: HttpRequest, patient_id: int, chart_id: int) -> ChartDetailOut:
    """One chart with its injection points, lots, warnings and amendments
    (each keeping the values it replaced)."""
    access = api_read(request, patient_id, f"chart {chart_id} (API)")
    return chart_detail_out(_chart(access.patient, chart_id))


# -- charting --------------------------------------------------------------------------------


class PointIn(_In):
    diagram: Literal["face", "scalp", "body"]
    x: float = Field(..., description="Across the drawing, 0 (left) to 1 (right).")
    y: float = Field(..., description="Down the drawing, 0 (top) to 1 (bottom).")
    zone: StrictStr = Field("", max_length=60)
    product: StrictInt
    lot: StrictInt
    volume_ml: Decimal
    depth_mm: Decimal


class ChartIn(_In):
    course_id: StrictInt
    appointment_id: StrictInt | None = None
    session_number: StrictInt | None = Field(
        None, description="The appointment's session when left out."
    )
    performed_on: date | None = Field(
        None, description="Without an appointment: the session day (today if left out)."
    )
    area: StrictStr | None = Field(None, description="The course's first area if left out.")
    technique: StrictStr
    device_id: StrictInt | None = None
    needle_gauge: StrictInt | None = None
    needle_length_mm: Decimal | None = None
    depth: StrictStr = Field(..., description="A catalog depth tier key.")
    numbing: StrictStr = Field("", max_length=200)
    numbing_minutes: StrictInt = 0
    procedure_minutes: StrictInt
    immediate_reactions: StrictStr = ""
    notes: StrictStr = ""
    points: list[PointIn]


@router.post(
    "/patients/{patient_id}/charts",
    response={201: ChartDetailOut},
    auth=django_auth,
)
def create_chart(request: HttpRequest, patient_id: int, payload: ChartIn) -> Status:
    """Chart a session: 201; 422 without a valid consent, with a check-in
    screening that stops the session, with a lot expired on the session day
    or recalled...; 409 when the session is already charted."""
    access = api_write(request, patient_id)
    course = TreatmentCourse.objects.filter(
        clinic=access.clinic, patient=access.patient, pk=payload.course_id
    ).first()
    if course is None:
        raise ApiError(404, "There is no such course in this record.", "course_id")
    appointment = None
    if payload.appointment_id is not None:
        appointment = Appointment.objects.filter(
            clinic=access.clinic, patient=access.patient, pk=payload.appointment_id
        ).first()
        if appointment is None:
            raise ApiError(404, "There is no such appointment for this patient.", "appointment_id")
    values = ChartValues(
        technique=payload.technique,
        depth=payload.depth,
        procedure_minutes=payload.procedure_minutes,
        area=payload.area,
        device_id=payload.device_id,
        needle_gauge=payload.needle_gauge,
        needle_length_mm=payload.needle_length_mm,
        numbing=payload.numbing,
        numbing_minutes=payload.numbing_minutes,
        immediate_reactions=payload.immediate_reactions,
        notes=payload.notes,
        performed_on=payload.performed_on,
    )
    points = [
        PointValues(
            diagram=p.diagram,
            x=p.x,
            y=p.y,
            product_id=p.product,
            lot_id=p.lot,
            volume_ml=p.volume_ml,
            depth_mm=p.depth_mm,
            zone=p.zone,
        )
        for p in payload.points
    ]
    try:
        charted = chart_session(
            course, appointment, payload.session_number, values, points, request.user
        )
    except ChartError as error:
        raise _error(error) from None
    return Status(201, chart_detail_out(_chart(access.patient, charted.chart.pk)))


# -- amendments ------------------------------------------------------------------------------


class ChartAmendIn(_In):
    reason: StrictStr = Field(..., description="Why: kept with the amendment.")
    technique: StrictStr | None = None
    device_id: StrictInt | None = None
    needle_gauge: StrictInt | None = None
    needle_length_mm: Decimal | None = None
    depth: StrictStr | None = None
    numbing: StrictStr | None = Field(None, max_length=200)
    numbing_minutes: StrictInt | None = None
    procedure_minutes: StrictInt | None = None
    immediate_reactions: StrictStr | None = None
    notes: StrictStr | None = None


class PointAmendIn(_In):
    reason: StrictStr = Field(..., description="Why: kept with the amendment.")
    diagram: Literal["face", "scalp", "body"] | None = None
    x: float | None = None
    y: float | None = None
    zone: StrictStr | None = Field(None, max_length=60)
    product: StrictInt | None = None
    lot: StrictInt | None = None
    volume_ml: Decimal | None = None
    depth_mm: Decimal | None = None


_NOT_NULL = {"technique", "depth", "numbing_minutes", "procedure_minutes"}


def _changes(payload: Schema, renames: dict[str, str]) -> dict[str, Any]:
    changes = {}
    for name in payload.model_fields_set - {"reason"}:
        value = getattr(payload, name)
        if value is None and (name in _NOT_NULL or isinstance(payload, PointAmendIn)):
            raise ApiError(422, "This field cannot be emptied.", name)
        changes[renames.get(name, name)] = value
    if not changes:
        raise ApiError(422, "Name at least one field to amend.", "body")
    return changes


def _amended(chart: SessionChart, amendment: Amendment | None, record: str) -> Status:
    chart = _chart(chart.patient, chart.pk)
    out = AmendedOut(
        amendment=_amendment_out(amendment, record) if amendment else None,
        chart=chart_detail_out(chart),
    )
    return Status(201 if amendment else 200, out)


@router.post(
    "/patients/{patient_id}/charts/{chart_id}/amendments",
    response={201: AmendedOut, 200: AmendedOut},
    auth=django_auth,
)
def amend_chart_fields(
    request: HttpRequest, patient_id: int, chart_id: int, payload: ChartAmendIn
) -> Status:
    """Amend the chart's fields, with the reason: 201 with the amendment
    (the original values kept in it), 200 when nothing changed."""
    access = api_write(request, patient_id)
    chart = _chart(access.patient, chart_id)
    changes = _changes(payload, {"device_id": "device"})
    try:
        amendment = amend_chart(chart, changes, payload.reason, request.user)
    except ChartError as error:
        raise _error(error) from None
    return _amended(chart, amendment, "chart")


@router.post(
    "/patients/{patient_id}/charts/{chart_id}/points/{point_id}/amendments",
    response={201: AmendedOut, 200: AmendedOut},
    auth=django_auth,
)
def amend_chart_point(
    request: HttpRequest, patient_id: int, chart_id: int, point_id: int, payload: PointAmendIn
) -> Status:
    """Amend one injection point (a new lot must have been usable on the
    session day): 201 with the amendment, 200 when nothing changed."""
    access = api_write(request, patient_id)
    chart = _chart(access.patient, chart_id)
    point = (
        InjectionPoint.objects.filter(chart=chart, pk=point_id)
        .select_related("chart", "product", "lot")
        .first()
    )
    if point is None:
        raise ApiError(404, "There is no such point on this chart.", "point_id")
    changes = _changes(payload, {})
    for name in ("product", "lot"):
        # Ids of another clinic's stock read as unknown, never as theirs.
        if name in changes:
            model = point._meta.get_field(name).related_model
            found = model._default_manager.filter(pk=changes[name]).first()  # type: ignore[union-attr]
            clinic_id = getattr(found, "clinic_id", None) or getattr(
                getattr(found, "product", None), "clinic_id", None
            )
            if found is None or clinic_id != access.clinic.pk:
                raise ApiError(422, f"Choose a {name} of this clinic.", name)
            changes[name] = found
    try:
        amendment = amend_point(point, changes, payload.reason, request.user)
    except ChartError as error:
        raise _error(error) from None
    return _amended(chart, amendment, "point")


# -- stock -----------------------------------------------------------------------------------


@router.get("/clinics/{slug}/products", response={200: list[ProductOut]}, auth=django_auth)
def clinic_products(request: HttpRequest, slug: str) -> list[ProductOut]:
    """The clinic's active products, each with its lots usable today (not
    recalled, not past expiry): what a chart may name."""
    try:
        clinic, _ = staff_clinic(request.user, slug, CLINICAL_READ_ROLES)
    except Http404:
        raise ApiError(404, "There is no such clinic, or you are not its staff.", "slug") from None
    except PermissionDenied:
        raise ApiError(403, "Your role may not see clinical stock.", "slug") from None
    return [ProductOut(**p) for p in usable_products(clinic.pk, clinic.today())]
