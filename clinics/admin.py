from django.contrib import admin

from clinics.models import Clinic, Device, Room, StaffMember


class StaffInline(admin.TabularInline):
    model = StaffMember
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "currency", "time_zone"]
    inlines = [StaffInline]


admin.site.register(Room)
admin.site.register(Device)
