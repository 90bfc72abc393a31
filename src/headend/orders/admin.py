from django.contrib import admin

from headend.core.admin import AuditAdmin
from headend.orders.models import Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(AuditAdmin):
    list_display = ["__str__", "account", "status", "created_at", "completed_at"]
    list_filter = ["status"]
    inlines = [OrderLineInline]
