from django.contrib import admin

from headend.core.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "subject_type", "subject_id", "occurred_at", "published_at", "attempts"]
    list_filter = ["name", "published_at"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
