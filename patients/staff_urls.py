"""Patients' pages for all staff (contacts, not the record), under /staff/<clinic>/patients/."""

from django.urls import URLPattern

app_name = "patients"
urlpatterns: list[URLPattern] = []
