"""A screening result as plain data in the active language.

The core speaks English; here every text a person reads goes through
gettext (so Accept-Language or the language cookie picks Hindi once it is
translated), and a message's placeholders are filled after translation, so
the translated sentence keeps the number of days the clinic follows. Both
the JSON API and the questionnaire page use this.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext, gettext_lazy, gettext_noop

from core.catalog import Catalog
from core.catalog.model import Verdict
from core.screening import Finding, OtherView, ScreeningResult

# The core's fixed texts, spelt out here so that makemessages finds them;
# a test keeps this list equal to core.screening.FIXED_TEXTS.
CORE_TEXTS = (
    gettext_noop(
        "This screening supports your practitioner's judgement; it never replaces it. "
        "Your practitioner will go through your answers with you before any treatment."
    ),
    gettext_noop("Not offered in this country"),
    gettext_noop("Approved here for other areas only"),
    gettext_noop("A regulator's warning"),
    gettext_noop("Not licensed in this country"),
)

VERDICT_LABELS = {
    Verdict.ELIGIBLE: gettext_lazy("Suitable"),
    Verdict.CAUTION: gettext_lazy("Suitable, with care"),
    Verdict.DEFER: gettext_lazy("Not yet"),
    Verdict.NOT_ELIGIBLE: gettext_lazy("Not suitable"),
}

VERDICT_EXPLANATIONS = {
    Verdict.ELIGIBLE: gettext_lazy(
        "Nothing in your answers stands in the way of this treatment on the planned date."
    ),
    Verdict.CAUTION: gettext_lazy(
        "You may go ahead, but your practitioner will go through the points below with you first."
    ),
    Verdict.DEFER: gettext_lazy("Your session needs to wait, for the reasons below."),
    Verdict.NOT_ELIGIBLE: gettext_lazy(
        "This treatment is not suitable for you, for the reasons below."
    ),
}


def fill(text: str, params: Mapping[str, int]) -> str:
    """Translate ``text`` and fill its placeholders. A translation with a
    broken placeholder falls back to the English text rather than failing."""
    translated = gettext(text)
    try:
        return translated.format(**params)
    except (KeyError, IndexError, ValueError):
        return text.format(**params)


def _sources(catalog: Catalog, keys: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        {"key": key, "title": catalog.sources[key].title, "url": catalog.sources[key].url}
        for key in keys
    ]


def _other_view(catalog: Catalog, view: OtherView) -> dict[str, Any]:
    return {
        "verdict": view.verdict.value if view.verdict else None,
        "pause_days": view.pause_days,
        "sources": _sources(catalog, view.sources),
    }


def present_finding(catalog: Catalog, finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "kind": finding.kind,
        "verdict": finding.verdict.value,
        "verdict_label": str(VERDICT_LABELS[finding.verdict]),
        "title": gettext(finding.title),
        "message": fill(finding.message, finding.params),
        "sources": _sources(catalog, finding.sources),
        "earliest_date": finding.earliest_date,
        "last_dose_by": finding.last_dose_by,
        "habit": finding.kind == "medicine" and catalog.medicines[finding.code].kind == "habit",
        "clinician_note": gettext(finding.clinician_note) if finding.clinician_note else "",
        "other_views": [_other_view(catalog, v) for v in finding.other_views],
    }


def present(catalog: Catalog, result: ScreeningResult) -> dict[str, Any]:
    """The result as a dict of plain values; dates stay ``date`` objects."""
    earliest: date | None = result.earliest_date
    return {
        "verdict": result.verdict.value,
        "verdict_label": str(VERDICT_LABELS[result.verdict]),
        "verdict_explanation": str(VERDICT_EXPLANATIONS[result.verdict]),
        "earliest_date": earliest,
        "planned_date": result.planned_date,
        "indication": result.indication,
        "area": result.area,
        "country": result.country,
        "protocol": {"key": result.protocol.key, "name": gettext(result.protocol.name)},
        "findings": [present_finding(catalog, f) for f in result.findings],
        "disclaimer": gettext(result.disclaimer),
    }
