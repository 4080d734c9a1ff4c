"""Adverse-event report pages (filled by the reports work)."""

report_urlpatterns: list = []
