from typing import Any

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from headend.core.models import OutboxEvent
from headend.core.permissions import has_role


class AuditAdmin(SimpleHistoryAdmin):
    """An admin with the object's audit page ("History"): each change, when, by whom, and the
    values before and after. Admins only; nothing is reverted from it (SIMPLE_HISTORY_REVERT_DISABLED):
    changes go through the use cases."""

    def has_view_history_or_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user)  # no role named: the admin role (or a superuser) only


class ReadOnly:
    """An admin mixin: records listed and viewed, never added, edited or deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditOnlyAdmin(ReadOnly, AuditAdmin):
    """A record edited with its parent or by the use cases (a quote line, a price): listed and
    audited here, never edited here."""


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "subject_type", "subject_id", "occurred_at", "published_at", "attempts"]
    list_filter = ["name", "published_at"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]


# Staff roles are groups: who gave a user a role (or the staff or superuser flag) is on their audit page.
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(AuditAdmin, auth_admin.UserAdmin):
    pass


@admin.register(Group)
class GroupAdmin(AuditAdmin, auth_admin.GroupAdmin):
    pass
