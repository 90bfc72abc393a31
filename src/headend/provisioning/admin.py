from django.contrib import admin

from headend.core.admin import AuditAdmin
from headend.provisioning.models import Nas, Subscriber


@admin.register(Nas)
class NasAdmin(AuditAdmin):
    list_display = ["name", "ip_address", "vendor", "coa_port", "secret_name"]
    list_filter = ["vendor"]
    search_fields = ["name", "ip_address"]


@admin.register(Subscriber)
class SubscriberAdmin(AuditAdmin):
    list_display = ["username", "service", "auth_type", "plan_group", "state", "framed_ip", "updated_at"]
    list_filter = ["state", "auth_type"]
    search_fields = ["username", "framed_ip"]
    raw_id_fields = ["service"]
    # Changed by the provisioning actions, which also write FreeRADIUS's rows; edits here would not.
    readonly_fields = [
        "service",
        "username",
        "auth_type",
        "plan_group",
        "state",
        "framed_ip",
        "created_at",
        "updated_at",
    ]
    exclude = ["password"]
