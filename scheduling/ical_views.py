"""Calendar files and feeds over HTTP; ``scheduling.ical`` builds them.

The practitioner's feed needs no login (calendar apps cannot log in): its
secret token is the credential, so an unknown token, an inactive membership
or a role other than practitioner all answer 404. Every answer holds patient
data: none is cached by shared caches or indexed.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from icalendar import Calendar

from clinics.access import staff_clinic
from clinics.models import Clinic, Role
from patients.models import Patient
from scheduling import ical
from scheduling.models import Appointment, CalendarFeed


def _ics(calendar: Calendar, *, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    if filename is not None:
        response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _calendar_url(request: HttpRequest, clinic: Clinic) -> str:
    return request.build_absolute_uri(f"/staff/{clinic.slug}/calendar/")


@require_safe
def practitioner_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Two queries: the feed with its practitioner, then the appointments."""
    feed = (
        CalendarFeed.objects.filter(token=token, staff__active=True, staff__role=Role.PRACTITIONER)
        .select_related("staff__clinic", "staff__user")
        .first()
    )
    if feed is None:
        raise Http404("No such calendar.")
    staff = feed.staff
    now = timezone.now()
    # A calendar app's request says nothing useful about language: the
    # clinic's own is the practitioner's working one.
    with translation.override(staff.clinic.language):
        calendar = ical.practitioner_calendar(
            staff,
            ical.practitioner_appointments(staff, now),
            calendar_url=_calendar_url(request, staff.clinic),
            now=now,
        )
    return _ics(calendar)


def _feed_url(request: HttpRequest, feed: CalendarFeed) -> str:
    return request.build_absolute_uri(reverse("ical:practitioner_feed", args=[feed.token]))


@login_required
@never_cache
@require_safe
def feed_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The practitioner's subscription address, made on the first visit."""
    clinic, member = staff_clinic(request.user, slug, roles={Role.PRACTITIONER})
    feed, _ = CalendarFeed.objects.get_or_create(staff=member)
    url = _feed_url(request, feed)
    return render(
        request,
        "scheduling/calendar_feed.html",
        {
            "clinic": clinic,
            "member": member,
            "feed_url": url,
            "webcal_url": "webcal://" + url.split("://", 1)[1],
        },
    )


@login_required
@require_POST
def regenerate_feed(request: HttpRequest, slug: str) -> HttpResponse:
    """A new secret address; the old one stops working at once."""
    clinic, member = staff_clinic(request.user, slug, roles={Role.PRACTITIONER})
    CalendarFeed.objects.update_or_create(staff=member, defaults={"token": secrets.token_urlsafe()})
    messages.success(
        request,
        gettext(
            "Your calendar has a new address. The old one no longer works: "
            "subscribe to the new one in your calendar app."
        ),
    )
    return redirect("ical:feed_page", slug=clinic.slug)


def _file_name(appointment: Appointment) -> str:
    return f"appointment-{appointment.pk}.ics"


@login_required
@require_safe
def staff_appointment_file(request: HttpRequest, slug: str, appointment_id: int) -> HttpResponse:
    """One booking for a staff member's calendar, as little about the
    patient as the feed gives."""
    clinic, _ = staff_clinic(request.user, slug)
    appointment = get_object_or_404(
        ical.with_revisions(
            Appointment.objects.select_related("clinic", "service", "room", "patient")
        ),
        pk=appointment_id,
        clinic=clinic,
    )
    event = ical.staff_event(
        appointment, calendar_url=_calendar_url(request, clinic), now=timezone.now()
    )
    return _ics(ical.one_appointment(appointment, event), filename=_file_name(appointment))


def _patient(request: HttpRequest) -> Patient:
    """The logged-in user's patient record; 404 for a user who has none."""
    patient: Patient | None = getattr(request.user, "patient", None)
    if patient is None:
        raise Http404("No patient record.")
    return patient


@login_required
@require_safe
def patient_appointment_file(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """One of the patient's own appointments, in full; anyone else's is 404."""
    patient = _patient(request)
    appointment = get_object_or_404(
        ical.with_revisions(
            Appointment.objects.select_related("clinic", "service", "room", "practitioner__user")
        ),
        pk=appointment_id,
        patient=patient,
    )
    event = ical.patient_event(appointment, now=timezone.now())
    return _ics(ical.one_appointment(appointment, event), filename=_file_name(appointment))


@login_required
@require_safe
def patient_calendar(request: HttpRequest) -> HttpResponse:
    """The patient's appointments from a month ago on, as one file."""
    patient = _patient(request)
    now = timezone.now()
    calendar = ical.patient_calendar(patient, ical.patient_appointments(patient, now), now=now)
    return _ics(calendar, filename="appointments.ics")
