"""The patient's follow-up pages: /follow-up/<token>/... (no login)."""

from django.urls import path

from safety import views_public as views

app_name = "followup"
urlpatterns = [
    path("<slug:token>/", views.home, name="home"),
    path("<slug:token>/aftercare.pdf", views.aftercare_pdf, name="aftercare_pdf"),
    path("<slug:token>/fine/", views.all_is_well, name="fine"),
    path("<slug:token>/thanks/", views.thanks, name="thanks"),
    path("<slug:token>/report/", views.report, name="report"),
    path("<slug:token>/reports/<int:event_id>/", views.advice, name="advice"),
]
