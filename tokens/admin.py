from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from tokens.models import Token


@admin.register(Token)
class TokenAdmin(SimpleHistoryAdmin):
    list_display = ["day", "number", "clinic", "status", "issued_at"]
    list_filter = ["clinic", "status", "day"]
