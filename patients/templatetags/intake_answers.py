"""``{{ intake|answer_rows }}``: an intake's answers in words, for a page."""

from __future__ import annotations

from django import template

from mesoclinic.catalog import get_catalog
from patients.intake import AnswerRow, answer_rows
from patients.models import Intake

register = template.Library()


@register.filter(name="answer_rows")
def answer_rows_filter(intake: Intake | None) -> list[AnswerRow]:
    """Every question with its answer; [] for no intake or an answer that
    cannot be read (the page then shows none rather than failing)."""
    if intake is None:
        return []
    try:
        return answer_rows(get_catalog(), intake.answers)
    except ValueError:
        return []
