from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from patients.models import Intake, Patient


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "clinic"]
    list_filter = ["clinic"]
    search_fields = ["last_name", "first_name", "email"]


@admin.register(Intake)
class IntakeAdmin(SimpleHistoryAdmin):
    """Read-only: a new answer is a new intake, never an edit (patients.models)."""

    list_display = ["patient", "via", "submitted_by", "submitted_at"]
    list_filter = ["clinic", "via"]
    date_hierarchy = "submitted_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
