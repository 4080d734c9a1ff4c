"""Mounted at ``staff/<slug>/queue/``: every view gets the clinic's slug."""

from django.urls import path

from tokens import staff_views as views

app_name = "staff_queue"
urlpatterns = [
    path("", views.queue_page, name="page"),
    path("issue/", views.issue, name="issue"),
    path("call-next/", views.call_next, name="call_next"),
    path("<int:token_id>/served/", views.served, name="served"),
    path("<int:token_id>/left/", views.left, name="left"),
    path("<int:token_id>/recall/", views.recall, name="recall"),
    path("<int:token_id>/requeue/", views.requeue, name="requeue"),
]
