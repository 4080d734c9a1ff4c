"""Progress charts from a list of scores, for pages (the patient portal)
that have the scores but not the course's charts."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext

from clinical.scores import MeasureProgress
from core.outcomes import Score, chart, progress
from mesoclinic.catalog import get_catalog

register = template.Library()


@register.simple_tag
def progress_from_scores(scores: Iterable[Any]) -> list[MeasureProgress]:
    """A chart per measure that has a score in ``scores`` (rows with
    measure, rater, session_number and value), in catalog order."""
    rows = [Score(s.measure, s.rater, int(s.session_number), Decimal(s.value)) for s in scores]
    scored = {r.measure for r in rows}
    measures = [m for m in get_catalog().measures.values() if m.key in scored]
    series = progress(measures, rows)
    return [MeasureProgress(m, chart(m, series)) for m in measures]


@register.filter
def measure_name(key: str) -> str:
    """A measure's name for people ("Global Aesthetic Improvement Scale
    (GAIS)"), translated; the key itself when the catalog has no such
    measure."""
    measure = get_catalog().measures.get(key)
    if measure is None:
        return key
    name = gettext(measure.name)
    return f"{name} ({measure.abbreviation})" if measure.abbreviation else name


@register.filter
def indication_name(key: str) -> str:
    """An indication's name for people, translated; the key when unknown."""
    indication = get_catalog().indications.get(key)
    return gettext(indication.name) if indication else key
