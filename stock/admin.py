from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from stock.models import Lot, Product


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
