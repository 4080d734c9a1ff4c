"""The patient's own intake questionnaire, under /my/intake/."""

from django.urls import URLPattern

app_name = "intake"
urlpatterns: list[URLPattern] = []
