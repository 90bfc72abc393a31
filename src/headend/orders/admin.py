from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from headend.orders.models import Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "account", "status", "created_at", "completed_at"]
    list_filter = ["status"]
    inlines = [OrderLineInline]
