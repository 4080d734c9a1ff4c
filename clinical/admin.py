"""The clinical record in the back office: read-only, with its history.

Clinical entries change only through the checked paths (the record's pages
and API, clinical/amend.py for amendments), which run the gates and keep
who changed what and why; the admin would bypass them, so here every
clinical model can be read, filtered by clinic, and its history opened, but
nothing added, changed or deleted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from clinical.models import (
    Amendment,
    Consent,
    ConsentText,
    InjectionPoint,
    OutcomeScore,
    Photo,
    RecordAccess,
    ScreeningRecord,
    SessionChart,
    TreatmentCourse,
)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyHistory(ReadOnlyMixin, SimpleHistoryAdmin):
    pass


class ReadOnly(ReadOnlyMixin, admin.ModelAdmin):
    pass


@admin.register(TreatmentCourse)
class TreatmentCourseAdmin(ReadOnlyHistory):
    list_display = ["patient", "indication", "protocol", "sessions", "status", "created_at"]
    list_filter = ["clinic", "status", "indication"]
    date_hierarchy = "created_at"


@admin.register(ScreeningRecord)
class ScreeningRecordAdmin(ReadOnlyHistory):
    list_display = ["patient", "occasion", "indication", "area", "verdict", "screened_at"]
    list_filter = ["clinic", "occasion", "verdict"]
    date_hierarchy = "screened_at"


@admin.register(ConsentText)
class ConsentTextAdmin(ReadOnly):
    list_display = ["title", "kind", "indication", "language", "version", "published_at"]
    list_filter = ["clinic", "kind", "language"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyHistory):
    list_display = ["patient", "text", "signed_at", "witnessed_by", "withdrawn_at"]
    list_filter = ["clinic"]
    date_hierarchy = "signed_at"
    # The drawn signature is bytes: shown on the record's consent page.
    exclude = ["signature_png"]


class InjectionPointInline(admin.TabularInline):
    model = InjectionPoint
    extra = 0
    fields = ["diagram", "zone", "x", "y", "product", "lot", "volume_ml", "depth_mm"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SessionChart)
class SessionChartAdmin(ReadOnlyHistory):
    list_display = ["patient", "course", "session_number", "area", "performed_on", "practitioner"]
    list_filter = ["clinic"]
    date_hierarchy = "performed_on"
    inlines = [InjectionPointInline]


@admin.register(InjectionPoint)
class InjectionPointAdmin(ReadOnlyHistory):
    list_display = ["chart", "diagram", "zone", "product", "lot", "volume_ml", "depth_mm"]
    list_filter = ["clinic"]
    search_fields = ["lot__number", "product__name"]


@admin.register(Amendment)
class AmendmentAdmin(ReadOnly):
    list_display = ["patient", "content_type", "object_id", "amended_by", "amended_at"]
    list_filter = ["clinic", "content_type"]
    date_hierarchy = "amended_at"


@admin.register(Photo)
class PhotoAdmin(ReadOnlyHistory):
    list_display = ["patient", "chart", "view", "phase", "taken_at"]
    list_filter = ["clinic", "view", "phase"]
    # The files are served only through the views that check the reader.
    exclude = ["image", "thumbnail"]


@admin.register(OutcomeScore)
class OutcomeScoreAdmin(ReadOnlyHistory):
    list_display = ["patient", "chart", "measure", "rater", "value", "recorded_at"]
    list_filter = ["clinic", "measure", "rater"]


@admin.register(RecordAccess)
class RecordAccessAdmin(ReadOnly):
    list_display = ["at", "user", "role", "patient", "what"]
    list_filter = ["clinic", "role"]
    date_hierarchy = "at"
