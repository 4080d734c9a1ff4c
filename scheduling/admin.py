"""Back office for the clinic's calendar: hours, closures, staff hours,
breaks, leave and services. Appointments are read here with their history;
they are booked and changed through the front desk or the API, which run
every check (the admin would bypass them), so the admin does not edit them.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from scheduling.models import (
    Appointment,
    Break,
    Closure,
    Course,
    Leave,
    OpeningHours,
    Service,
    WorkingHours,
)


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["clinic", "weekday", "starts", "ends"]
    list_filter = ["clinic"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["clinic", "first_day", "last_day", "starts", "ends", "reason"]
    list_filter = ["clinic"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["staff", "weekday", "starts", "ends"]
    list_filter = ["staff__clinic"]


@admin.register(Break)
class BreakAdmin(admin.ModelAdmin):
    list_display = ["staff", "weekday", "starts", "ends"]
    list_filter = ["staff__clinic"]


@admin.register(Leave)
class LeaveAdmin(admin.ModelAdmin):
    list_display = ["staff", "first_day", "last_day", "starts", "ends", "reason"]
    list_filter = ["staff__clinic"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic", "kind", "duration_minutes", "device_kind", "active"]
    list_filter = ["clinic", "kind", "active"]
    filter_horizontal = ["rooms", "practitioners"]


class ReadOnly(SimpleHistoryAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(ReadOnly):
    list_display = ["starts_at", "patient", "service", "practitioner", "room", "status"]
    list_filter = ["clinic", "status"]
    date_hierarchy = "starts_at"


@admin.register(Course)
class CourseAdmin(ReadOnly):
    list_display = ["patient", "service", "sessions", "status", "created_at"]
    list_filter = ["clinic", "status"]
