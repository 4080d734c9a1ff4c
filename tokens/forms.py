from django import forms
from django.utils.translation import gettext_lazy as _


class IssueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)


class CallNextForm(forms.Form):
    practitioner = forms.IntegerField(required=False, widget=forms.HiddenInput)
