"""The self-screening questionnaire as a Django form, built from the catalog.

It works without JavaScript: every question is on the page, and the server
checks that the area belongs to the indication and that every question the
chosen treatment needs is answered. Questions that do not apply may be left
blank. The form only turns answers into a ScreeningRequest; the core decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from core.catalog import Catalog
from core.catalog.model import MedicineRule, Question
from core.screening import (
    MAX_DAYS_AHEAD,
    AnswerValue,
    InputProblem,
    MedicineAnswer,
    ScreeningInputError,
    ScreeningRequest,
    medicine_question,
    relevant_questions,
)

YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class AreaSelect(forms.Select):
    """Each option names the indications it serves (``data-indications``),
    so the page script can hide the others."""

    def __init__(self, indications_of: dict[str, str], attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.indications_of = indications_of

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        if option["value"] in self.indications_of:
            option["attrs"]["data-indications"] = self.indications_of[option["value"]]
        return option


@dataclass
class QuestionRow:
    question: Question
    field: forms.BoundField
    relevant_for: str  # "indication:area" pairs, space-separated, for the script


@dataclass
class MedicineRow:
    rule: MedicineRule
    last_dose: forms.BoundField
    ongoing: forms.BoundField
    prescribed: forms.BoundField | None  # None: never prescribed, or always


@dataclass
class MedicineSection:
    question: Question
    relevant_for: str
    rows: list[MedicineRow]


def _relevance(catalog: Catalog) -> dict[str, str]:
    """For each question, the indication:area pairs whose default protocol
    reads it."""
    pairs: dict[str, list[str]] = {key: [] for key in catalog.questions}
    for indication in catalog.indications.values():
        for area in indication.areas:
            for question in relevant_questions(catalog, indication.key, area):
                pairs[question.key].append(f"{indication.key}:{area}")
    return {key: " ".join(found) for key, found in pairs.items()}


def _medicine_field(rule: MedicineRule, part: str) -> str:
    return f"medicine_{rule.key}_{part}"


class ScreeningForm(forms.Form):
    indication = forms.ChoiceField(label=gettext_lazy("What would you like treated?"))
    area = forms.ChoiceField(label=gettext_lazy("Where?"))
    planned_date = forms.DateField(
        label=gettext_lazy("When would you like your session?"), widget=DateInput()
    )

    def __init__(self, catalog: Catalog, today: date, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = catalog
        self.today = today
        choose = [("", gettext("Choose…"))]
        indication_field = self.fields["indication"]
        assert isinstance(indication_field, forms.ChoiceField)
        indication_field.choices = choose + [
            (i.key, gettext(i.name)) for i in catalog.indications.values()
        ]
        indications_of: dict[str, list[str]] = {}
        for i in catalog.indications.values():
            for area in i.areas:
                indications_of.setdefault(area, []).append(i.key)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ChoiceField)
        area_field.choices = choose + [
            (a.key, gettext(a.name)) for a in catalog.areas.values() if a.key in indications_of
        ]
        area_field.widget = AreaSelect({k: " ".join(v) for k, v in indications_of.items()})
        area_field.widget.choices = area_field.choices

        self.medicines_key = ""
        for q in catalog.questions.values():
            if q.kind == "medicines":
                self.medicines_key = q.key
            else:
                self.fields[q.key] = self._question_field(q)
        for rule in catalog.medicines.values():
            name = gettext(rule.name)
            for part, label in [
                ("last_dose", gettext("Last dose")),
                ("ongoing", gettext("I still take it")),
                ("prescribed", gettext("A doctor prescribed it")),
            ]:
                if part == "prescribed" and (rule.prescription_only or not rule.may_be_prescribed):
                    continue
                # The table shows the label as a column heading; a screen
                # reader gets the medicine's name with it.
                attrs = {"aria-label": f"{name}: {label}"}
                self.fields[_medicine_field(rule, part)] = (
                    forms.DateField(label=label, required=False, widget=DateInput(attrs))
                    if part == "last_dose"
                    else forms.BooleanField(
                        label=label, required=False, widget=forms.CheckboxInput(attrs)
                    )
                )
        self._medicine_order: list[str] = []

    def _question_field(self, q: Question) -> forms.Field:
        label = gettext(q.text)
        help_text = gettext(q.help) if q.help else ""
        if q.kind == "bool":
            return forms.ChoiceField(
                label=label,
                help_text=help_text,
                choices=YES_NO,
                widget=forms.RadioSelect,
                required=False,
            )
        if q.kind == "date":
            return forms.DateField(
                label=label, help_text=help_text, required=False, widget=DateInput()
            )
        return forms.MultipleChoiceField(
            label=label,
            help_text=help_text,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            choices=[(a.key, gettext(a.name)) for a in self.catalog.areas.values()],
        )

    # -- for the template ---------------------------------------------------

    @cached_property
    def relevance(self) -> dict[str, str]:
        return _relevance(self.catalog)

    def question_rows(self) -> list[QuestionRow]:
        return [
            QuestionRow(q, self[q.key], self.relevance[q.key])
            for q in self.catalog.questions.values()
            if q.key in self.fields
        ]

    def medicine_section(self) -> MedicineSection | None:
        question = medicine_question(self.catalog)
        if question is None:
            return None
        return MedicineSection(question, self.relevance[question.key], self.medicine_rows())

    def medicine_rows(self) -> list[MedicineRow]:
        rows = []
        for rule in self.catalog.medicines.values():
            prescribed = _medicine_field(rule, "prescribed")
            rows.append(
                MedicineRow(
                    rule=rule,
                    last_dose=self[_medicine_field(rule, "last_dose")],
                    ongoing=self[_medicine_field(rule, "ongoing")],
                    prescribed=self[prescribed] if prescribed in self.fields else None,
                )
            )
        return rows

    # -- validation ---------------------------------------------------------

    def clean_planned_date(self) -> date:
        planned: date = self.cleaned_data["planned_date"]
        if planned < self.today:
            raise forms.ValidationError(gettext("The planned date is in the past."))
        if planned > self.today + timedelta(days=MAX_DAYS_AHEAD):
            raise forms.ValidationError(
                gettext("Choose a date within the next %(days)d days.") % {"days": MAX_DAYS_AHEAD}
            )
        return planned

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        indication, area = data.get("indication"), data.get("area")
        if not indication or not area:
            return data
        if area not in self.catalog.indications[indication].areas:
            self.add_error("area", gettext("Choose an area where this indication is treated."))
            return data
        for question in relevant_questions(self.catalog, indication, area):
            if question.kind == "bool" and not data.get(question.key):
                self.add_error(question.key, gettext("Please answer this question."))
        for rule in self.catalog.medicines.values():
            if data.get(_medicine_field(rule, "prescribed")) and not (
                data.get(_medicine_field(rule, "last_dose"))
                or data.get(_medicine_field(rule, "ongoing"))
            ):
                self.add_error(
                    _medicine_field(rule, "last_dose"),
                    gettext("Give the date of the last dose, or tick that you still take it."),
                )
        return data

    def screening_request(self, country: str) -> ScreeningRequest:
        """The request for the core; call after is_valid()."""
        data = self.cleaned_data
        answers: dict[str, AnswerValue] = {}
        for q in self.catalog.questions.values():
            if q.kind == "bool" and data.get(q.key):
                answers[q.key] = data[q.key] == "yes"
            elif q.kind == "date":
                answers[q.key] = data.get(q.key)
            elif q.kind == "areas":
                answers[q.key] = tuple(data.get(q.key) or ())
        if self.medicines_key:
            answers[self.medicines_key] = tuple(self._medicine_answers(data))
        return ScreeningRequest(
            indication=data["indication"],
            area=data["area"],
            planned_date=data["planned_date"],
            answered_on=self.today,
            answers=answers,
            country=country,
        )

    def _medicine_answers(self, data: dict[str, Any]) -> Iterable[MedicineAnswer]:
        self._medicine_order = []
        for rule in self.catalog.medicines.values():
            last_dose = data.get(_medicine_field(rule, "last_dose"))
            ongoing = bool(data.get(_medicine_field(rule, "ongoing")))
            if last_dose is None and not ongoing:
                continue
            self._medicine_order.append(rule.key)
            yield MedicineAnswer(
                medicine=rule.key,
                last_dose=last_dose,
                prescribed=bool(data.get(_medicine_field(rule, "prescribed"))),
                ongoing=ongoing,
            )

    def add_problems(self, error: ScreeningInputError) -> None:
        """Put the core's refusals beside the fields they name."""
        for problem in error.problems:
            self.add_error(self._field_of(problem), problem.message)

    def _field_of(self, problem: InputProblem) -> str | None:
        parts = problem.field.split(".")
        if parts[0] != "answers":
            return parts[0] if parts[0] in self.fields else None
        if len(parts) >= 2 and parts[1] in self.fields:
            return parts[1]
        if len(parts) == 4 and parts[1] == self.medicines_key and parts[2].isdigit():
            index = int(parts[2])
            if index < len(self._medicine_order):
                name = f"medicine_{self._medicine_order[index]}_{parts[3]}"
                return name if name in self.fields else None
        return None
