"""The record's intake and screening pages.

- ``intake/``: the practitioner fills the intake questionnaire with the
  patient (a new row, never an edit); ``intakes/<id>/`` shows one filling.
- ``screenings/new/``: the consultation's screening for an indication and
  area, on the latest intake; ``screenings/<id>/`` shows the verdict with
  its findings and sources.
- ``sessions/<appointment_id>/check-in/``: the check-in questions asked
  again, then the screening for the session (clinical.gates reads it).
- ``screenings/<id>/override/``: a practitioner lets a session go ahead
  despite a defer or not-eligible verdict, with a written reason.

Reads go through record_context (logged), changes through write_record
(practitioners only); front desk gets 403, other clinics' staff 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinical.models import ScreeningRecord
from clinical.screen import (
    STOPPING,
    VERDICT_LABELS,
    ScreenError,
    appointment_day,
    check_in,
    check_in_questions,
    consultation,
    course_of,
    earliest_date,
    override,
    shown_findings,
)
from clinical.screening_forms import CheckInForm, ConsultationForm, OverrideForm, open_courses
from clinical.views.record import record_context, write_context
from core import intake as codec
from core.screening import ScreeningInputError
from mesoclinic.catalog import get_catalog
from patients.forms import IntakeForm
from patients.intake import answer_rows, form_initial, latest_intake, new_intake
from patients.models import Intake
from scheduling.models import Appointment

# -- intake -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def intake_new(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    context = write_context(request, slug, patient_id)
    patient = context["patient"]
    catalog = get_catalog()
    today = context["clinic"].today()
    if request.method != "POST":
        latest = latest_intake(patient)
        initial = form_initial(catalog, latest.answers) if latest else {}
        if latest:
            initial.update(
                medical_history=latest.medical_history,
                other_medicines=latest.other_medicines,
                allergies=latest.allergies,
            )
        context["form"] = IntakeForm(catalog, today, initial=initial)
        return render(request, "clinical/screening/intake_form.html", context)
    form = IntakeForm(catalog, today, request.POST)
    if not form.is_valid():
        context["form"] = form
        return render(request, "clinical/screening/intake_form.html", context, status=400)
    new_intake(
        patient,
        codec.encode(form.answers()),
        via=Intake.Via.STAFF,
        by=request.user,
        **form.texts(),
    )
    messages.success(request, gettext("Intake saved."))
    return redirect("clinical:record", context["clinic"].slug, patient.pk)


@login_required
@require_GET
def intake_detail(request: HttpRequest, slug: str, patient_id: int, intake_id: int) -> HttpResponse:
    context = record_context(request, slug, patient_id, "intake")
    intake = Intake.objects.filter(patient=context["patient"], pk=intake_id).first()
    if intake is None:
        raise Http404("No such intake.")
    try:
        rows = answer_rows(get_catalog(), intake.answers)
    except ValueError:
        rows = []
    context.update(intake=intake, rows=rows)
    return render(request, "clinical/screening/intake.html", context)


# -- screenings ---------------------------------------------------------------


def _shown(record: ScreeningRecord) -> dict[str, Any]:
    return {
        "record": record,
        "verdict_label": VERDICT_LABELS.get(record.verdict, record.verdict),
        "findings": shown_findings(get_catalog(), record.findings),
        "earliest_date": earliest_date(record),
        "stoppable": record.verdict in STOPPING,
    }


@login_required
@require_http_methods(["GET", "POST"])
def screen_new(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    context = write_context(request, slug, patient_id)
    patient, clinic = context["patient"], context["clinic"]
    catalog = get_catalog()
    context["latest"] = latest_intake(patient)
    if request.method != "POST":
        initial = {"planned_date": clinic.today()}
        context["form"] = ConsultationForm(catalog, patient.pk, initial=initial)
        return render(request, "clinical/screening/screen_form.html", context)
    form = ConsultationForm(catalog, patient.pk, request.POST)
    context["form"] = form
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = consultation(
                patient=patient,
                by=request.user,
                indication=data["indication"],
                area=data["area"],
                planned_date=data["planned_date"],
                protocol=data["protocol"] or None,
                course=data["course"],
            )
        except ScreenError as exc:
            form.add_refusal(exc)
        else:
            return redirect("clinical:screening", clinic.slug, patient.pk, record.pk)
    return render(request, "clinical/screening/screen_form.html", context, status=400)


def _record(patient: Any, screening_id: int) -> ScreeningRecord:
    record = (
        ScreeningRecord.objects.filter(patient=patient, pk=screening_id)
        .select_related("screened_by", "overridden_by", "intake", "course", "appointment")
        .first()
    )
    if record is None:
        raise Http404("No such screening.")
    return record


@login_required
@require_GET
def screening_detail(
    request: HttpRequest, slug: str, patient_id: int, screening_id: int
) -> HttpResponse:
    context = record_context(request, slug, patient_id, "screening")
    record = _record(context["patient"], screening_id)
    context.update(_shown(record), override_form=OverrideForm())
    return render(request, "clinical/screening/screening.html", context)


@login_required
@require_POST
def screening_override(
    request: HttpRequest, slug: str, patient_id: int, screening_id: int
) -> HttpResponse:
    context = write_context(request, slug, patient_id)
    record = _record(context["patient"], screening_id)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            override(record, form.cleaned_data["reason"], request.user)
        except ScreenError as exc:
            for problem in exc.problems:
                form.add_error("reason" if problem.field == "reason" else None, problem.message)
            status = exc.status
        else:
            messages.success(request, gettext("Override recorded, with its reason."))
            clinic, patient = context["clinic"], context["patient"]
            return redirect("clinical:screening", clinic.slug, patient.pk, record.pk)
    else:
        status = 422
    context.update(_shown(record), override_form=form)
    return render(request, "clinical/screening/screening.html", context, status=status)


# -- check-in -----------------------------------------------------------------


def _check_in_form(appointment: Appointment, data: Any = None) -> CheckInForm:
    """The check-in form for this session: the questions asked again for
    each area of its course, the medicines and dates as last answered."""
    catalog = get_catalog()
    patient = appointment.patient
    course = course_of(appointment)
    courses = None if course is not None else open_courses(patient.pk)
    if course is not None:
        treatments = [(course.indication, a, course.protocol) for a in course.areas]
        areas = list(course.areas)
    else:
        treatments = [(c.indication, a, c.protocol) for c in courses for a in c.areas]
        areas = list(dict.fromkeys(a for _, a, _ in treatments))
    questions: set[str] = set()
    for indication, area, protocol in treatments:
        try:
            questions.update(q.key for q in check_in_questions(catalog, indication, area, protocol))
        except ScreeningInputError:
            continue
    latest = latest_intake(patient)
    initial: dict[str, Any] = {}
    if latest is not None:
        kept = form_initial(catalog, latest.answers)
        # Medicines and dates stay as last answered unless changed; the
        # yes/no questions and the infection areas are asked afresh.
        initial = {
            k: v
            for k, v in kept.items()
            if k.startswith("medicine_")
            or (k in catalog.questions and catalog.questions[k].kind == "date")
        }
    service_area = appointment.service.area
    if service_area in areas:
        initial["area"] = service_area
    if courses is not None:
        # The open course of the appointment's indication is the likely one.
        likely = [c for c in courses if c.indication == appointment.service.indication]
        likely = likely or list(courses)
        if len(likely) == 1:
            initial["course"] = likely[0].pk
    area_choices = [(a, gettext(catalog.areas[a].name)) for a in areas if a in catalog.areas]
    return CheckInForm(
        catalog,
        appointment.clinic.today(),
        data,
        initial=initial,
        questions=questions,
        areas=area_choices,
        courses=courses,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_check_in(
    request: HttpRequest, slug: str, patient_id: int, appointment_id: int
) -> HttpResponse:
    context = write_context(request, slug, patient_id)
    patient, clinic = context["patient"], context["clinic"]
    appointment = (
        Appointment.objects.filter(pk=appointment_id, patient=patient, clinic=clinic)
        .select_related("service", "clinic", "patient__clinic")
        .first()
    )
    if appointment is None:
        raise Http404("No such appointment.")
    context.update(appointment=appointment, day=appointment_day(appointment))
    context["course"] = course_of(appointment)
    # Without a treatment course there is nothing to screen the session for.
    context["no_course"] = context["course"] is None and not open_courses(patient.pk).exists()
    if request.method != "POST":
        context["form"] = _check_in_form(appointment)
        return render(request, "clinical/screening/check_in.html", context)
    form = _check_in_form(appointment, request.POST)
    context["form"] = form
    if form.is_valid():
        try:
            with transaction.atomic():
                record = check_in(
                    appointment=appointment,
                    by=request.user,
                    answers=form.answers(),
                    area=form.cleaned_data["area"],
                    course=form.cleaned_data.get("course"),
                )
        except ScreenError as exc:
            form.add_refusal(exc)
        else:
            return redirect("clinical:screening", clinic.slug, patient.pk, record.pk)
    return render(request, "clinical/screening/check_in.html", context, status=400)


urlpatterns = [
    path("intake/", intake_new, name="intake_new"),
    path("intakes/<int:intake_id>/", intake_detail, name="intake"),
    path("screenings/new/", screen_new, name="screen"),
    path("screenings/<int:screening_id>/", screening_detail, name="screening"),
    path("screenings/<int:screening_id>/override/", screening_override, name="override"),
    path("sessions/<int:appointment_id>/check-in/", session_check_in, name="check_in"),
]
