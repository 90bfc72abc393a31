from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from headend.core.admin import AuditAdmin, AuditOnlyAdmin
from headend.quoting.models import ApprovalRule, Quote, QuoteLine


class QuoteLineInline(admin.TabularInline):
    """Read-only: prices change through the quote's use cases, which re-ask its approvals."""

    model = QuoteLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Quote)
class QuoteAdmin(AuditAdmin):
    list_display = ["__str__", "account", "status", "mrr_amount", "contract_value_amount", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "account__name"]
    inlines = [QuoteLineInline]
    # Money and state move through the use cases (approvals, maker-checker), not this form.
    readonly_fields = [
        "status",
        "discount_percent",
        "mrr_before_amount",
        "mrr_amount",
        "one_time_amount",
        "contract_value_amount",
        "currency",
        "priced_by",
        "price_revision",
        "created_by",
        "decided_by",
        "accepted_by_name",
    ]


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(AuditAdmin):
    list_display = ["name", "kind", "threshold", "approver_role", "active"]
    list_filter = ["kind", "approver_role", "active"]
    list_editable = ["threshold", "active"]


@admin.register(QuoteLine)
class QuoteLineAdmin(AuditOnlyAdmin):
    """A line's audit page: its prices, discounts and term as they changed, and who changed them."""

    list_display = ["__str__", "action", "product_version", "term_months", "quantity", "mrc_amount", "discount_percent"]
    list_select_related = ["quote", "product_version__product"]
    raw_id_fields = ["quote", "target_service", "base_line", "base_service", "location", "product_version"]
