"""The intake questionnaire's answers as stored JSON, and back.

A stored answer set maps a catalog question key to: true/false for a
"bool" question, "YYYY-MM-DD" or null (never) for a "date" question, a list
of area keys for "areas", and a list of {"medicine", "last_dose",
"prescribed", "ongoing"} objects for "medicines". ``decode`` gives the
core screening's answer values; a key the catalog no longer asks is
dropped, so an old intake still screens.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from core.catalog.model import Catalog
from core.screening import AnswerValue, MedicineAnswer

JsonAnswers = dict[str, Any]


def encode(answers: Mapping[str, AnswerValue]) -> JsonAnswers:
    out: JsonAnswers = {}
    for key, value in answers.items():
        if isinstance(value, bool) or value is None:
            out[key] = value
        elif isinstance(value, date):
            out[key] = value.isoformat()
        elif all(isinstance(v, MedicineAnswer) for v in value) and value:
            out[key] = [
                {
                    "medicine": m.medicine,
                    "last_dose": m.last_dose.isoformat() if m.last_dose else None,
                    "prescribed": m.prescribed,
                    "ongoing": m.ongoing,
                }
                for m in value
                if isinstance(m, MedicineAnswer)
            ]
        else:
            out[key] = [str(v) for v in value]
    return out


def decode(catalog: Catalog, stored: Mapping[str, Any]) -> dict[str, AnswerValue]:
    """Stored JSON to screening answers; a malformed value raises ValueError
    naming the question."""
    out: dict[str, AnswerValue] = {}
    for key, value in stored.items():
        question = catalog.questions.get(key)
        if question is None:
            continue
        try:
            if question.kind == "bool":
                if not isinstance(value, bool):
                    raise ValueError("expected true or false")
                out[key] = value
            elif question.kind == "date":
                out[key] = None if value is None else date.fromisoformat(value)
            elif question.kind == "areas":
                out[key] = tuple(str(v) for v in value)
            else:
                out[key] = tuple(
                    MedicineAnswer(
                        medicine=str(m["medicine"]),
                        last_dose=_day(m.get("last_dose")),
                        prescribed=bool(m.get("prescribed", False)),
                        ongoing=bool(m.get("ongoing", False)),
                    )
                    for m in value
                )
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"{key}: {exc}") from exc
    return out


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def merge(earlier: Mapping[str, Any], newer: Mapping[str, Any]) -> JsonAnswers:
    """The latest answers: ``newer`` (the check-in questions, say) over
    ``earlier`` (the full intake)."""
    return {**earlier, **newer}
