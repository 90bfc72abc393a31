from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from headend.fulfillment.models import Task, WorkOrder


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    fields = ["position", "name", "kind", "role", "status", "assignee", "completed_at"]
    readonly_fields = ["completed_at"]


@admin.register(WorkOrder)
class WorkOrderAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "status", "created_at", "completed_at"]
    list_filter = ["status"]
    inlines = [TaskInline]
