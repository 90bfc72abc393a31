from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from headend.catalog.models import Price, Product, ProductVersion, TemplateTask, WorkOrderTemplate


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "customer_type"]
    list_filter = ["kind", "customer_type"]
    search_fields = ["name", "code"]
    filter_horizontal = ["addon_of"]


@admin.register(ProductVersion)
class ProductVersionAdmin(SimpleHistoryAdmin):
    list_display = ["product", "version", "status", "effective_from", "download_mbps", "upload_mbps"]
    list_filter = ["status", "product"]
    inlines = [PriceInline]


class TemplateTaskInline(admin.TabularInline):
    model = TemplateTask
    extra = 0
    fk_name = "template"


@admin.register(WorkOrderTemplate)
class WorkOrderTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "action"]
    inlines = [TemplateTaskInline]
