"""Recall pages (filled by the recall work)."""

recall_urlpatterns: list = []
