"""Recording an adverse event and reviewing it: the one way each happens,
for the patient's follow-up page, the staff pages and the API alike.

``report_event`` checks the report, triages it (core.triage) and writes, in
one transaction, the event, the lots injected at its session and its
photos; an urgent event alerts the clinic in the same transaction (so no
alert goes out for an event that was not kept). ``review_event`` records a
practitioner's review: outcome, treatment given, notes, and a change of
level with its reason. Bad input raises EventError naming the field, and
nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinical.charting import chart_actives, session_end
from clinical.models import SessionChart
from clinical.photos import MAX_BYTES, PhotoError, clean_images
from core.catalog.model import SideEffect
from core.triage import OTHER, TriageError, TriageInput, effects_for, triage
from mesoclinic.catalog import get_catalog
from safety.models import (
    AdverseEvent,
    Answer,
    EventPhoto,
    EventStatus,
    FollowUpAnswer,
    FollowUpLink,
    Level,
    Outcome,
    ReportedVia,
    Severity,
)
from stock.models import Lot

MAX_PHOTOS = 3
# A patient with a link may report this many events a day: far more than
# anyone needs, few enough that a leaked link cannot flood the review list.
MAX_REPORTS_PER_DAY = 10
MAX_ANSWERS_PER_DAY = 20
MAX_TEXT = 4000
MAX_SITE = 200
# A clock a little ahead on the patient's phone is not "the future".
CLOCK_SLACK = timedelta(minutes=2)


class EventError(ValueError):
    """A report or review refused; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Report:
    """What was reported, as plain values (a page's form or the API's JSON)."""

    effect: str
    started_at: datetime | None
    severity: str
    signs: tuple[str, ...] = ()
    site: str = ""
    description: str = ""
    # The photos' raw bytes, as uploaded (cleaned before anything is stored).
    photos: tuple[bytes, ...] = field(default=())
    # The follow-up check-in it answers ("day_1", "week_4"), from a follow-up link.
    step: str = ""


# -- the session ------------------------------------------------------------------------------


def session_window(chart: SessionChart) -> tuple[datetime, datetime]:
    """When the session started and ended. The end is the outbox's
    (clinical.charting.session_end: the appointment's start plus numbing and
    procedure, else when it was charted), so triage counts hours from the
    moment the follow-ups do; the start is that end less the minutes of
    numbing and procedure."""
    end = session_end(chart)
    start = end - timedelta(minutes=chart.numbing_minutes + chart.procedure_minutes)
    if chart.appointment_id is not None:
        start = min(start, chart.appointment.starts_at)
    return start, end


def session_lots(chart: SessionChart) -> list[Lot]:
    """The lots injected at the session, each once."""
    return list(Lot.objects.filter(points__chart=chart).distinct().select_related("product"))


def effect_choices(chart: SessionChart) -> list[SideEffect]:
    """The side effects the patient may report after this session."""
    return effects_for(get_catalog(), chart.course.indication, chart.area, chart_actives(chart))


# -- checking a report ------------------------------------------------------------------------


def _clean_photos(photos: Sequence[bytes]) -> list[tuple[bytes, bytes, int, int]]:
    if len(photos) > MAX_PHOTOS:
        raise EventError("photos", _("Send at most %(n)s photos.") % {"n": MAX_PHOTOS})
    cleaned = []
    for data in photos:
        if len(data) > MAX_BYTES:
            raise EventError("photos", _("A photo is larger than 15 MB; send a smaller one."))
        if not data:
            raise EventError("photos", _("A photo file is empty; choose a photo."))
        try:
            cleaned.append(clean_images(data))
        except PhotoError as error:
            raise EventError("photos", error.message) from None
    return cleaned


@dataclass(frozen=True)
class _Checked:
    result: Any  # core.triage.Triage
    started: datetime
    hours: float  # from the end of the session to the report
    onset: float  # from the end of the session to the start of the effect


def _check(chart: SessionChart, report: Report, now: datetime) -> _Checked:
    """The triage of a valid report; EventError otherwise."""
    catalog = get_catalog()
    choices = {se.key for se in effect_choices(chart)}
    if report.effect != OTHER and report.effect not in choices:
        raise EventError("effect", _("Choose what you noticed from the list."))
    if report.effect == OTHER and not report.description.strip():
        raise EventError("description", _("Describe what you noticed."))
    if len(report.description) > MAX_TEXT:
        raise EventError(
            "description", _("Keep the description under %(n)s characters.") % {"n": MAX_TEXT}
        )
    if len(report.site) > MAX_SITE:
        raise EventError("site", _("Keep this under %(n)s characters.") % {"n": MAX_SITE})
    if report.severity not in Severity.values:
        raise EventError("severity", _("Choose how bad it is."))
    unknown = [s for s in report.signs if s not in catalog.warning_signs]
    if unknown:
        raise EventError("signs", _("Tick only the signs in the list."))
    start, end = session_window(chart)
    started = report.started_at
    if started is None:
        raise EventError("started_at", _("Give the day and time it started."))
    if started < start:
        raise EventError("started_at", _("It cannot have started before the session."))
    if started > now + CLOCK_SLACK:
        raise EventError("started_at", _("It cannot have started in the future."))
    hours = max(0.0, (now - end).total_seconds() / 3600)
    onset = max(0.0, (started - end).total_seconds() / 3600)
    try:
        result = triage(
            catalog,
            TriageInput(
                effect=report.effect,
                hours_since_session=hours,
                onset_hours=onset,
                signs=tuple(dict.fromkeys(report.signs)),
                severity=report.severity,
                indication=chart.course.indication,
                area=chart.area,
                actives=chart_actives(chart),
            ),
        )
    except TriageError as error:
        raise EventError(error.field, str(error)) from None
    return _Checked(result, started, hours, onset)


def triage_json(result: Any, hours: float, onset: float | None) -> dict[str, Any]:
    """The triage as kept with the event: every reason with its message
    (English, placeholders), params, the text filled in, and its sources;
    the advice as the catalog gave it (pages translate at display)."""
    return {
        "level": result.level,
        "effect_key": result.effect_key,
        "effect_name": result.effect_name,
        "reasons": [
            {
                "code": reason.code,
                "message": reason.message.text,
                "params": dict(reason.message.params),
                "text": reason.message.render(),
                "sources": list(reason.sources),
            }
            for reason in result.reasons
        ],
        "advice": result.advice,
        "see_doctor": result.see_doctor,
        "sign_advice": list(result.sign_advice),
        "emergency": result.emergency,
        "review_within_hours": result.review_within_hours,
        "hours_since_session": round(hours, 2),
        "onset_hours": None if onset is None else round(onset, 2),
    }


# -- writing ----------------------------------------------------------------------------------


def _check_rate(link: FollowUpLink | None, now: datetime) -> None:
    if link is None:
        return
    recent = AdverseEvent.objects.filter(link=link, reported_at__gte=now - timedelta(days=1))
    if recent.count() >= MAX_REPORTS_PER_DAY:
        raise EventError(
            "link",
            _(
                "You have sent many reports today. Please call the clinic instead: "
                "they will want to hear from you."
            ),
            status=429,
        )


def report_event(
    chart: SessionChart,
    report: Report,
    *,
    via: str,
    by: Any = None,
    link: FollowUpLink | None = None,
) -> AdverseEvent:
    """Record ``report`` against ``chart``: triaged, linked to the lots
    injected, with its photos. Raises EventError (nothing written)."""
    now = timezone.now()
    _check_rate(link, now)
    checked = _check(chart, report, now)
    result = checked.result
    photos = _clean_photos(report.photos)

    level = result.level
    status = EventStatus.REASSURED if level == Level.EXPECTED else EventStatus.OPEN
    due = None
    if result.review_within_hours is not None:
        due = now + timedelta(hours=result.review_within_hours)

    event = AdverseEvent(
        clinic_id=chart.clinic_id,
        patient_id=chart.patient_id,
        chart=chart,
        reported_via=via,
        reported_by=by,
        link=link,
        reported_at=now,
        effect=result.effect_key,
        description=report.description.strip(),
        site=report.site.strip(),
        started_at=checked.started,
        severity=report.severity,
        signs=list(dict.fromkeys(report.signs)),
        level=level,
        triage=triage_json(result, checked.hours, checked.onset),
        review_due_at=due,
        status=status,
    )
    written: list[tuple[Any, str]] = []
    try:
        with transaction.atomic():
            event._change_reason = (  # type: ignore[attr-defined]
                "Reported by the patient" if via == ReportedVia.PATIENT else "Reported by staff"
            )
            if by is not None:
                event._history_user = by  # type: ignore[attr-defined]
            event.save()
            event.lots.set(session_lots(chart))
            for photo_bytes, thumb_bytes, width, height in photos:
                photo = EventPhoto(
                    clinic_id=chart.clinic_id,
                    event=event,
                    width=width,
                    height=height,
                    uploaded_at=now,
                    uploaded_by=by,
                )
                name = uuid.uuid4().hex
                photo.image.save(f"{name}.jpg", ContentFile(photo_bytes), save=False)
                written.append((photo.image.storage, photo.image.name))
                photo.thumbnail.save(f"{name}.jpg", ContentFile(thumb_bytes), save=False)
                written.append((photo.thumbnail.storage, photo.thumbnail.name))
                photo.save()
            if link is not None:
                FollowUpAnswer.objects.create(
                    clinic_id=chart.clinic_id,
                    link=link,
                    step=known_step(report.step),
                    answer=Answer.PROBLEM,
                    answered_at=now,
                )
            if level == Level.URGENT:
                from messaging.outbox import alert_clinic

                alert_clinic(
                    event.clinic,
                    key=f"alert:event:{event.pk}",
                    data={"event": event.pk},
                    by=by,
                )
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise
    return event


def record_answer(link: FollowUpLink, step: str, answer: str = Answer.FINE) -> FollowUpAnswer:
    """The patient's answer to a check-in ("all is well"). ``step`` is kept
    only when it names a catalog follow-up step. Raises EventError (429)
    past a day's sensible number of answers."""
    now = timezone.now()
    recent = FollowUpAnswer.objects.filter(link=link, answered_at__gte=now - timedelta(days=1))
    if recent.count() >= MAX_ANSWERS_PER_DAY:
        raise EventError("link", _("Thank you: your answers have been received."), status=429)
    return FollowUpAnswer.objects.create(
        clinic_id=link.clinic_id, link=link, step=known_step(step), answer=answer, answered_at=now
    )


def known_step(step: str) -> str:
    """``step`` when it names a catalog follow-up step, else ""."""
    return step if step in get_catalog().follow_ups else ""


# -- review -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    outcome: str
    treatment: str = ""
    notes: str = ""
    level: str = ""  # "" keeps the level
    level_reason: str = ""
    close: bool = False


def review_event(event: AdverseEvent, review: Review, by: Any) -> AdverseEvent:
    """Record ``by``'s review of ``event``: reviewed (or closed), with who
    and when; a change of level needs its reason, kept in the event and its
    history. Raises EventError naming the field (nothing written)."""
    if review.outcome not in Outcome.values:
        raise EventError("outcome", _("Choose the outcome."))
    level = review.level or event.level
    if level not in Level.values:
        raise EventError("level", _("Choose one of the levels."))
    reason = review.level_reason.strip()
    if level != event.level and not reason:
        raise EventError("level_reason", _("Say why the level changes."))
    for name, value in (("treatment", review.treatment), ("notes", review.notes)):
        if len(value) > MAX_TEXT:
            raise EventError(name, _("Keep this under %(n)s characters.") % {"n": MAX_TEXT})
    with transaction.atomic():
        locked = AdverseEvent.objects.select_for_update().get(pk=event.pk)
        old_level = locked.level
        locked.outcome = review.outcome
        locked.treatment = review.treatment.strip()
        locked.review_notes = review.notes.strip()
        locked.status = EventStatus.CLOSED if review.close else EventStatus.REVIEWED
        locked.reviewed_by = by
        locked.reviewed_at = timezone.now()
        change = "Reviewed and closed" if review.close else "Reviewed"
        if level != old_level:
            locked.level = level
            locked.level_change_reason = reason
            change = f"{change}; level {old_level} -> {level}: {reason}"
        locked._change_reason = change  # type: ignore[attr-defined]
        locked._history_user = by  # type: ignore[attr-defined]
        locked.save()
    return locked
