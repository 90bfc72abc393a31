from django.contrib import admin

from headend.network.models import (
    AddressCoverage,
    CoverageArea,
    CoverageImport,
    FccAvailability,
    Qualification,
    QualificationItem,
    RejectedRow,
)


class RejectedRowInline(admin.TabularInline):
    model = RejectedRow
    extra = 0
    readonly_fields = ["line", "reason"]
    can_delete = False


@admin.register(CoverageImport)
class CoverageImportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "kind", "status", "rows_read", "rows_imported", "rows_rejected", "started_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [field.name for field in CoverageImport._meta.fields]
    inlines = [RejectedRowInline]


@admin.register(FccAvailability)
class FccAvailabilityAdmin(admin.ModelAdmin):
    list_display = ["brand_name", "location_id", "technology", "max_down_mbps", "max_up_mbps", "h3_res8"]
    list_filter = ["technology", "business_residential_code"]
    search_fields = ["=location_id", "=h3_res8", "=block_geoid", "brand_name"]
    show_full_result_count = False  # millions of rows: no COUNT(*) per page


@admin.register(AddressCoverage)
class AddressCoverageAdmin(admin.ModelAdmin):
    list_display = ["line1", "line2", "city", "state", "technology", "max_down_mbps", "max_up_mbps"]
    list_filter = ["technology", "state"]
    search_fields = ["line1", "city", "postal_code"]


@admin.register(CoverageArea)
class CoverageAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "technology", "max_down_mbps", "max_up_mbps", "cell_count", "created_at"]
    list_filter = ["technology"]


class QualificationItemInline(admin.TabularInline):
    model = QualificationItem
    extra = 0
    fields = readonly_fields = ("position", "location", "product_version", "result", "reason")


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["pk", "account", "location", "status", "created_at", "created_by"]
    list_filter = ["status"]
    inlines = [QualificationItemInline]
