"""Forms of the record's screening pages: the consultation's treatment
choice, the check-in questions, the override's reason.

The forms only parse; clinical/screen.py (and the core under it) decides,
and its refusals come back onto the fields they name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from clinical.models import TreatmentCourse
from clinical.screen import ScreenError
from core.catalog import Catalog
from core.screening import InputProblem
from patients.forms import IntakeForm
from screening.forms import DateInput


def open_courses(patient_id: int) -> Any:
    return TreatmentCourse.objects.filter(patient_id=patient_id).exclude(
        status__in=[TreatmentCourse.Status.STOPPED, TreatmentCourse.Status.COMPLETED]
    )


def course_label(course: TreatmentCourse) -> str:
    return f"{course.indication} ({', '.join(course.areas)}), {course.created_at:%Y-%m-%d}"


class CourseChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return course_label(obj)


def add_problems(form: forms.Form, problems: Iterable[InputProblem]) -> None:
    """Put refusals beside the fields they name (``answers.pregnant`` ->
    ``pregnant``); the rest above the form."""
    for problem in problems:
        parts = problem.field.split(".")
        name = parts[1] if parts[0] == "answers" and len(parts) > 1 else parts[0]
        form.add_error(name if name in form.fields else None, problem.message)


class ConsultationForm(forms.Form):
    indication = forms.ChoiceField(label=gettext_lazy("Indication"))
    area = forms.ChoiceField(label=gettext_lazy("Area"))
    protocol = forms.ChoiceField(
        label=gettext_lazy("Protocol"),
        required=False,
        help_text=gettext_lazy("Leave empty for the indication's default protocol."),
    )
    planned_date = forms.DateField(label=gettext_lazy("Planned first session"), widget=DateInput())
    course = CourseChoice(
        label=gettext_lazy("Course"),
        queryset=TreatmentCourse.objects.none(),
        required=False,
        help_text=gettext_lazy("Optional: the planned course this screening is for."),
    )

    def __init__(self, catalog: Catalog, patient_id: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose = [("", gettext("Choose…"))]
        self.fields["indication"].choices = choose + [  # type: ignore[attr-defined]
            (i.key, gettext(i.name)) for i in catalog.indications.values()
        ]
        served = {a for i in catalog.indications.values() for a in i.areas}
        self.fields["area"].choices = choose + [  # type: ignore[attr-defined]
            (a.key, gettext(a.name)) for a in catalog.areas.values() if a.key in served
        ]
        self.fields["protocol"].choices = [("", gettext("Default"))] + [  # type: ignore[attr-defined]
            (p.key, f"{gettext(p.name)} ({p.indication})") for p in catalog.protocols.values()
        ]
        self.fields["course"].queryset = open_courses(patient_id)  # type: ignore[attr-defined]

    def add_refusal(self, error: ScreenError) -> None:
        add_problems(self, error.problems)


class CheckInForm(IntakeForm):
    """The check-in questions (each yes/no required), the area screened,
    and the course when the appointment is not tied to one."""

    def __init__(
        self,
        catalog: Catalog,
        today: date,
        *args: Any,
        questions: Iterable[str],
        areas: list[tuple[str, str]],
        courses: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            catalog, today, *args, questions=set(questions), texts=False, require=True, **kwargs
        )
        self.fields["area"] = forms.ChoiceField(label=gettext_lazy("Area treated"), choices=areas)
        if courses is not None:
            self.fields["course"] = CourseChoice(
                label=gettext_lazy("Course"), queryset=courses, required=True
            )

    def add_refusal(self, error: ScreenError) -> None:
        add_problems(self, error.problems)


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the session may go ahead despite the verdict"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={
            "required": gettext_lazy("Write why the session may go ahead despite the verdict.")
        },
    )
