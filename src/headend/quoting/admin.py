from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from headend.quoting.models import ApprovalRule, Quote, QuoteLine


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    readonly_fields = ["mrc_amount", "nrc_amount", "contract_value_amount"]


@admin.register(Quote)
class QuoteAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "account", "status", "mrr_amount", "contract_value_amount", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "account__name"]
    inlines = [QuoteLineInline]


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "threshold", "approver_role", "active"]
    list_filter = ["kind", "approver_role", "active"]
    list_editable = ["threshold", "active"]
