"""Outcome scores in the record, and a course's progress.

A session's scores are GAIS (by clinician and by patient) and the measures
that fit the course's indication (core/outcomes.py). Each measure is scored
once per rater at a session; changing a recorded score is an amendment with
a reason (clinical/amend.py), so the first value is kept.

Pages and API both go through ``save_scores`` and ``course_progress``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinical.amend import AmendmentError, amend
from clinical.models import OutcomeScore, SessionChart, TreatmentCourse
from core.catalog.model import Measure
from core.outcomes import Chart, Problem, Score, chart, check_rating, measures_for, progress
from mesoclinic.catalog import get_catalog

# The record keeps 7 digits, 2 after the point.
LARGEST = Decimal("99999.99")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Entry:
    """One rating as given: ``value`` as typed (text or number), ``items``
    for a composite measure."""

    measure: str
    rater: str
    value: object = None
    items: Mapping[str, object] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.measure}.{self.rater}"


@dataclass(frozen=True)
class EntryProblem:
    """A problem with entry number ``index``; ``field`` is the core's
    (value, rater, items.<key>) or ``reason``/``measure``."""

    index: int
    entry: Entry | None
    problem: Problem

    @property
    def form_field(self) -> str:
        """The field's name on the scores page: ``gais.clinician`` for a
        value, ``hexsel_css.clinician.laxity`` for an item, ``reason``."""
        if self.entry is None:
            return self.problem.field
        name = self.problem.field
        if name in ("value", "rater", "measure"):
            return self.entry.key
        return f"{self.entry.key}.{name.removeprefix('items.')}"


class ScoreError(ValueError):
    def __init__(self, problems: list[EntryProblem]) -> None:
        super().__init__("; ".join(f"{p.form_field}: {p.problem.message}" for p in problems))
        self.problems = problems


@dataclass
class Saved:
    created: list[OutcomeScore] = field(default_factory=list)
    amended: list[OutcomeScore] = field(default_factory=list)
    unchanged: list[OutcomeScore] = field(default_factory=list)


def chart_measures(chart_: SessionChart) -> list[Measure]:
    """The measures scored at this session, GAIS first."""
    return measures_for(get_catalog(), chart_.course.indication)


def _same(score: OutcomeScore, value: Decimal, items: Mapping[str, int]) -> bool:
    return Decimal(score.value) == value and dict(score.items or {}) == dict(items)


def save_scores(chart_: SessionChart, entries: Sequence[Entry], by: Any, reason: str = "") -> Saved:
    """Record ``entries`` at the session of ``chart_``: a new score for a
    measure and rater not yet scored, an amendment (needing ``reason``) for
    one whose value changes. All or nothing: raises ScoreError with every
    problem, and writes nothing, if any entry is wrong."""
    measures = {m.key: m for m in chart_measures(chart_)}
    problems: list[EntryProblem] = []
    checked: list[tuple[Entry, Decimal, Mapping[str, int]]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        measure = measures.get(entry.measure)
        if measure is None:
            message = _("This is not a measure scored for this course's indication.")
            problems.append(EntryProblem(index, entry, Problem("measure", message)))
            continue
        if entry.key in seen:
            message = _("This measure and rater are given twice.")
            problems.append(EntryProblem(index, entry, Problem("rater", message)))
            continue
        seen.add(entry.key)
        rating, found = check_rating(measure, entry.rater, entry.value, entry.items)
        problems += [EntryProblem(index, entry, p) for p in found]
        if rating is None:
            continue
        if rating.value > LARGEST:
            too_large = _("The value is too large to record.")
            problems.append(EntryProblem(index, entry, Problem("value", too_large)))
            continue
        # As the record stores it, so an unchanged 3 is not amended to 3.00.
        checked.append((entry, rating.value.quantize(CENTS), rating.items))

    existing = {f"{s.measure}.{s.rater}": s for s in OutcomeScore.objects.filter(chart=chart_)}
    changes = [
        (entry, value, items)
        for entry, value, items in checked
        if entry.key in existing and not _same(existing[entry.key], value, items)
    ]
    if changes and not reason.strip():
        message = _("This changes a score already recorded; give the reason for the amendment.")
        problems.append(EntryProblem(-1, None, Problem("reason", message)))
    if problems:
        raise ScoreError(problems)

    saved = Saved()
    now = timezone.now()
    try:
        with transaction.atomic():
            for entry, value, items in checked:
                current = existing.get(entry.key)
                if current is None:
                    score = OutcomeScore(
                        clinic_id=chart_.clinic_id,
                        patient_id=chart_.patient_id,
                        chart=chart_,
                        measure=entry.measure,
                        rater=entry.rater,
                        value=value,
                        items=dict(items),
                        recorded_by=by,
                        recorded_at=now,
                    )
                    score._change_reason = "Score recorded"  # type: ignore[attr-defined]
                    score.save()
                    saved.created.append(score)
                elif _same(current, value, items):
                    saved.unchanged.append(current)
                else:
                    amend(current, {"value": value, "items": dict(items)}, reason=reason, by=by)
                    saved.amended.append(current)
    except IntegrityError:
        # Someone recorded the same measure and rater meanwhile.
        message = _("A score for this measure was recorded meanwhile; reload and check it.")
        raise ScoreError([EntryProblem(-1, None, Problem("measure", message))]) from None
    except AmendmentError as exc:
        raise ScoreError([EntryProblem(-1, None, Problem(exc.field, exc.message))]) from None
    return saved


@dataclass(frozen=True)
class MeasureProgress:
    measure: Measure
    chart: Chart


def course_scores(course: TreatmentCourse) -> list[Score]:
    """The course's recorded scores as the core reads them (one query)."""
    rows = OutcomeScore.objects.filter(chart__course=course).select_related("chart")
    return [
        Score(s.measure, s.rater, s.chart.session_number, Decimal(s.value), s.chart.performed_on)
        for s in rows
    ]


def course_progress(course: TreatmentCourse) -> list[MeasureProgress]:
    """A chart per measure of the course's indication, GAIS first; a
    measure not yet scored has an empty chart."""
    measures = measures_for(get_catalog(), course.indication)
    series = progress(measures, course_scores(course))
    return [MeasureProgress(m, chart(m, series, sessions=course.sessions)) for m in measures]
