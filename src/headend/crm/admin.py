from django.contrib import admin

from headend.core.admin import AuditAdmin
from headend.crm.models import Account, Contact, Location, Opportunity


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0
    readonly_fields = ["address_key", "geocode_quality", "geocode_source", "geocoded_at"]


@admin.register(Account)
class AccountAdmin(AuditAdmin):
    list_display = ["name", "kind", "status", "email", "phone", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "legal_name", "email", "phone"]
    inlines = [ContactInline, LocationInline]


@admin.register(Opportunity)
class OpportunityAdmin(AuditAdmin):
    list_display = ["name", "account", "stage", "amount", "close_date", "owner"]
    list_filter = ["stage"]
    search_fields = ["name", "account__name"]
