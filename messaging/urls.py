"""The outbox pages, under /staff/<clinic>/outbox/."""

from django.urls import path

from messaging import views

app_name = "messaging"
urlpatterns = [
    path("", views.outbox_list, name="outbox"),
    path("<int:message_id>/", views.outbox_detail, name="detail"),
    path("<int:message_id>/retry/", views.retry, name="retry"),
    path("<int:message_id>/cancel/", views.cancel, name="cancel"),
]
