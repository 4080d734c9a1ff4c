"""The public plan-preview form: a treatment (indication at an area), the
date of the first session and, optionally, how many sessions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.catalog.model import Catalog


def treatment_choices(catalog: Catalog) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every indication with its areas, grouped by indication; the value is
    "indication:area"."""
    return [
        (
            gettext(indication.name),
            [
                (f"{indication.key}:{area}", gettext(catalog.areas[area].name))
                for area in indication.areas
            ],
        )
        for indication in catalog.indications.values()
    ]


class PlanForm(forms.Form):
    treatment = forms.ChoiceField(label=_("Treatment and area"))
    start_date = forms.DateField(
        label=_("First session"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sessions = forms.IntegerField(
        label=_("Number of sessions"),
        required=False,
        min_value=1,
        max_value=99,
        help_text=_("Leave empty for the usual number."),
    )

    def __init__(self, *args: Any, catalog: Catalog, earliest: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.earliest = earliest
        self.fields["treatment"].choices = treatment_choices(catalog)  # type: ignore[attr-defined]
        self.fields["start_date"].widget.attrs["min"] = earliest.isoformat()

    def clean_start_date(self) -> date:
        start: date = self.cleaned_data["start_date"]
        if start < self.earliest:
            raise forms.ValidationError(_("The first session cannot be in the past."))
        return start

    @property
    def indication_and_area(self) -> tuple[str, str]:
        indication, area = self.cleaned_data["treatment"].split(":", 1)
        return indication, area
