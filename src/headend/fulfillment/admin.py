from django.contrib import admin

from headend.core.admin import AuditAdmin
from headend.fulfillment.models import Appointment, Holiday, Task, Technician, WorkOrder


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    fields = ["position", "name", "kind", "role", "status", "assignee", "completed_at"]
    readonly_fields = ["completed_at"]


@admin.register(WorkOrder)
class WorkOrderAdmin(AuditAdmin):
    list_display = ["__str__", "status", "created_at", "completed_at"]
    list_filter = ["status"]
    inlines = [TaskInline]


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ["__str__", "region", "day_start", "day_end", "daily_capacity_minutes", "active"]
    list_filter = ["active", "region", "skills"]
    filter_horizontal = ["skills"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "region"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["task", "technician", "start", "end", "status"]
    list_filter = ["status", "technician"]
