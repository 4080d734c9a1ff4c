"""What a patient sees of their own record (the portal page and GET /me/record).

Only what is theirs to know and nothing written for staff alone: courses
(indication, areas, sessions, status), the consents they signed with the
very words they read, each session (day, area, what was injected with its
lot, what was noticed straight after, the aftercare for it), their scores
and their photographs. Staff notes, screening findings and who read the
record are not shown here; the clinic gives those on request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from clinical.models import Consent, InjectionPoint, OutcomeScore, Photo, SessionChart
from clinical.models import TreatmentCourse as Course
from core.aftercare import rules_for
from mesoclinic.catalog import get_catalog
from patients.models import Patient


@dataclass(frozen=True)
class OwnCourse:
    id: int
    indication: str
    indication_name: str
    areas: list[str]
    area_names: list[str]
    sessions_planned: int
    sessions_done: int
    status: str
    status_name: str
    started: datetime


@dataclass(frozen=True)
class OwnConsent:
    id: int
    kind: str
    course_id: int | None
    title: str
    version: int
    language: str
    body: str
    signed_name: str
    signed_at: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str


@dataclass(frozen=True)
class Injected:
    product: str
    lot: str
    lot_expiry: date


@dataclass(frozen=True)
class OwnSession:
    id: int
    course_id: int
    session_number: int
    performed_on: date
    area: str
    area_name: str
    injected: list[Injected]
    numbing: str
    immediate_reactions: str
    aftercare: list[str]
    # The session's follow-up link, while it is open: the patient reports a
    # problem there ("" when there is none).
    follow_up_token: str = ""


@dataclass(frozen=True)
class OwnScore:
    id: int
    session_id: int
    session_number: int
    performed_on: date
    measure: str
    measure_name: str
    rater: str
    value: Decimal


@dataclass(frozen=True)
class OwnPhoto:
    id: int
    session_id: int
    view: str
    view_name: str
    phase: str
    phase_name: str
    taken_at: datetime


@dataclass
class OwnRecord:
    patient: Patient
    courses: list[OwnCourse] = field(default_factory=list)
    consents: list[OwnConsent] = field(default_factory=list)
    sessions: list[OwnSession] = field(default_factory=list)
    scores: list[OwnScore] = field(default_factory=list)
    photos: list[OwnPhoto] = field(default_factory=list)


def _name(names: dict[str, object], key: str) -> str:
    item = names.get(key)
    return str(getattr(item, "name", key))


def own_record(patient: Patient, course_id: int | None = None) -> OwnRecord:
    """The patient's record as the portal shows it; with ``course_id``, only
    that course and what belongs to it. Six queries."""
    catalog = get_catalog()
    courses = Course.objects.filter(patient=patient).annotate(done=Count("charts"))
    charts = SessionChart.objects.filter(patient=patient).order_by("performed_on", "pk")
    consents = Consent.objects.filter(patient=patient).select_related("text")
    scores = OutcomeScore.objects.filter(patient=patient).select_related("chart")
    photos = Photo.objects.filter(patient=patient).order_by("taken_at", "pk")
    if course_id is not None:
        courses = courses.filter(pk=course_id)
        charts = charts.filter(course_id=course_id)
        consents = consents.filter(course_id=course_id)
        scores = scores.filter(chart__course_id=course_id)
        photos = photos.filter(chart__course_id=course_id)

    record = OwnRecord(patient=patient)
    indications: dict[int, str] = {}
    protocols: dict[int, str] = {}
    for course in courses:
        indications[course.pk] = course.indication
        protocols[course.pk] = course.protocol
        record.courses.append(
            OwnCourse(
                id=course.pk,
                indication=course.indication,
                indication_name=_name(catalog.indications, course.indication),  # type: ignore[arg-type]
                areas=list(course.areas),
                area_names=[_name(catalog.areas, a) for a in course.areas],  # type: ignore[arg-type]
                sessions_planned=course.sessions,
                sessions_done=course.done,  # type: ignore[attr-defined]
                status=course.status,
                status_name=str(course.get_status_display()),
                started=course.created_at,
            )
        )
    for consent in consents:
        record.consents.append(
            OwnConsent(
                id=consent.pk,
                kind=consent.text.kind,
                course_id=consent.course_id,
                title=consent.text.title,
                version=consent.text.version,
                language=consent.text.language,
                body=consent.text.body,
                signed_name=consent.typed_name,
                signed_at=consent.signed_at,
                withdrawn_at=consent.withdrawn_at,
                withdrawal_reason=consent.withdrawal_reason,
            )
        )
    chart_list = list(charts)
    injected: dict[int, list[Injected]] = defaultdict(list)
    actives: dict[int, set[str]] = defaultdict(set)
    points = (
        InjectionPoint.objects.filter(chart__in=[c.pk for c in chart_list])
        .select_related("product", "lot")
        .order_by("chart", "pk")
    )
    for point in points:
        item = Injected(point.product.name, point.lot.number, point.lot.expiry)
        if item not in injected[point.chart_id]:
            injected[point.chart_id].append(item)
        actives[point.chart_id].update(point.product.actives or [])
    from safety.models import FollowUpLink  # safety builds on the record

    tokens = dict(
        FollowUpLink.objects.filter(
            chart__in=[c.pk for c in chart_list],
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).values_list("chart_id", "token")
    )
    for chart in chart_list:
        indication = indications.get(chart.course_id, "")
        # The session's actives as clinical.charting.chart_actives counts
        # them (the protocol's and the products'), without a query a chart.
        protocol = catalog.protocols.get(protocols.get(chart.course_id, ""))
        if protocol is not None:
            actives[chart.pk].update(protocol.actives)
        try:
            aftercare = [
                rule.text for rule in rules_for(catalog, indication, chart.area, actives[chart.pk])
            ]
        except KeyError:  # an area no longer in the catalog
            aftercare = []
        record.sessions.append(
            OwnSession(
                id=chart.pk,
                course_id=chart.course_id,
                session_number=chart.session_number,
                performed_on=chart.performed_on,
                area=chart.area,
                area_name=_name(catalog.areas, chart.area),  # type: ignore[arg-type]
                injected=injected[chart.pk],
                numbing=chart.numbing,
                immediate_reactions=chart.immediate_reactions,
                aftercare=aftercare,
                follow_up_token=tokens.get(chart.pk, ""),
            )
        )
    for score in scores:
        record.scores.append(
            OwnScore(
                id=score.pk,
                session_id=score.chart_id,
                session_number=score.chart.session_number,
                performed_on=score.chart.performed_on,
                measure=score.measure,
                measure_name=_name(catalog.measures, score.measure),  # type: ignore[arg-type]
                rater=score.rater,
                value=score.value,
            )
        )
    for photo in photos:
        record.photos.append(
            OwnPhoto(
                id=photo.pk,
                session_id=photo.chart_id,
                view=photo.view,
                view_name=str(photo.get_view_display()),
                phase=photo.phase,
                phase_name=str(photo.get_phase_display()),
                taken_at=photo.taken_at,
            )
        )
    return record
