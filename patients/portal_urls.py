"""The patient's own intake questionnaire, under /my/intake/."""

from django.urls import path

from patients import views

app_name = "intake"
urlpatterns = [
    path("", views.my_intake, name="mine"),
    path("new/", views.my_intake_new, name="new"),
]
