from django.contrib import admin

from headend.core.admin import AuditAdmin
from headend.inventory.models import Service, ServiceStatusChange


class StatusChangeInline(admin.TabularInline):
    model = ServiceStatusChange
    extra = 0
    readonly_fields = ["from_status", "to_status", "at", "reason"]


@admin.register(Service)
class ServiceAdmin(AuditAdmin):
    list_display = ["__str__", "account", "status", "circuit_id", "mrc_amount", "billable_from"]
    list_filter = ["status"]
    search_fields = ["account__name", "circuit_id"]
    inlines = [StatusChangeInline]
