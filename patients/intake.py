"""Intake answers: checked, stored as a new row, and read back for people.

An intake is never edited: each filling (online, with staff, or the
check-in questions merged over the last full answers) is a new Intake row,
so every screening keeps pointing at the answers it ran on. The answers are
stored as core.intake encodes them; ``answer_problems`` refuses what the
core would refuse, and dates in the future (a last dose or a last laser
session cannot be after today), before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from core import intake as codec
from core.catalog import Catalog
from core.screening import AnswerValue, InputProblem, MedicineAnswer
from patients.models import Intake, Patient

TEXT_FIELDS = ("medical_history", "other_medicines", "allergies")
MAX_TEXT = 4000


def latest_intake(patient: Patient) -> Intake | None:
    """The patient's latest intake, or None when they have never filled one.
    One query."""
    return Intake.objects.filter(patient=patient).order_by("-submitted_at", "-pk").first()


def answer_problems(
    catalog: Catalog, answers: Mapping[str, AnswerValue], today: date
) -> list[InputProblem]:
    """What is wrong with these answers, each naming its field
    (``answers.<question>[.<n>.<part>]``); [] when they may be stored."""
    problems: list[InputProblem] = []

    def past(where: str, value: object) -> None:
        if not isinstance(value, date):
            problems.append(InputProblem(where, "Give a date."))
        elif value > today:
            problems.append(InputProblem(where, "This date is in the future."))

    for key, value in answers.items():
        where = f"answers.{key}"
        question = catalog.questions.get(key)
        if question is None:
            problems.append(InputProblem(where, "Unknown question."))
        elif question.kind == "bool":
            if not isinstance(value, bool):
                problems.append(InputProblem(where, "Answer yes (true) or no (false)."))
        elif question.kind == "date":
            if value is not None:
                past(where, value)
        elif question.kind == "areas":
            if not isinstance(value, tuple | list) or not all(isinstance(a, str) for a in value):
                problems.append(InputProblem(where, "Give a list of areas."))
                continue
            for n, area in enumerate(value):
                if area not in catalog.areas:
                    problems.append(InputProblem(f"{where}.{n}", f"Unknown area '{area}'."))
        else:
            if not isinstance(value, tuple | list):
                problems.append(InputProblem(where, "Give a list of medicines."))
                continue
            seen: set[str] = set()
            for n, answer in enumerate(value):
                at = f"{where}.{n}"
                if not isinstance(answer, MedicineAnswer):
                    problems.append(InputProblem(at, "Give a medicine."))
                    continue
                rule = catalog.medicines.get(answer.medicine)
                if rule is None:
                    message = f"Unknown medicine '{answer.medicine}'."
                    problems.append(InputProblem(f"{at}.medicine", message))
                    continue
                if answer.medicine in seen:
                    message = "This medicine is listed twice."
                    problems.append(InputProblem(f"{at}.medicine", message))
                seen.add(answer.medicine)
                if answer.last_dose is None:
                    if not answer.ongoing:
                        message = "Give the date of the last dose, or say it is ongoing."
                        problems.append(InputProblem(f"{at}.last_dose", message))
                else:
                    past(f"{at}.last_dose", answer.last_dose)
                if answer.prescribed and not rule.may_be_prescribed:
                    message = f"'{rule.name}' is not something a doctor prescribes."
                    problems.append(InputProblem(f"{at}.prescribed", message))
    return problems


def new_intake(
    patient: Patient,
    answers: Mapping[str, Any],
    *,
    via: str,
    by: object,
    medical_history: str = "",
    other_medicines: str = "",
    allergies: str = "",
) -> Intake:
    """Store one filling as a new row; ``answers`` already encoded
    (core.intake.encode) and checked."""
    return Intake.objects.create(
        clinic=patient.clinic,
        patient=patient,
        answers=dict(answers),
        medical_history=medical_history.strip(),
        other_medicines=other_medicines.strip(),
        allergies=allergies.strip(),
        via=via,
        submitted_by=by,
        submitted_at=timezone.now(),
    )


# -- for people to read ---------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    key: str
    question: str
    answer: str
    answered: bool
    # Worth a clinician's eye first: a yes, a date, an area, a medicine, or
    # no answer at all.
    notable: bool
    items: tuple[str, ...] = ()  # the medicines, one line each


def _day(value: date) -> str:
    return date_format(value, "DATE_FORMAT")


def _medicine_line(catalog: Catalog, answer: MedicineAnswer) -> str:
    rule = catalog.medicines.get(answer.medicine)
    parts = [gettext(rule.name) if rule else answer.medicine]
    if answer.last_dose:
        parts.append(gettext("last dose %(date)s") % {"date": _day(answer.last_dose)})
    if answer.ongoing:
        parts.append(gettext("still taken"))
    if answer.prescribed:
        parts.append(gettext("prescribed by a doctor"))
    return ", ".join(parts)


def answer_rows(catalog: Catalog, stored: Mapping[str, Any]) -> list[AnswerRow]:
    """Every catalog question with the stored answer in words, in the
    catalog's order; a question left out reads "Not answered". Raises
    ValueError for a malformed stored answer (core.intake.decode)."""
    decoded = codec.decode(catalog, stored)
    rows = []
    for q in catalog.questions.values():
        text = gettext(q.text)
        if q.key not in decoded:
            rows.append(AnswerRow(q.key, text, gettext("Not answered"), False, True))
            continue
        value = decoded[q.key]
        items: tuple[str, ...] = ()
        if q.kind == "bool":
            answer = gettext("Yes") if value is True else gettext("No")
        elif q.kind == "date":
            answer = _day(value) if isinstance(value, date) else gettext("Never")
        elif q.kind == "areas":
            names = [
                gettext(catalog.areas[a].name) if a in catalog.areas else a
                for a in value or ()
                if isinstance(a, str)
            ]
            answer = ", ".join(names) or gettext("None")
        else:
            items = tuple(
                _medicine_line(catalog, m) for m in value or () if isinstance(m, MedicineAnswer)
            )
            answer = gettext("None") if not items else ""
        notable = value is True or isinstance(value, date) or bool(value and q.kind != "bool")
        rows.append(AnswerRow(q.key, text, answer, True, notable, items))
    return rows


def form_initial(catalog: Catalog, stored: Mapping[str, Any]) -> dict[str, Any]:
    """The stored answers as the intake form's initial values (so a patient
    filling again starts from what they said last time). A malformed
    answer is left out rather than shown wrong."""
    try:
        decoded = codec.decode(catalog, stored)
    except ValueError:
        return {}
    initial: dict[str, Any] = {}
    for key, value in decoded.items():
        kind = catalog.questions[key].kind
        if kind == "bool":
            initial[key] = "yes" if value else "no"
        elif kind == "date":
            initial[key] = value
        elif kind == "areas":
            initial[key] = list(value or ())  # type: ignore[arg-type]
        else:
            for m in value or ():  # type: ignore[union-attr]
                if isinstance(m, MedicineAnswer) and m.medicine in catalog.medicines:
                    initial[f"medicine_{m.medicine}_last_dose"] = m.last_dose
                    initial[f"medicine_{m.medicine}_ongoing"] = m.ongoing
                    initial[f"medicine_{m.medicine}_prescribed"] = m.prescribed
    return initial
