from django.contrib import admin

from headend.core.admin import AuditOnlyAdmin
from headend.hub.models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(AuditOnlyAdmin):
    """Listeners are registered and removed through the API's /hub or the webhooks page; here
    admins see each one's audit trail (its signing key is neither shown nor kept in it)."""

    list_display = ["api", "callback", "created_by", "created_at", "deleted_at"]
    list_filter = ["api"]
    search_fields = ["callback", "api"]
    list_select_related = ["created_by"]
    exclude = ["secret"]
