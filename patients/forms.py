"""Forms for patients' details and the intake questionnaire.

The intake questionnaire is the self-screening form (screening/forms.py)
without the treatment choice: every catalog question, the medicines table,
and free text for what the catalog does not ask (medical history, other
medicines with their last dose, allergies). Every question may be left
blank on the full intake (the screening then says it was not answered, a
caution for the clinician to ask); the check-in form asks a few of them
again and requires the yes/no ones.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from core.catalog import Catalog
from core.screening import AnswerValue
from patients.intake import MAX_TEXT
from patients.models import Patient
from screening.forms import DateInput, MedicineSection, ScreeningForm


class PatientForm(forms.ModelForm):
    """Demographics and contacts: what front desk may see and change."""

    class Meta:
        model = Patient
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "email",
            "phone",
            "address",
            "emergency_contact",
            "preferred_language",
            "consents_to_messages",
        ]
        widgets = {
            "date_of_birth": DateInput(),
            "address": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "consents_to_messages": gettext_lazy(
                "The patient agrees to be sent reminders and messages"
            ),
        }

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["preferred_language"] = forms.ChoiceField(
            label=gettext_lazy("Preferred language"), choices=settings.LANGUAGES, initial="en"
        )

    def clean_date_of_birth(self) -> date | None:
        born: date | None = self.cleaned_data.get("date_of_birth")
        if born is not None and self.today is not None and born > self.today:
            raise forms.ValidationError(gettext("The date of birth is in the future."))
        return born


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name, phone or email"), required=False, max_length=100)


class IntakeForm(ScreeningForm):
    """The intake questionnaire. ``questions`` limits it to those question
    keys (the check-in); ``texts`` False leaves out the free texts;
    ``require`` makes each yes/no question required."""

    medical_history = forms.CharField(
        label=gettext_lazy("Illnesses and operations you have had"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    other_medicines = forms.CharField(
        label=gettext_lazy("Other medicines you take, with the date of the last dose"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    allergies = forms.CharField(
        label=gettext_lazy("Allergies (to medicines, foods, anything else)"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        catalog: Catalog,
        today: date,
        *args: Any,
        questions: Collection[str] | None = None,
        texts: bool = True,
        require: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(catalog, today, *args, **kwargs)
        for name in ("indication", "area", "planned_date"):
            del self.fields[name]
        if not texts:
            for name in ("medical_history", "other_medicines", "allergies"):
                del self.fields[name]
        if questions is not None:
            for q in catalog.questions.values():
                if q.key in questions:
                    continue
                if q.kind == "medicines":
                    self.medicines_key = ""
                    for name in [n for n in self.fields if n.startswith("medicine_")]:
                        del self.fields[name]
                else:
                    del self.fields[q.key]
        if require:
            for q in catalog.questions.values():
                if q.kind == "bool" and q.key in self.fields:
                    self.fields[q.key].required = True

    def medicine_section(self) -> MedicineSection | None:
        return super().medicine_section() if self.medicines_key else None

    def text_fields(self) -> list[forms.BoundField]:
        return [
            self[n] for n in ("medical_history", "other_medicines", "allergies") if n in self.fields
        ]

    def clean(self) -> dict[str, Any]:
        # Skip ScreeningForm.clean: there is no treatment to check answers for.
        data = super(ScreeningForm, self).clean() or {}
        for name, field in self.fields.items():
            value = data.get(name)
            if isinstance(field, forms.DateField) and value is not None and value > self.today:
                self.add_error(name, gettext("This date is in the future."))
        if self.medicines_key:
            for rule in self.catalog.medicines.values():
                prefix = f"medicine_{rule.key}_"
                if data.get(prefix + "prescribed") and not (
                    data.get(prefix + "last_dose") or data.get(prefix + "ongoing")
                ):
                    self.add_error(
                        prefix + "last_dose",
                        gettext("Give the date of the last dose, or tick that it is still taken."),
                    )
        return data

    def answers(self) -> dict[str, AnswerValue]:
        """The answers given, for core.intake.encode; call after is_valid().
        A yes/no question left blank is left out (not answered)."""
        data = self.cleaned_data
        answers: dict[str, AnswerValue] = {}
        for q in self.catalog.questions.values():
            if q.key not in self.fields:
                continue
            if q.kind == "bool":
                if data.get(q.key):
                    answers[q.key] = data[q.key] == "yes"
            elif q.kind == "date":
                answers[q.key] = data.get(q.key)
            elif q.kind == "areas":
                answers[q.key] = tuple(data.get(q.key) or ())
        if self.medicines_key:
            answers[self.medicines_key] = tuple(self._medicine_answers(data))
        return answers

    def texts(self) -> dict[str, str]:
        return {
            n: self.cleaned_data.get(n, "")
            for n in ("medical_history", "other_medicines", "allergies")
            if n in self.fields
        }
