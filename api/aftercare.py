"""The aftercare sheet of a session over JSON.

GET /patients/{patient_id}/charts/{chart_id}/aftercare for staff who may
read the record (practitioners and managers; each read logged; front desk
403, other clinics' staff 404: api/record_access.py), and GET
/me/charts/{chart_id}/aftercare for the patient, their own sessions only.
The sheet is the pages' (clinical/aftercare_sheet.py): what to do and
avoid with when each timed rule ends, what is normal, when to call the
clinic (urgent first) and the sources, in the request's language, each
time also given in the clinic's local time with its zone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import get_language
from ninja import Router, Schema
from ninja.security import django_auth

from api.errors import ApiError
from api.record_access import api_read
from clinical.access import own_patient
from clinical.aftercare_sheet import SheetView, chart_sheet, find_chart
from clinics.models import Clinic
from patients.models import Patient

router = Router()

NO_CHART = "There is no such session chart for this patient."


class ClinicOut(Schema):
    name: str
    phone: str
    time_zone: str


class DoOut(Schema):
    key: str
    text: str
    hours: int | None
    ends_at: datetime | None
    until: str  # ends_at in the clinic's local time with its zone; "" when untimed
    sources: list[str]


class NormalOut(Schema):
    key: str
    name: str
    advice: str
    usual_course: str
    see_doctor: str
    sources: list[str]


class CallOut(Schema):
    key: str
    level: Literal["urgent", "call"]
    name: str
    text: str
    about: str
    sources: list[str]


class SourceOut(Schema):
    key: str
    title: str
    kind: str
    url: str


class AftercareOut(Schema):
    chart_id: int
    patient_id: int
    session_number: int
    performed_on: date
    indication: str
    indication_name: str
    area: str
    area_name: str
    actives: list[str]
    language: str
    clinic: ClinicOut
    session_end: datetime
    session_end_local: str
    do_and_avoid: list[DoOut]
    normal: list[NormalOut]
    when_to_call: list[CallOut]
    emergency: str
    sources: list[SourceOut]
    footer: str
    pdf: str


def _out(view: SheetView, pdf: str) -> AftercareOut:
    sheet = view.sheet
    return AftercareOut(
        chart_id=view.chart.pk,
        patient_id=view.patient.pk,
        session_number=view.chart.session_number,
        performed_on=view.chart.performed_on,
        indication=sheet.indication,
        indication_name=sheet.indication_name,
        area=sheet.area,
        area_name=sheet.area_name,
        actives=list(sheet.actives),
        language=get_language() or "en",
        clinic=ClinicOut(
            name=view.clinic.name, phone=view.clinic.phone, time_zone=view.clinic.time_zone
        ),
        session_end=sheet.session_end,
        session_end_local=view.session_end,
        do_and_avoid=[
            DoOut(
                key=d.key,
                text=d.text,
                hours=d.hours,
                ends_at=d.ends_at,
                until=d.until,
                sources=list(d.sources),
            )
            for d in view.do_and_avoid
        ],
        normal=[
            NormalOut(
                key=n.key,
                name=n.name,
                advice=n.advice,
                usual_course=n.course,
                see_doctor=n.see_doctor,
                sources=list(n.sources),
            )
            for n in view.normal
        ],
        when_to_call=[
            CallOut(
                key=c.key,
                level=c.level,
                name=c.name,
                text=c.text,
                about=c.about,
                sources=list(c.sources),
            )
            for c in view.call
        ],
        emergency=view.emergency,
        sources=[SourceOut(key=s.key, title=s.title, kind=s.kind, url=s.url) for s in view.sources],
        footer=view.footer,
        pdf=pdf,
    )


def _sheet(clinic: Clinic, patient: Patient, chart_id: int) -> SheetView:
    try:
        return chart_sheet(find_chart(clinic, patient, chart_id))
    except Http404:
        raise ApiError(404, NO_CHART, "chart_id") from None


@router.get(
    "/patients/{patient_id}/charts/{chart_id}/aftercare",
    response={200: AftercareOut},
    auth=django_auth,
    url_name="chart-aftercare",
)
def chart_aftercare(request: HttpRequest, patient_id: int, chart_id: int) -> AftercareOut:
    """The aftercare sheet of one session: what to do and avoid (timed rules
    with their end), what is normal, when to call the clinic, the sources."""
    access = api_read(request, patient_id, f"chart {chart_id} aftercare (API)")
    view = _sheet(access.clinic, access.patient, chart_id)
    pdf = reverse("clinical:aftercare_pdf", args=[access.clinic.slug, patient_id, chart_id])
    return _out(view, pdf)


@router.get(
    "/me/charts/{chart_id}/aftercare",
    response={200: AftercareOut},
    auth=django_auth,
    url_name="me-chart-aftercare",
)
def my_chart_aftercare(request: HttpRequest, chart_id: int) -> AftercareOut:
    """The aftercare sheet of one of your own sessions."""
    try:
        patient = own_patient(request)
    except Http404:
        raise ApiError(404, "This login has no patient record.", None) from None
    view = _sheet(patient.clinic, patient, chart_id)
    return _out(view, reverse("portal:aftercare_pdf", args=[chart_id]))
