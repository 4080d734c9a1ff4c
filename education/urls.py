from django.urls import path

from education import views

app_name = "education"
urlpatterns = [
    path("", views.home, name="home"),
    path("treatments/<slug:key>/", views.indication, name="treatment"),
    path("questions/", views.questions, name="questions"),
    path("questions/<slug:key>/", views.question, name="question"),
    path("sources/", views.sources, name="sources"),
]
