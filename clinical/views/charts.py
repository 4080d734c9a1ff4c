"""Session charts: chart a session, read a chart, print it, amend it.

Pages under /staff/<clinic>/patients/<id>/record/charts/. Practitioners
chart and amend; managers read and print; front desk is refused (403) and
other clinics' staff find nothing (404), as for the whole record
(clinical/access.py). Charting asks clinical.gates first and shows what
blocks the session before anything is typed; the rules themselves live in
clinical/charting.py and core/charting.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from clinical import gates
from clinical.access import write_record
from clinical.amend import amendments_of
from clinical.chart_forms import (
    PLAIN_ROWS,
    AmendChartForm,
    AmendPointForm,
    ChartForm,
    FieldError,
    drawing_for,
    points_from_json,
    points_from_rows,
)
from clinical.charting import (
    ChartError,
    ChartValues,
    amend_chart,
    amend_point,
    chart_check,
    chart_session,
    session_day,
    usable_products,
)
from clinical.diagrams import DRAWINGS, map_points, zones_json
from clinical.models import InjectionPoint, SessionChart, TreatmentCourse
from clinical.views.record import record_context, write_context
from clinics.models import Device
from core.catalog.model import Catalog
from mesoclinic.catalog import get_catalog
from scheduling.models import Appointment
from stock.models import Lot, Product


def _read(request: HttpRequest, slug: str, patient_id: int, what: str) -> dict[str, Any]:
    return record_context(request, slug, patient_id, what)


def _write(request: HttpRequest, slug: str, patient_id: int, what: str) -> dict[str, Any]:
    """The context of a page that changes the record: a GET is a logged
    read by a practitioner; a POST is a write (practitioners only)."""
    if request.method == "POST":
        return write_context(request, slug, patient_id)
    # Refused before the read is logged: a manager never saw the form.
    write_record(request.user, slug, patient_id)
    return _read(request, slug, patient_id, what)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _chart(context: dict[str, Any], chart_id: int) -> SessionChart:
    chart = (
        SessionChart.objects.filter(
            clinic=context["clinic"], patient=context["patient"], pk=chart_id
        )
        .select_related(
            "course",
            "practitioner__user",
            "device",
            "consent__text",
            "consent__witnessed_by",
            "screening__screened_by",
            "screening__overridden_by",
            "charted_by",
            "appointment",
        )
        .first()
    )
    if chart is None:
        raise Http404("No such chart.")
    return chart


# -- what blocks a session -----------------------------------------------------------------


def _fix_link(
    field: str, slug: str, course: TreatmentCourse, appointment: Appointment | None
) -> str:
    """Where the blocker is put right: the course's consent, the
    appointment's check-in (where the patient is re-screened), the course;
    the hub's section when there is no such page."""
    patient_id = course.patient_id
    if field == "consent":
        name, args, section = "clinical:course_consent", [course.pk], "consents"
    elif field == "screening" and appointment is not None:
        name, args, section = "clinical:check_in", [appointment.pk], "screenings"
    elif field == "screening":
        # A check-in screening is run from an appointment's check-in.
        return reverse("clinical:record", args=[slug, patient_id]) + "#screenings"
    else:
        name, args, section = "clinical:course", [course.pk], "courses"
    try:
        url = reverse(name, args=[slug, patient_id, *args])
    except NoReverseMatch:
        return reverse("clinical:record", args=[slug, patient_id]) + f"#{section}"
    return url


def _blockers(
    course: TreatmentCourse, appointment: Appointment | None, day: date, slug: str
) -> list[dict[str, str]]:
    return [
        {
            "code": b.code,
            "field": b.field,
            "message": gettext(b.message),
            "link": _fix_link(b.field, slug, course, appointment),
        }
        for b in gates.session_blockers(course, appointment, day)
    ]


# -- chart a session -----------------------------------------------------------------------


def _next_session(course: TreatmentCourse) -> int:
    done = set(SessionChart.objects.filter(course=course).values_list("session_number", flat=True))
    return next((n for n in range(1, course.sessions + 1) if n not in done), course.sessions)


def _plain_rows(data: Any) -> list[dict[str, Any]]:
    rows = []
    for i in range(PLAIN_ROWS):
        rows.append(
            {
                "i": i,
                "n": i + 1,
                **{
                    k: (data.get(f"row-{i}-{k}") or "") if data else ""
                    for k in ("zone", "product", "lot", "volume_ml", "depth_mm")
                },
            }
        )
    return rows


def _area_links(course: TreatmentCourse, catalog: Catalog, request: HttpRequest) -> list[Any]:
    query = request.GET.copy()
    links = []
    for area in course.areas:
        query["area"] = area
        found = catalog.areas.get(area)
        links.append(
            {
                "key": area,
                "name": gettext(found.name) if found else area,
                "query": query.urlencode(),
            }
        )
    return links


@login_required
@require_http_methods(["GET", "POST"])
def chart_new(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    context = _write(request, slug, patient_id, "chart a session")
    clinic, patient = context["clinic"], context["patient"]
    course = TreatmentCourse.objects.filter(
        clinic=clinic, patient=patient, pk=_int(request.GET.get("course"))
    ).first()
    if course is None:
        raise Http404("No such course.")
    appointment = None
    if request.GET.get("appointment"):
        appointment = Appointment.objects.filter(
            clinic=clinic, patient=patient, pk=_int(request.GET.get("appointment"))
        ).first()
        if appointment is None:
            raise Http404("No such appointment.")
    catalog = get_catalog()
    protocol = catalog.protocols.get(course.protocol)
    area = request.POST.get("area") or request.GET.get("area") or course.areas[0]
    if area not in course.areas:
        area = course.areas[0]
    drawing = drawing_for(catalog, area)
    day = session_day(course, appointment)
    initial = {
        "session_number": (appointment.session_number if appointment else None)
        or _next_session(course),
        "area": area,
        "performed_on": day,
        "technique": course.technique,
        "depth": protocol.depth[0] if protocol and protocol.depth else None,
        "device": appointment.device_id if appointment else None,
        "numbing_minutes": 0,
        "procedure_minutes": protocol.procedure_minutes.min if protocol else None,
    }
    form = ChartForm(
        request.POST or None,
        initial=initial,
        clinic=clinic,
        catalog=catalog,
        protocol=protocol,
    )
    errors: list[FieldError] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            if data["points"].strip():
                points, errors = points_from_json(data["points"])
            else:
                points, errors = points_from_rows(request.POST, drawing)
            if not errors:
                values = ChartValues(
                    technique=data["technique"],
                    depth=data["depth"],
                    procedure_minutes=data["procedure_minutes"],
                    area=data["area"],
                    device_id=data["device"].pk if data["device"] else None,
                    needle_gauge=data["needle_gauge"],
                    needle_length_mm=data["needle_length_mm"],
                    numbing=data["numbing"],
                    numbing_minutes=data["numbing_minutes"],
                    immediate_reactions=data["immediate_reactions"],
                    notes=data["notes"],
                    performed_on=data["performed_on"],
                )
                try:
                    charted = chart_session(
                        course,
                        appointment,
                        data["session_number"],
                        values,
                        points,
                        request.user,
                    )
                except ChartError as error:
                    status = error.status
                    errors = [FieldError(i.field, gettext(i.message)) for i in error.issues]
                else:
                    messages.success(
                        request,
                        gettext("Session %(n)s charted.") % {"n": charted.chart.session_number},
                    )
                    return redirect("clinical:chart", clinic.slug, patient.pk, charted.chart.pk)
    context.update(
        course=course,
        appointment=appointment,
        protocol=protocol,
        area=area,
        area_links=_area_links(course, catalog, request) if len(course.areas) > 1 else [],
        drawing=drawing,
        map_id="injection-map",
        map_points=[],
        blockers=_blockers(course, appointment, day, clinic.slug),
        form=form,
        errors=errors,
        rows=_plain_rows(request.POST if request.method == "POST" else None),
        products=usable_products(clinic.pk, day),
        zones=zones_json(),
        devices=Device.objects.filter(clinic=clinic).order_by("name"),
    )
    context["lot_choices"] = [
        (p, [(lot["id"], lot_label_plain(p, lot)) for lot in p["lots"]])
        for p in context["products"]
    ]
    return render(request, "clinical/charts/new.html", context, status=status)


def lot_label_plain(product: dict[str, Any], lot: dict[str, Any]) -> str:
    return gettext("%(product)s, lot %(number)s (expires %(expiry)s)") % {
        "product": product["name"],
        "number": lot["number"],
        "expiry": lot["expiry"],
    }


# -- reading a chart -----------------------------------------------------------------------


@dataclass
class AmendmentView:
    id: int
    what: str
    at: datetime
    by: str
    reason: str
    changes: list[tuple[str, str, str]]  # label, from, to


_LABELS = {
    "technique": "Technique",
    "device": "Device",
    "needle_gauge": "Needle gauge",
    "needle_length_mm": "Needle length (mm)",
    "depth": "Depth",
    "numbing": "Numbing used",
    "numbing_minutes": "Numbing time (minutes)",
    "procedure_minutes": "Procedure time (minutes)",
    "immediate_reactions": "Immediate reactions",
    "notes": "Notes",
    "zone": "Zone",
    "product": "Product",
    "lot": "Lot",
    "volume_ml": "Volume (ml)",
    "depth_mm": "Depth (mm)",
    "x": "Across",
    "y": "Down",
    "diagram": "Drawing",
}


def _shown(name: str, value: Any, catalog: Catalog) -> str:
    """A stored amendment value as a reader wants it (names, not ids)."""
    if value is None or value == "":
        return "—"
    if name == "device":
        device = Device.objects.filter(pk=value).first()
        return str(device) if device else str(value)
    if name == "lot":
        lot = Lot.objects.filter(pk=value).select_related("product").first()
        return f"{lot.number} ({gettext('expires')} {lot.expiry:%Y-%m-%d})" if lot else str(value)
    if name == "product":
        product = Product.objects.filter(pk=value).first()
        return str(product) if product else str(value)
    if name == "technique" and value in catalog.techniques:
        return gettext(catalog.techniques[value].name)
    if name == "depth" and value in catalog.depth_tiers:
        return gettext(catalog.depth_tiers[value].name)
    return str(value)


def _amendments(chart: SessionChart, points: list[InjectionPoint]) -> list[AmendmentView]:
    catalog = get_catalog()
    found = []
    records: list[tuple[str, Any]] = [(gettext("Chart"), chart)]
    records += [(gettext("Point %(n)s") % {"n": n}, p) for n, p in enumerate(points, start=1)]
    for what, record in records:
        for amendment in amendments_of(record):
            user = amendment.amended_by
            found.append(
                AmendmentView(
                    id=amendment.pk,
                    what=what,
                    at=amendment.amended_at,
                    by=user.get_full_name() or user.username,
                    reason=amendment.reason,
                    changes=[
                        (
                            gettext(_LABELS.get(name, name)),
                            _shown(name, change["from"], catalog),
                            _shown(name, change["to"], catalog),
                        )
                        for name, change in amendment.changes.items()
                    ],
                )
            )
    found.sort(key=lambda a: (a.at, a.id), reverse=True)
    return found


def _chart_context(context: dict[str, Any], chart: SessionChart) -> dict[str, Any]:
    catalog = get_catalog()
    points = list(chart.points.select_related("product", "lot"))
    drawing = drawing_for(catalog, chart.area)
    check = chart_check(chart)
    technique = catalog.techniques.get(chart.technique)
    depth = catalog.depth_tiers.get(chart.depth)
    area = catalog.areas.get(chart.area)
    protocol = catalog.protocols.get(chart.course.protocol)
    rows = []
    for n, point in enumerate(points, start=1):
        on = DRAWINGS.get(point.diagram, drawing)
        rows.append(
            {
                "n": n,
                "point": point,
                "zone": on.zone_label(point.zone) if point.zone else "",
                "drawing": on.label,
            }
        )
    context.update(
        chart=chart,
        course=chart.course,
        points=rows,
        drawing=drawing,
        map_id="chart-map",
        map_points=map_points(drawing, points),
        technique_name=gettext(technique.name) if technique else chart.technique,
        depth_name=(
            f"{gettext(depth.name)} ({depth.depth_mm.min:g}-{depth.depth_mm.max:g} mm)"
            if depth
            else chart.depth
        ),
        area_name=gettext(area.name) if area else chart.area,
        protocol=protocol,
        warnings=[gettext(w.message) for w in check.warnings],
        later_errors=[gettext(e.message) for e in check.errors],
        amendments=_amendments(chart, points),
        total_ml=sum((p.volume_ml for p in points), start=0),
        versions=chart.history.count(),  # type: ignore[attr-defined]
    )
    return context


@login_required
@require_GET
def chart_detail(request: HttpRequest, slug: str, patient_id: int, chart_id: int) -> HttpResponse:
    context = _read(request, slug, patient_id, f"chart {chart_id}")
    chart = _chart(context, chart_id)
    return render(request, "clinical/charts/detail.html", _chart_context(context, chart))


@login_required
@require_GET
def chart_print(request: HttpRequest, slug: str, patient_id: int, chart_id: int) -> HttpResponse:
    context = _read(request, slug, patient_id, f"chart {chart_id} (print)")
    chart = _chart(context, chart_id)
    context = _chart_context(context, chart)
    context["printed_at"] = timezone.now()
    return render(request, "clinical/charts/print.html", context)


# -- amendments ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def chart_amend(request: HttpRequest, slug: str, patient_id: int, chart_id: int) -> HttpResponse:
    context = _write(request, slug, patient_id, f"amend chart {chart_id}")
    chart = _chart(context, chart_id)
    catalog = get_catalog()
    form = AmendChartForm(
        request.POST or None,
        chart=chart,
        clinic=context["clinic"],
        catalog=catalog,
        protocol=catalog.protocols.get(chart.course.protocol),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("reason")
            try:
                amendment = amend_chart(chart, data, reason, request.user)
            except ChartError as error:
                status = error.status
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request,
                    gettext("Chart amended.")
                    if amendment
                    else gettext("Nothing was changed, so no amendment was written."),
                )
                return redirect("clinical:chart", context["clinic"].slug, patient_id, chart.pk)
    context.update(chart=chart, form=form)
    return render(request, "clinical/charts/amend.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def point_amend(
    request: HttpRequest, slug: str, patient_id: int, chart_id: int, point_id: int
) -> HttpResponse:
    context = _write(request, slug, patient_id, f"amend chart {chart_id}")
    chart = _chart(context, chart_id)
    point = chart.points.select_related("product", "lot").filter(pk=point_id).first()
    if point is None:
        raise Http404("No such point.")
    number = list(chart.points.values_list("pk", flat=True)).index(point.pk) + 1
    form = AmendPointForm(request.POST or None, point=point)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("reason")
            try:
                amendment = amend_point(point, data, reason, request.user)
            except ChartError as error:
                status = error.status
                for issue in error.issues:
                    form.add_error(
                        issue.field if issue.field in form.fields else None, issue.message
                    )
            else:
                messages.success(
                    request,
                    gettext("Point %(n)s amended.") % {"n": number}
                    if amendment
                    else gettext("Nothing was changed, so no amendment was written."),
                )
                return redirect("clinical:chart", context["clinic"].slug, patient_id, chart.pk)
    context.update(chart=chart, point=point, number=number, form=form)
    return render(request, "clinical/charts/amend_point.html", context, status=status)


urlpatterns = [
    path("charts/new/", chart_new, name="chart_new"),
    path("charts/<int:chart_id>/", chart_detail, name="chart"),
    path("charts/<int:chart_id>/print/", chart_print, name="chart_print"),
    path("charts/<int:chart_id>/amend/", chart_amend, name="chart_amend"),
    path("charts/<int:chart_id>/points/<int:point_id>/amend/", point_amend, name="point_amend"),
]
