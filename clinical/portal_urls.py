"""The patient's own record, under /my/record/."""

from django.urls import URLPattern

app_name = "portal"
urlpatterns: list[URLPattern] = []
