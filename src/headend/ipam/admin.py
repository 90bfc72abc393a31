from typing import Any

from django.contrib import admin

from headend.core.admin import AuditAdmin
from headend.ipam.models import IPAllocation, IPPool


@admin.register(IPPool)
class IPPoolAdmin(AuditAdmin):
    """Pools are added on the pools page (which checks the prefix and overlaps); here staff may
    rename a pool, move it to another region, change its quarantine or switch it off."""

    list_display = ["name", "prefix", "allocation_length", "region", "technology", "capacity", "active"]
    list_filter = ["active", "family", "technology", "region"]
    search_fields = ["name", "prefix", "region"]
    readonly_fields = ["family", "prefix", "allocation_length", "gateway", "capacity", "created_at", "created_by"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(IPAllocation)
class IPAllocationAdmin(admin.ModelAdmin):
    list_display = ["address", "pool", "state", "service", "allocated_at", "released_at", "reusable_after"]
    list_filter = ["state", "pool"]
    search_fields = ["address", "=service__id"]
    list_select_related = ["pool", "service__product_version__product"]
    readonly_fields = [field.name for field in IPAllocation._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
