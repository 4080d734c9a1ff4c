"""Patients' pages: staff (list, new, details, edit) and the patient's own
intake questionnaire under /my/intake/.

Every member of staff (front desk included) sees and edits demographics and
contacts here; the clinical record is elsewhere (clinical/views), behind
clinical.access. Changes are attributed by django-simple-history (the
request's user) with a reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from clinical.access import CLINICAL_READ_ROLES, CLINICAL_WRITE_ROLES, own_patient
from clinics.access import staff_clinic
from clinics.models import Clinic
from core import intake as codec
from mesoclinic.catalog import get_catalog
from patients.forms import IntakeForm, PatientForm, PatientSearchForm
from patients.intake import answer_rows, form_initial, latest_intake, new_intake
from patients.models import Intake, Patient
from scheduling.models import Appointment, Status

PAGE_SIZE = 50


def _patient(clinic: Clinic, patient_id: int) -> Patient:
    patient = Patient.objects.filter(clinic=clinic, pk=patient_id).first()
    if patient is None:
        raise Http404("No such patient.")
    return patient


def search(clinic: Clinic, query: str) -> QuerySet[Patient]:
    """The clinic's patients matching every word of ``query`` in a name,
    the phone number or the email address."""
    found = Patient.objects.filter(clinic=clinic)
    for word in query.split():
        found = found.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(phone__icontains=word)
            | Q(email__icontains=word)
        )
    return found.order_by("last_name", "first_name", "pk")


@login_required
@require_GET
def patient_list(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    form = PatientSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page = Paginator(search(clinic, query), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"clinic": clinic, "member": member, "form": form, "query": query, "page": page}
    return render(request, "patients/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def patient_new(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    form = PatientForm(request.POST or None, today=clinic.today())
    if request.method == "POST" and form.is_valid():
        patient = form.save(commit=False)
        patient.clinic = clinic
        patient._change_reason = "New patient"
        patient.save()
        messages.success(request, gettext("Patient added."))
        return redirect("patients:detail", clinic.slug, patient.pk)
    status = 400 if request.method == "POST" else 200
    context = {"clinic": clinic, "member": member, "form": form}
    return render(request, "patients/edit.html", context, status=status)


@login_required
@require_GET
def patient_detail(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    patient = _patient(clinic, patient_id)
    upcoming = (
        Appointment.objects.filter(patient=patient, starts_at__gte=timezone.now())
        .exclude(status__in=[Status.CANCELLED, Status.NO_SHOW])
        .select_related("service", "practitioner__user", "room")
        .order_by("starts_at")[:20]
    )
    context: dict[str, Any] = {
        "clinic": clinic,
        "member": member,
        "patient": patient,
        "upcoming": upcoming,
        "can_read_record": member.role in CLINICAL_READ_ROLES,
        "can_write_record": member.role in CLINICAL_WRITE_ROLES,
    }
    return render(request, "patients/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, slug: str, patient_id: int) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    patient = _patient(clinic, patient_id)
    form = PatientForm(request.POST or None, instance=patient, today=clinic.today())
    if request.method == "POST" and form.is_valid():
        if form.has_changed():
            with transaction.atomic():
                changed = form.save(commit=False)
                changed._change_reason = "Details edited"
                changed.save()
            messages.success(request, gettext("Details saved."))
        return redirect("patients:detail", clinic.slug, patient.pk)
    status = 400 if request.method == "POST" else 200
    context = {"clinic": clinic, "member": member, "form": form, "patient": patient}
    return render(request, "patients/edit.html", context, status=status)


# -- the patient's own intake (/my/intake/) --------------------------------


def _rows(intake: Intake | None) -> list[Any]:
    if intake is None:
        return []
    try:
        return answer_rows(get_catalog(), intake.answers)
    except ValueError:
        return []


@login_required
@require_GET
def my_intake(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    latest = latest_intake(patient)
    context = {"patient": patient, "latest": latest, "rows": _rows(latest)}
    return render(request, "patients/my_intake.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def my_intake_new(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    catalog = get_catalog()
    today = patient.clinic.today()
    latest = latest_intake(patient)
    if request.method != "POST":
        initial = form_initial(catalog, latest.answers) if latest else {}
        if latest:
            initial.update(
                medical_history=latest.medical_history,
                other_medicines=latest.other_medicines,
                allergies=latest.allergies,
            )
        form = IntakeForm(catalog, today, initial=initial)
        return render(request, "patients/my_intake_form.html", {"form": form, "patient": patient})
    form = IntakeForm(catalog, today, request.POST)
    if form.is_valid():
        new_intake(
            patient,
            codec.encode(form.answers()),
            via=Intake.Via.PORTAL,
            by=request.user,
            **form.texts(),
        )
        messages.success(
            request, gettext("Thank you. Your practitioner will go through your answers with you.")
        )
        return redirect("intake:mine")
    context = {"form": form, "patient": patient}
    return render(request, "patients/my_intake_form.html", context, status=400)
