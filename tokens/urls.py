from django.urls import path

from tokens import views

app_name = "queue"
urlpatterns = [
    path("<slug:slug>/", views.screen, name="screen"),
    path("<slug:slug>/state.json", views.state, name="state"),
]
