"""What must be true before a session starts, in one place.

A session may start (be charted) only when:

- its course is planned or active (not stopped or completed);
- the patient has a valid consent for the course: signed (typed name and a
  drawn signature, witnessed) and not withdrawn;
- the screening run at this session's check-in, on the patient's latest
  answers, does not stop it: a ``defer`` or ``not_eligible`` verdict stops
  the session unless a practitioner has overridden it with a written reason.

The charting page and API ask ``session_blockers``; an empty list means the
session may go ahead, and the chart keeps which consent and screening
allowed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinical.models import Consent, ConsentText, ScreeningRecord, TreatmentCourse
from patients.models import Patient
from scheduling.models import Appointment


@dataclass(frozen=True)
class Blocker:
    code: str
    field: str
    message: str


def valid_consent(course: TreatmentCourse) -> Consent | None:
    """The course's latest signed, not withdrawn, treatment consent; None
    when there is none (never signed, or withdrawn)."""
    return (
        Consent.objects.filter(
            course=course, text__kind=ConsentText.Kind.TREATMENT, withdrawn_at__isnull=True
        )
        .order_by("-signed_at", "-pk")
        .first()
    )


def photo_consent(patient: Patient) -> Consent | None:
    """The patient's valid consent to clinical photographs, or None."""
    return (
        Consent.objects.filter(
            patient=patient, text__kind=ConsentText.Kind.PHOTOS, withdrawn_at__isnull=True
        )
        .order_by("-signed_at", "-pk")
        .first()
    )


def session_screening(
    course: TreatmentCourse, appointment: Appointment | None, day: date
) -> ScreeningRecord | None:
    """The latest check-in screening for this session: of the appointment
    when there is one, else of the course on ``day``. None when the patient
    was not re-screened at check-in."""
    records = ScreeningRecord.objects.filter(
        course=course, occasion=ScreeningRecord.Occasion.CHECK_IN
    )
    if appointment is not None:
        records = records.filter(appointment=appointment)
    else:
        records = records.filter(planned_date=day)
    return records.order_by("-screened_at", "-pk").first()


def session_blockers(
    course: TreatmentCourse, appointment: Appointment | None, day: date
) -> list[Blocker]:
    """Why the session of ``course`` on ``day`` may not start; [] when it may."""
    blockers = []
    if course.status in (TreatmentCourse.Status.STOPPED, TreatmentCourse.Status.COMPLETED):
        blockers.append(
            Blocker(
                "course_closed",
                "course",
                f"This course is {course.get_status_display().lower()}; "
                "no further session can be charted in it.",
            )
        )
    if valid_consent(course) is None:
        withdrawn = Consent.objects.filter(course=course, withdrawn_at__isnull=False).exists()
        blockers.append(
            Blocker(
                "consent_withdrawn" if withdrawn else "no_consent",
                "consent",
                "The patient withdrew their consent to this course; a session needs a new "
                "signed consent."
                if withdrawn
                else "The patient has not signed the consent for this course; "
                "a session cannot start without it.",
            )
        )
    screening = session_screening(course, appointment, day)
    if screening is None:
        blockers.append(
            Blocker(
                "no_screening",
                "screening",
                "The patient has not been re-screened at this check-in; run the screening "
                "on their latest answers first.",
            )
        )
    elif screening.stops_session:
        verdict = "not eligible" if screening.verdict == "not_eligible" else "defer"
        blockers.append(
            Blocker(
                "screening_stops",
                "screening",
                f"The check-in screening says {verdict}; the session may go ahead only if a "
                "practitioner overrides it with a written reason.",
            )
        )
    return blockers
