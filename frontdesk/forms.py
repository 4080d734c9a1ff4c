"""The front desk's forms: one appointment, and a whole course.

Choices are limited to the clinic's own patients, services and
practitioners, so a forged id from another clinic is refused as an invalid
choice before anything is booked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic, StaffMember
from core.course_fitting import DAY_PARTS
from patients.models import Patient
from scheduling.calendar import practitioners
from scheduling.models import Service, ServiceKind, Weekday

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIMES_OF_DAY = {
    "morning": _("Morning (before 12:00)"),
    "afternoon": _("Afternoon (12:00-17:00)"),
    "evening": _("Evening (from 17:00)"),
}


class PatientChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        born = f" ({obj.date_of_birth:%Y})" if obj.date_of_birth else ""
        return f"{obj.last_name}, {obj.first_name}{born}"


class PractitionerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.user.get_full_name() or obj.user.username


def practitioner_name(staff: StaffMember) -> str:
    return staff.user.get_full_name() or staff.user.username


class ClinicForm(forms.Form):
    """A form whose patient, service and practitioner choices are one
    clinic's; ``services`` narrows the services offered."""

    def __init__(
        self,
        *args: Any,
        clinic: Clinic,
        services: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["patient"].queryset = Patient.objects.filter(  # type: ignore[attr-defined]
            clinic=clinic
        ).order_by("last_name", "first_name", "pk")
        self.fields["service"].queryset = (  # type: ignore[attr-defined]
            services if services is not None else Service.objects.filter(clinic=clinic, active=True)
        )
        self.fields["practitioner"].queryset = (  # type: ignore[attr-defined]
            practitioners(clinic).select_related("user").order_by("pk")
        )


class AppointmentForm(ClinicForm):
    """Choose who, what, with whom and which day; then one of the free
    times (``start``: the instant, as ISO 8601 with its offset)."""

    patient = PatientChoice(queryset=Patient.objects.none(), label=_("Patient"))
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), to_field_name="key", label=_("Service")
    )
    practitioner = PractitionerChoice(
        queryset=StaffMember.objects.none(),
        required=False,
        label=_("Practitioner"),
        empty_label=_("Any practitioner"),
    )
    day = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    start = forms.CharField(required=False, label=_("Time"))
    notes = forms.CharField(
        required=False, label=_("Notes"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_start(self) -> tuple[int | None, datetime] | None:
        """``practitioner-id|ISO instant`` as the time radios send it; None
        when no time was chosen."""
        value = self.cleaned_data.get("start") or ""
        if not value:
            return None
        staff, _sep, instant = value.rpartition("|")
        try:
            start = datetime.fromisoformat(instant)
            staff_id = int(staff) if staff else None
        except ValueError:
            raise forms.ValidationError(_("Choose one of the free times.")) from None
        if start.tzinfo is None:
            raise forms.ValidationError(_("Choose one of the free times."))
        return staff_id, start


class CourseForm(ClinicForm):
    patient = PatientChoice(queryset=Patient.objects.none(), label=_("Patient"))
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), to_field_name="key", label=_("Treatment session")
    )
    sessions = forms.IntegerField(
        label=_("Number of sessions"),
        required=False,
        min_value=1,
        max_value=99,
        help_text=_("Leave empty for the protocol's usual number."),
    )
    first_earliest = forms.DateField(label=_("First session, earliest"), widget=DATE_INPUT)
    first_latest = forms.DateField(
        label=_("First session, latest"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Leave empty for no limit."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Preferred days"),
        required=False,
        coerce=int,
        choices=Weekday.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    times_of_day = forms.MultipleChoiceField(
        label=_("Preferred times of day"),
        required=False,
        choices=[(key, TIMES_OF_DAY[key]) for key, _start, _end in DAY_PARTS],
        widget=forms.CheckboxSelectMultiple,
    )
    practitioner = PractitionerChoice(
        queryset=StaffMember.objects.none(),
        required=False,
        label=_("Preferred practitioner"),
        empty_label=_("No preference"),
    )
    practitioner_required = forms.BooleanField(label=_("Only this practitioner"), required=False)

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        services = Service.objects.filter(clinic=clinic, active=True, kind=ServiceKind.SESSION)
        super().__init__(*args, clinic=clinic, services=services, **kwargs)
        self.today = clinic.today()
        self.fields["first_earliest"].widget.attrs["min"] = self.today.isoformat()
        self.fields["first_latest"].widget.attrs["min"] = self.today.isoformat()

    def clean_first_earliest(self) -> date:
        earliest: date = self.cleaned_data["first_earliest"]
        if earliest < self.today:
            raise forms.ValidationError(_("The first session cannot be in the past."))
        return earliest

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        earliest, latest = data.get("first_earliest"), data.get("first_latest")
        if earliest and latest and latest < earliest:
            self.add_error("first_latest", _("The first window ends before it starts."))
        if data.get("practitioner_required") and not data.get("practitioner"):
            self.add_error("practitioner", _("Choose the practitioner the patient requires."))
        return data
