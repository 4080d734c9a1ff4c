"""Treatment courses: the practitioner's decision, and how it moves on.

A course starts ``planned`` with a protocol picked as the plan preview picks
it (core.course_limits.protocol_for_course: what the clinic's country
allows), adjusted by the practitioner within the catalog's limits
(core.course_limits.problems). It becomes ``active`` when its first session
is charted (``mark_active``, called by charting), then ``completed`` or
``stopped`` (with a reason). A stopped or completed course stays so.

Every change runs in one transaction behind a lock on the course's row, so
two changes at once (a stop and a complete, say) cannot both pass their
check; each is attributed in the row's history, with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from clinical.models import TreatmentCourse
from core.course_limits import Choices, Problem, default_intervals, problems, protocol_for_course
from core.planning import Message, PlanError
from mesoclinic.catalog import get_catalog
from patients.models import Patient
from scheduling.models import Course as BookedCourse

Status = TreatmentCourse.Status


class CourseError(ValueError):
    """A refused course or change; ``problems`` name each field to blame
    (``field`` and ``message`` are the first one's)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0]
        super().__init__(first.render())
        self.field = first.field
        self.message = first.render()

    @classmethod
    def one(cls, field: str, text: str, **params: str | int) -> CourseError:
        return cls([Problem(field, Message(text, tuple(params.items())))])


def _by(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _save(course: TreatmentCourse, by: Any, reason: str, fields: list[str]) -> None:
    course._change_reason = reason  # type: ignore[attr-defined]
    if _by(by) is not None:
        course._history_user = by  # type: ignore[attr-defined]
    course.save(update_fields=fields)


def _intervals(raw: Sequence[Sequence[Any]] | None) -> tuple[tuple[int, int | None], ...]:
    if raw is None:
        return ()
    out = []
    for index, pair in enumerate(raw):
        if len(pair) != 2 or not isinstance(pair[0], int) or isinstance(pair[0], bool):
            raise CourseError.one(
                f"intervals.{index}", gettext_noop("Give the shortest and longest number of days.")
            )
        high = pair[1]
        if high is not None and (not isinstance(high, int) or isinstance(high, bool)):
            raise CourseError.one(
                f"intervals.{index}.max", gettext_noop("Give a whole number of days.")
            )
        out.append((pair[0], high))
    return tuple(out)


def start_course(
    patient: Patient,
    indication: str,
    areas: Sequence[str],
    protocol: str | None,
    sessions: int | None,
    intervals: Sequence[Sequence[Any]] | None,
    technique: str | None,
    notes: str,
    by: Any,
) -> TreatmentCourse:
    """A new planned course for ``patient``. ``protocol`` None: the one the
    plan preview proposes; ``sessions``, ``intervals`` and ``technique``
    None: the protocol's defaults (intervals are then the protocol's for the
    number of sessions chosen). Raises CourseError naming every field
    outside the catalog's limits, or what the clinic's country does not
    allow (nothing is written then)."""
    clinic = patient.clinic
    catalog = get_catalog()
    try:
        chosen = protocol_for_course(catalog, indication, areas, protocol or None, clinic.country)
    except PlanError as error:  # NotOffered included
        raise CourseError([Problem(error.field, error.message)]) from None
    count = chosen.default_sessions if sessions is None else sessions
    if intervals is None:
        steps = default_intervals(chosen, count) if chosen.sessions.contains(count) else ()
    else:
        steps = _intervals(intervals)
    choices = Choices(
        areas=tuple(areas),
        sessions=count,
        intervals=steps,
        technique=technique or chosen.techniques[0],
    )
    found = problems(chosen, choices)
    if found:
        raise CourseError(found)
    course = TreatmentCourse(
        clinic=clinic,
        patient=patient,
        indication=indication,
        areas=list(choices.areas),
        protocol=chosen.key,
        sessions=choices.sessions,
        intervals=[list(step) for step in choices.intervals],
        technique=choices.technique,
        notes=notes.strip(),
        created_by=by,
    )
    course._change_reason = "Course planned"  # type: ignore[attr-defined]
    course._history_user = by  # type: ignore[attr-defined]
    with transaction.atomic():
        course.save()
    return course


def _locked(course: TreatmentCourse) -> TreatmentCourse:
    """The course's row, locked until the transaction ends, as it is now."""
    return TreatmentCourse.objects.select_for_update().get(pk=course.pk)


def _refresh(course: TreatmentCourse, locked: TreatmentCourse) -> None:
    for field in ("status", "stop_reason", "stopped_at", "booking_id"):
        setattr(course, field, getattr(locked, field))


def link_booking(course: TreatmentCourse, booked: BookedCourse, by: Any = None) -> TreatmentCourse:
    """Tie the booked sessions (scheduling's Course) to this course. The
    booking must be of the same clinic, patient and protocol, still booked,
    and not tied to another course; a course is tied to one booking."""
    if booked.clinic_id != course.clinic_id or booked.patient_id != course.patient_id:
        raise CourseError.one("booking", gettext_noop("That booking is not this patient's."))
    if booked.status != BookedCourse.Status.BOOKED:
        raise CourseError.one("booking", gettext_noop("That booking was cancelled."))
    if booked.protocol != course.protocol:
        raise CourseError.one(
            "booking",
            gettext_noop("That booking is for another protocol (%(protocol)s)."),
            protocol=booked.protocol,
        )
    with transaction.atomic():
        locked = _locked(course)
        if locked.status not in (Status.PLANNED, Status.ACTIVE):
            raise CourseError.one(
                "booking",
                gettext_noop("This course is %(status)s."),
                status=locked.get_status_display().lower(),
            )
        if locked.booking_id is not None:
            if locked.booking_id == booked.pk:
                _refresh(course, locked)
                return course
            raise CourseError.one(
                "booking", gettext_noop("This course is already tied to a booking.")
            )
        if TreatmentCourse.objects.filter(booking=booked).exists():
            raise CourseError.one(
                "booking", gettext_noop("That booking is tied to another course.")
            )
        locked.booking = booked
        _save(locked, by, f"Tied to booked course {booked.pk}", ["booking"])
        _refresh(course, locked)
    return course


def mark_active(course: TreatmentCourse, by: Any = None) -> TreatmentCourse:
    """Planned -> active, when its first session is charted; an active
    course stays so. Raises CourseError (field "course") for a stopped or
    completed one. Call it inside the charting transaction."""
    with transaction.atomic():
        locked = _locked(course)
        if locked.status == Status.PLANNED:
            locked.status = Status.ACTIVE
            _save(locked, by, "First session charted", ["status"])
        elif locked.status != Status.ACTIVE:
            raise CourseError.one(
                "course",
                gettext_noop("This course is %(status)s; no session can be charted in it."),
                status=locked.get_status_display().lower(),
            )
        _refresh(course, locked)
    return course


def complete(course: TreatmentCourse, by: Any) -> TreatmentCourse:
    """Active -> completed. A planned course has had no session: stop it
    instead, with the reason."""
    with transaction.atomic():
        locked = _locked(course)
        if locked.status != Status.ACTIVE:
            raise CourseError.one(
                "status",
                gettext_noop("Only an active course can be completed; this one is %(status)s."),
                status=locked.get_status_display().lower(),
            )
        locked.status = Status.COMPLETED
        _save(locked, by, "Course completed", ["status"])
        _refresh(course, locked)
    return course


def stop(course: TreatmentCourse, reason: str, by: Any) -> TreatmentCourse:
    """Planned or active -> stopped, with the reason (required) and when."""
    reason = (reason or "").strip()
    if not reason:
        raise CourseError.one("reason", gettext_noop("Say why the course is stopped."))
    with transaction.atomic():
        locked = _locked(course)
        if locked.status not in (Status.PLANNED, Status.ACTIVE):
            raise CourseError.one(
                "status",
                gettext_noop("This course is %(status)s already; it cannot be stopped."),
                status=locked.get_status_display().lower(),
            )
        locked.status = Status.STOPPED
        locked.stop_reason = reason
        locked.stopped_at = timezone.now()
        _save(locked, by, f"Course stopped: {reason}", ["status", "stop_reason", "stopped_at"])
        _refresh(course, locked)
    return course
