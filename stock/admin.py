from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from stock.models import DeviceCleaning, Lot, Product, StockMovement


class LotInline(admin.TabularInline):
    model = Lot
    extra = 0
    fields = ["number", "expiry", "received_on", "recalled_at", "recall_reason"]


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["name", "brand", "supplier", "authorised_supplier", "clinic", "active"]
    list_filter = ["clinic", "authorised_supplier", "active"]
    search_fields = ["name", "brand", "supplier"]
    inlines = [LotInline]


@admin.register(Lot)
class LotAdmin(SimpleHistoryAdmin):
    list_display = ["product", "number", "expiry", "recalled_at"]
    list_filter = ["product__clinic"]
    search_fields = ["number", "product__name"]


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """Read-only: stock moves through the stock pages and charting, and a
    correction is a new movement, never an edit."""

    list_display = ["at", "lot", "kind", "quantity", "chart", "by"]
    list_filter = ["clinic", "kind"]
    search_fields = ["lot__number", "lot__product__name", "note"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DeviceCleaning)
class DeviceCleaningAdmin(SimpleHistoryAdmin):
    """Read-only: cleanings are recorded in order through the device pages."""

    list_display = ["device", "cleaned_at", "method", "cycle", "by", "recorded_at"]
    list_filter = ["clinic", "method"]
    search_fields = ["device__name", "cycle"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
