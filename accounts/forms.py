"""Forms of the login's second step and of the two-factor settings."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

_SIX_DIGITS = RegexValidator(r"^\d{6}$", _("Enter the 6 digits your authenticator app shows."))


class CodeField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            label=_("Code from your authenticator app"),
            # Room for a space in the middle, as some apps show the code.
            max_length=7,
            validators=[_SIX_DIGITS],
            widget=forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "autocomplete": "one-time-code",
                    "pattern": "[0-9]{6}",
                    "autofocus": True,
                }
            ),
            **kwargs,  # type: ignore[arg-type]
        )

    def to_python(self, value: object) -> str:
        # People copy codes as "123 456".
        return str(super().to_python(value)).replace(" ", "")


class CodeForm(forms.Form):
    code = CodeField()


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TurnOffForm(PasswordForm):
    code = CodeField()
